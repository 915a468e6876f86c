#!/bin/sh
# gatekit-managed hook: @HOOK@ (installed by `gatekit install-hooks`; removed by
# `gatekit install-hooks --uninstall`, which puts back any hook it chained).
# It never stashes or checks anything out: gatekit verifies the commit in a sandbox of its own.
hook=@HOOK@
gatekit_python=@PYTHON@
# That interpreter's module path at install time: the hook starts it with -S (no site start-up,
# which runs every installed package's .pth file) and puts this path back itself.
gatekit_path=@PATH@

# A hook that was here before gatekit was installed keeps running, first.
chained="$(dirname -- "$0")/$hook.gatekit-chained"

if [ "$hook" = pre-push ]; then
    # pre-push reads the pushed refs on stdin; both the chained hook and gatekit need them.
    input="$(cat)"
    if [ -x "$chained" ]; then
        printf '%s\n' "$input" | "$chained" "$@" || exit $?
    fi
else
    if [ -x "$chained" ]; then
        "$chained" "$@" || exit $?
    fi
fi

# After a commit, checkout or merge the only guard is the snapshot of uncommitted work: in a clean
# worktree (the usual case after a commit) there is nothing to save, said without starting Python.
case "$hook" in
post-commit | post-checkout | post-merge)
    if [ -z "$(git --no-optional-locks status --porcelain --untracked-files=all 2>/dev/null | head -c 1)" ]; then
        exit 0
    fi
    ;;
esac

# GATEKIT_PYTHON wins, then the interpreter that installed this hook (while it exists; no
# import probe, which would cost a Python start per commit), then gatekit on PATH.
run_gatekit() {
    if [ -n "${GATEKIT_PYTHON:-}" ]; then
        "$GATEKIT_PYTHON" -m gatekit "$@"
    elif [ -n "$gatekit_python" ] && [ -x "$gatekit_python" ] && [ -n "$gatekit_path" ]; then
        # A path gone stale (a reinstall) falls back to the ordinary start-up.
        "$gatekit_python" -S -c 'import sys
sys.path[0:1] = [p for p in sys.argv.pop(1).split(":") if p]
try:
    from gatekit.__main__ import main
except ImportError:
    import site
    site.main()
    from gatekit.__main__ import main
main()' "$gatekit_path" "$@"
    elif [ -n "$gatekit_python" ] && [ -x "$gatekit_python" ]; then
        "$gatekit_python" -m gatekit "$@"
    elif command -v gatekit >/dev/null 2>&1; then
        gatekit "$@"
    else
        echo "gatekit: the $hook hook cannot find gatekit (set GATEKIT_PYTHON, put gatekit on PATH," >&2
        echo "  or remove the hook with \`gatekit install-hooks --uninstall\`)" >&2
        return 1
    fi
}

if [ "$hook" = pre-push ]; then
    printf '%s\n' "$input" | run_gatekit hook "$hook" "$@"
else
    run_gatekit hook "$hook" "$@"
fi

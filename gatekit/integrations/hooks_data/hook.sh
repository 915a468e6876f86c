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
case $0 in
*/*) chained="${0%/*}/$hook.gatekit-chained" ;;
*) chained="./$hook.gatekit-chained" ;;
esac

# git runs reference-transaction for every ref update, two or three times: each run is kept to sh
# builtins (no `cat`, no `dirname`), and only the committed one reads its input.
if [ "$hook" = reference-transaction ] && [ "${1:-}" != committed ] && [ ! -x "$chained" ]; then
    exit 0
fi

if [ "$hook" = pre-push ] || [ "$hook" = reference-transaction ]; then
    # pre-push and reference-transaction read refs on stdin; the chained hook and gatekit both need them.
    input=
    while IFS= read -r line || [ -n "$line" ]; do
        input="$input$line
"
    done
    input="${input%
}"
    if [ -x "$chained" ]; then
        printf '%s\n' "$input" | "$chained" "$@" || exit $?
    fi
else
    if [ -x "$chained" ]; then
        "$chained" "$@" || exit $?
    fi
fi

# reference-transaction runs three times per ref update; gatekit only looks at committed ones,
# and starts Python only for what the guard's witness records (guard/witness.py): a refs/stash
# change, or HEAD or a branch deleted, reset to the same commit, or moved to a commit that does
# not descend from the old one. Commits, fast-forwards and new branches end here, in sh.
# every_branch=1 (`install-hooks --hook reference-transaction`) also sends every branch move, for
# protect's warning about a protected branch moved to an unverified commit.
every_branch=@EVERY_BRANCH@
if [ "$hook" = reference-transaction ]; then
    [ "${1:-}" = committed ] || exit 0
    watched=
    asked=
    # A plain `git commit` (our parent, named by pid and start time) makes a child of the HEAD
    # its pre-commit hook saw (integrations/commit_word.py): that move needs no merge-base.
    child_of=
    read_child_of() {
        word="${GIT_DIR:-.git}/gatekit/commit-word"
        [ -f "$word" ] && read -r w_pid w_start w_head w_clean w_child <"$word" || return 0
        [ "$w_pid" = "$PPID" ] && [ "$w_child" = 1 ] || return 0
        read -r w_stat <"/proc/$PPID/stat" || return 0
        # The fields after the command's name, split on purpose; the 20th is its start time.
        # shellcheck disable=SC2086
        set -- ${w_stat##*) }
        [ $# -ge 20 ] || return 0
        shift 19
        [ "$1" = "$w_start" ] && child_of=$w_head
        return 0
    }
    read_child_of
    while read -r old new ref; do
        case $ref in
        refs/stash) watched=1 ;;
        HEAD | refs/heads/*)
            case $new in *[!0]*) ;; *) watched=1 ;; esac
            [ -n "$every_branch" ] && watched=1
            case $old in *[!0]*) ;; *) continue ;; esac
            [ "$old" = "$new" ] && watched=1
            if [ -z "$watched" ] && [ "$old $new" != "$asked" ] && [ "$old" != "$child_of" ]; then
                asked="$old $new"
                git merge-base --is-ancestor "$old" "$new" 2>/dev/null || watched=1
            fi
            ;;
        esac
        [ -n "$watched" ] && break
    done <<EOF_REFS
$input
EOF_REFS
    [ -n "$watched" ] || exit 0
    # protect's warning comes with every_branch only: the witness alone never warns.
    [ -n "$every_branch" ] && GATEKIT_PROTECT_REFS=1 && export GATEKIT_PROTECT_REFS
fi
# After a commit, checkout or merge the only guard is the snapshot of uncommitted work: in a clean
# worktree (the usual case after a commit) there is nothing to save, said without starting Python.
case "$hook" in
post-commit | post-checkout | post-merge)
    # The pre-commit hook of this very commit (run by the same git process, our parent) found
    # nothing uncommitted but what this commit took: no second walk of the worktree
    # (integrations/commit_word.py).
    if [ "$hook" = post-commit ] && [ -n "${GIT_INDEX_FILE:-}" ]; then
        word="${GIT_INDEX_FILE%/*}/gatekit/commit-word"
        if [ -f "$word" ] && read -r w_pid w_start w_head w_clean w_child <"$word" &&
            [ "$w_pid" = "$PPID" ] && [ "$w_clean" = 1 ]; then
            : >"$word"
            exit 0
        fi
    fi
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

if [ "$hook" = pre-commit ]; then
    # Our parent is the git process that will run this commit's post-commit hook.
    GATEKIT_GIT_PID=$PPID
    export GATEKIT_GIT_PID
fi
if [ "$hook" = pre-push ] || [ "$hook" = reference-transaction ]; then
    printf '%s\n' "$input" | run_gatekit hook "$hook" "$@"
else
    run_gatekit hook "$hook" "$@"
fi

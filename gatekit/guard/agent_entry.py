"""The click-free entry of `gatekit agent pre-tool|post-tool|stop --host H` and of the git shim
(`gatekit shim-exec REAL_GIT ARGS...`).

These run on every shell command an agent issues (and every destructive git command under the
shim), so the common case imports nothing but this module: a payload that does not contain the
word "git", or a command line that names no destructive subcommand, is answered before `json`
is even needed.
"""

from __future__ import annotations

import os
import sys

# Substrings of the destructive subcommand names (gitargv.DESTRUCTIVE_SUBCOMMANDS; `re` costs
# more to import than this whole check): a text holding none of them needs no parsing.
_DESTRUCTIVE = (
    "reset",
    "checkout",
    "restore",
    "switch",
    "stash",
    "clean",
    "rebase",
    "pull",
    "worktree",
    "branch",
    "update-ref",
)
# gitargv.GIT_COMMANDS, without importing it: `git WORD` with another WORD may be an alias.
_COMMAND_NAMES = (
    "add am annotate apply archive backfill bisect blame branch bugreport bundle cat-file check-attr "
    "check-ignore check-mailmap check-ref-format checkout checkout-index cherry cherry-pick clean "
    "clone column commit commit-graph commit-tree config count-objects credential credential-cache "
    "credential-store daemon describe diagnose diff diff-files diff-index diff-tree difftool "
    "fast-export fast-import fetch fetch-pack filter-branch fmt-merge-msg for-each-ref for-each-repo "
    "format-patch fsck fsck-objects gc get-tar-commit-id grep hash-object help hook http-backend "
    "http-fetch http-push imap-send index-pack init init-db instaweb interpret-trailers last-modified "
    "log ls-files ls-remote ls-tree mailinfo mailsplit maintenance merge merge-base merge-file "
    "merge-index merge-octopus merge-one-file merge-ours merge-recursive merge-recursive-ours "
    "merge-recursive-theirs merge-resolve merge-subtree merge-tree mergetool mktag mktree "
    "multi-pack-index mv name-rev notes pack-objects pack-redundant pack-refs patch-id pickaxe prune "
    "prune-packed pull push quiltimport range-diff read-tree rebase receive-pack reflog refs remote "
    "remote-ext remote-fd remote-ftp remote-ftps remote-http remote-https repack replace replay repo "
    "request-pull rerere reset restore rev-list rev-parse revert rm send-pack shell shortlog show "
    "show-branch show-index show-ref sparse-checkout stage stash status stripspace submodule subtree "
    "switch symbolic-ref tag unpack-file unpack-objects update-index update-ref update-server-info "
    "upload-archive upload-pack var verify-commit verify-pack verify-tag version whatchanged worktree "
    "write-tree"
)
_GIT_COMMANDS = frozenset(_COMMAND_NAMES.split())
_HOSTS = ("claude-code", "codex", "gemini", "cursor")  # hosts.HOSTS, without importing it
_GIT_ENDINGS = ('"git', "'git", "/git", "(git", "`git", ";git", "&git", "|git", "{git")
STOP_CAP = 3  # blocks in a row before a failing Stop hook lets the turn end anyway
STOP_TIMEOUT = 540.0  # seconds; the installed hooks give the host a 600 s limit


def fast_main(argv: list[str]) -> None:
    """Answer and exit, or return (unknown arguments) so the click CLI explains them."""
    if argv[:1] == ["shim-exec"] and len(argv) >= 2:
        sys.exit(shim_exec(argv[1], argv[2:]))
    if len(argv) == 4 and argv[0] == "agent" and argv[2] == "--host":
        event, host = argv[1], argv[3]
    elif len(argv) == 3 and argv[0] == "agent" and argv[2].startswith("--host="):
        event, host = argv[1], argv[2].split("=", 1)[1]
    else:
        return
    if host not in _HOSTS or event not in ("pre-tool", "post-tool", "stop"):
        return
    raw = sys.stdin.read()
    answer = _answer(event, host, raw)
    sys.stdout.write(answer.stdout)
    sys.stderr.write(answer.stderr)
    sys.stdout.flush()
    sys.exit(answer.exit_code)


def _answer(event: str, host: str, raw: str):  # type: ignore[no-untyped-def]
    if event == "pre-tool" and not may_destroy(raw):
        return _Quiet(host)  # the hot path: nothing imported, nothing parsed
    try:
        if event == "pre-tool":
            return pre_tool(host, raw)
        if event == "post-tool":
            post_tool(host, raw)
            from gatekit.guard import hosts

            return hosts.answer_post_tool(host)
        return stop(host, raw)
    except ValueError as exc:
        from gatekit.guard import hosts

        return hosts.Answer(
            "", f"gatekit: cannot read the {host} hook payload: {exc}\n", 2 if event == "pre-tool" else 0
        )
    except Exception as exc:  # noqa: BLE001 - a bug must not let a destructive command through silently
        from gatekit.errors import GatekitError
        from gatekit.guard import hosts

        if isinstance(exc, GatekitError):  # a bad [guard] setting, say: refused with its sentence
            message = f"gatekit: {exc.message}"
        else:
            from gatekit.exits import write_crash_log

            message = f"gatekit: internal error in the {event} hook; the traceback is in {write_crash_log()}"
        if event == "pre-tool" and may_destroy(raw):
            return hosts.answer_pre_tool(host, "deny", message)
        return hosts.Answer("", message + "\n", 0)


# -- pre-tool -----------------------------------------------------------------------------------


def may_destroy(text: str) -> bool:
    return "git" in text and (any(word in text for word in _DESTRUCTIVE) or _names_other_command(text))


def _names_other_command(text: str) -> bool:
    """Does a `git WORD` name something that is not one of git's commands (an alias, perhaps)?
    A word scan, no parsing: a payload naming only builtins stays on the hot path."""
    words = text.replace("\\n", " ").split()
    for i, word in enumerate(words[:-1]):
        if word != "git" and not word.endswith(_GIT_ENDINGS):
            continue
        j = i + 1
        while j < len(words) and words[j].startswith("-"):
            j += 2 if words[j] in ("-C", "-c") else 1
        if j < len(words):
            sub = words[j].strip("\"'`;&|(){}\\")
            if sub and sub[0].isalpha() and sub not in _GIT_COMMANDS:
                return True
    return False


def pre_tool(host: str, raw: str):  # type: ignore[no-untyped-def]
    if not may_destroy(raw):
        return _Quiet(host)  # the hot path: nothing imported, nothing parsed
    prestarted = _prestart_status(raw)
    try:
        from gatekit.guard import hosts

        call = hosts.parse_payload(host, raw)
        command = call.command
        if not command or not may_destroy(command):
            return hosts.answer_pre_tool(host, "allow", "")
        from gatekit.guard.owners import Caller

        caller = Caller(os.environ.get("GATEKIT_SESSION") or None, host, call.session, host)
        decision = decide_line(command, call.cwd or os.getcwd(), caller)
        return hosts.answer_pre_tool(host, decision.action, decision.message())
    finally:
        if prestarted:  # the payload named no destructive command after all, or could not be read
            from gatekit.git.guarding import discard_prestarted

            discard_prestarted()


class _Quiet:
    """The answer "go ahead" in the host's format, without importing the hosts module."""

    def __init__(self, host: str) -> None:
        self.stdout = "{}\n" if host in ("gemini", "cursor") else ""
        self.stderr = ""
        self.exit_code = 0


# Commands that can discard untracked files: their decision needs git's untracked scan.
_UNTRACKED_AT_RISK = ("stash", "clean", "worktree")


def _prestart_status(raw: str) -> bool:
    """Let git walk the worktree the command most likely acts on (the payload's cwd) while Python
    imports the decision engine: on a large worktree the status is most of the decision's time.
    A guess that proves wrong (`git -C elsewhere ...`) is discarded and the decision asks again."""
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        return False  # parse_payload says what is wrong with it
    cwd = payload_cwd(data) if isinstance(data, dict) else None
    found = find_worktree(str(cwd) if cwd else os.getcwd())
    if found is None or "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        return False
    from gatekit.git import guarding

    guarding.prestart_status(found[0], False, any(word in raw for word in _UNTRACKED_AT_RISK))
    return True


def payload_cwd(data: dict[str, object]) -> object:
    """The directory a host's payload says the tool runs in (Cursor: the first workspace root)."""
    roots = data.get("workspace_roots")
    return data.get("cwd") or (roots[0] if isinstance(roots, list) and roots else None)


def decide_line(command: str, cwd: str, caller: object, act: bool = True):  # type: ignore[no-untyped-def]
    """The decision for a whole shell command line: the strongest over its git invocations."""
    from gatekit.git.guarding import discard_prestarted
    from gatekit.guard.decide import DENY, Decision, decide, strongest
    from gatekit.guard.shell import git_calls

    line = git_calls(command, cwd)
    try:
        decisions = [
            decide(call.argv, call.cwd, caller, env={**os.environ, **call.env}, act=act, stdin=call.stdin)  # type: ignore[arg-type]
            for call in line.calls
        ]
    finally:
        discard_prestarted()
    if not line.exact:
        reason = (
            f"gatekit refused a command line it could not read safely ({line.problem}): it may run a "
            "destructive git command. Run the git commands on their own, as plain `git ...` lines."
        )
        decisions.append(Decision(DENY, reason=reason))
    return strongest(decisions)


# -- post-tool: who wrote which path ------------------------------------------------------------


def post_tool(host: str, raw: str) -> None:
    from gatekit.guard.hosts import parse_payload

    call = parse_payload(host, raw)
    if not call.paths or not call.session:
        return
    from gatekit.guard.owners import record_edits

    base = call.cwd or os.getcwd()
    by_repo: dict[tuple[str, str], list[str]] = {}
    for path in call.paths:
        full = os.path.normpath(os.path.join(base, path))
        found = find_worktree(os.path.dirname(full))
        if found is not None:
            root, git_dir = found
            by_repo.setdefault((root, git_dir), []).append(os.path.relpath(full, root))
    from pathlib import Path

    for (_, git_dir), rel in by_repo.items():
        record_edits(Path(git_dir), host, call.session, rel, call.tool)


def find_worktree(start: str) -> tuple[str, str] | None:
    """(worktree root, its git dir) containing start, by walking up to `.git` (no git call)."""
    here = os.path.abspath(start)
    while True:
        dot_git = os.path.join(here, ".git")
        if os.path.isdir(dot_git):
            return here, dot_git
        if os.path.isfile(dot_git):
            try:
                with open(dot_git, encoding="utf-8") as handle:
                    first = handle.readline().strip()
            except OSError:
                return None
            if first.startswith("gitdir:"):
                return here, os.path.normpath(os.path.join(here, first[7:].strip()))
            return None
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


# -- stop: the gates on the session's work --------------------------------------------------------


def stop(host: str, raw: str):  # type: ignore[no-untyped-def]
    import subprocess

    from gatekit.guard.hosts import answer_stop, parse_payload

    call = parse_payload(host, raw)
    found = find_worktree(call.cwd or os.getcwd())
    if found is None:
        return answer_stop(host, None)
    root, git_dir = found
    counter = os.path.join(git_dir, "gatekit", f"stop-{host}-{_safe(call.session or 'anon')}.json")
    # Cursor sends no stop_hook_active: its consecutive blocks are counted until the gates pass.
    blocks = _read_count(counter) if (call.stop_hook_active or host == "cursor") else 0
    if blocks >= STOP_CAP:
        _write_count(counter, 0)
        return answer_stop(host, None)
    from gatekit.system.processes import run_captured

    try:
        argv = [sys.executable, "-m", "gatekit", "check", "--worktree"]
        result = run_captured(argv, root, check=False, timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return answer_stop(host, None)
    if result.returncode != 1:
        _write_count(counter, 0)
        return answer_stop(host, None)
    _write_count(counter, blocks + 1)
    output = (result.stdout + result.stderr).decode("utf-8", "replace").splitlines()
    tail = "\n".join(output[-60:])
    reason = (
        f"gatekit: the gates fail on this worktree (attempt {blocks + 1} of {STOP_CAP}); fix them:\n{tail}"
    )
    return answer_stop(host, reason)


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80]


def _read_count(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as handle:
            return int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def _write_count(path: str, count: int) -> None:
    from pathlib import Path

    from gatekit.system.files import atomic_write

    atomic_write(Path(path), str(count))


# -- the git shim ---------------------------------------------------------------------------------


def shim_exec(real_git: str, args: list[str]) -> int:
    """Decide on `git args`, then become the real git (same pid: the journal names it)."""
    if not os.environ.get("GATEKIT_GUARD_INNER"):
        from gatekit.guard.decide import decide
        from gatekit.guard.owners import Caller

        if "update-ref" in args and "--stdin" in args:
            return _update_ref_stdin(real_git, args)
        try:
            decision = decide(args, os.getcwd(), Caller.from_env("shim"))
        except Exception as exc:  # noqa: BLE001 - fail closed: a destructive command waits for a working guard
            from gatekit.errors import GatekitError

            if isinstance(exc, GatekitError):  # a bad [guard] setting, say: its one sentence, exit 2
                sys.stderr.write(f"gatekit: {exc.message}\n")
                return exc.exit_code
            from gatekit.exits import write_crash_log

            sys.stderr.write(
                f"gatekit: internal error in the git shim; the traceback is in {write_crash_log()}\n"
            )
            return 3
        if decision.blocks:
            sys.stderr.write(decision.message() + "\n")
            return 1
        if decision.action != "allow" and decision.message():
            sys.stderr.write(f"gatekit: {decision.message()}\n")
    sys.stderr.flush()
    os.execv(real_git, [real_git, *args])
    return 0  # pragma: no cover - execv does not return


def _update_ref_stdin(real_git: str, args: list[str]) -> int:
    """`git update-ref --stdin`: its input is known only as the client writes it. A relay reads it
    on its way to git and keeps the commits of the refs it updates or deletes before git commits
    the transaction (update-ref never touches the worktree: nothing is refused)."""
    from gatekit.guard.decide import decide
    from gatekit.guard.owners import Caller
    from gatekit.guard.shim import relay_input

    cwd, caller = os.getcwd(), Caller.from_env("shim")

    def keep(data: bytes) -> None:
        decision = decide(args, cwd, caller, stdin=data)
        if decision.action != "allow" and decision.message():
            sys.stderr.write(f"gatekit: {decision.message()}\n")
            sys.stderr.flush()

    relay_input(keep)
    os.execv(real_git, [real_git, *args])
    return 0  # pragma: no cover - execv does not return

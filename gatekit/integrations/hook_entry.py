"""The click-free entry of `gatekit hook NAME`: every guard of one git hook in one process.

A commit pays for this on every `git commit` (issue 13: agents commit after every file or two).
The guards share one interpreter, one repository discovery and one config load, and each imports
only the modules it uses: click, the command modules and the full CLI are never loaded here. An
argument this parser does not know returns None and the click CLI answers it, with its usual
messages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gatekit.app import App
from gatekit.errors import EXIT_USAGE
from gatekit.git.location import pin_user_location
from gatekit.git.memo import remembered, tell
from gatekit.integrations import hook_runner

if TYPE_CHECKING:
    from gatekit.check.service import Listener
    from gatekit.git import GuardPaths, PendingStatus, RepoPaths


class HookApp(App):
    """The App of a hook: the first git call resolves the repository and the guards' paths; one
    `git status --branch`, started at once, serves every guard that needs the worktree's state."""

    pending: PendingStatus | None = None

    @cached_property
    def guard_paths(self) -> GuardPaths:
        from gatekit.git import guard_paths

        return guard_paths(self.cwd)

    @cached_property
    def repo(self) -> RepoPaths:
        return self.guard_paths.repo

    def start_status(self) -> None:
        """Let git walk the worktree while Python imports the guards."""
        from gatekit.git import PendingStatus

        self.pending = PendingStatus(self.cwd)

    def share_answers(self) -> None:
        """Tell the remembered git questions what discovery and the status already answered."""
        from gatekit import git

        root = self.repo.toplevel
        tell(git.get_repo_paths, root, answer=self.repo)
        tell(git.git_path, root, "index", answer=self.guard_paths.index)
        if self.pending is not None:
            state = self.pending.result()
            tell(git.current_branch, root, answer=state.branch)
            tell(git.head_commit, root, answer=state.head)

    def close(self) -> None:
        if self.pending is not None:
            self.pending.close()


Guard = Callable[[HookApp, Sequence[str], bytes], int]


def parse(argv: Sequence[str]) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """(hook, git args, --only guards) of `hook NAME [ARGS] [--only GUARD]...`, or None."""
    hooks = hook_runner.GIT_HOOKS + hook_runner.OPTIONAL_HOOKS
    if len(argv) < 2 or argv[0] != "hook" or argv[1] not in hooks:
        return None
    git_args: list[str] = []
    only: list[str] = []
    rest = list(argv[2:])
    while rest:
        arg = rest.pop(0)
        if arg == "--only" and rest:
            only.append(rest.pop(0))
        elif arg.startswith("--only="):
            only.append(arg.partition("=")[2])
        elif arg.startswith("-"):
            return None  # --help and the like: the click CLI answers
        else:
            git_args.append(arg)
    return argv[1], tuple(git_args), tuple(only)


def run_hook(name: str, git_args: Sequence[str], only: Sequence[str], cwd: Path) -> int:
    """Run the guards of hook `name` in this process; the hook's exit code."""
    for source, names in (("--only", only), (hook_runner.SKIP_VAR, hook_runner.skipped(os.environ))):
        unknown = hook_runner.unknown_guard_names(names)
        if unknown:
            known = ", ".join(hook_runner.guard_names())
            _err(f"gatekit: {source} names no guard: {', '.join(unknown)} (guards: {known})")
            return EXIT_USAGE
    stdin = b""
    if name in ("pre-push", "reference-transaction") and sys.stdin is not None and not sys.stdin.isatty():
        stdin = sys.stdin.buffer.read()
    if name == "pre-commit" and os.environ.get("PRE_COMMIT") == "1":
        from gatekit.integrations.precommit_hazard import find_hidden_changes, hazard_warning

        hidden = find_hidden_changes()
        if hidden is not None:
            _err(hazard_warning(hidden))
    steps = hook_runner.steps_for(name, stdin, git_args=git_args)
    if only:
        steps = [step for step in steps if step.name in only]
    pin_user_location(cwd)  # git exports GIT_DIR (and GIT_WORK_TREE, when given) to its hooks
    app = HookApp(cwd=cwd)

    def runner(argv: Sequence[str], data: bytes, env: Mapping[str, str]) -> int:
        guard = GUARDS.get(argv[0])
        if guard is None:  # a guard without a fast path (verify-push, on pushes only)
            return hook_runner.run_in_process(argv, data, env)
        return _guarded(guard, app, argv[1:], data)

    if name not in ("pre-push", "reference-transaction"):
        app.start_status()
    try:
        with remembered():  # HEAD, the branch, the staged tree: asked of git once for every guard
            code = _guarded(_share_answers, app, (), b"")
            if code:  # not a repository, say: one message, not one per guard
                return code
            results = hook_runner.run_steps(steps, stdin=stdin, runner=runner)
            code = hook_runner.hook_exit_code(results)
            if name == "pre-commit" and code == 0:
                _leave_commit_word(app)
    finally:
        app.close()
    return code


def _leave_commit_word(app: HookApp) -> None:
    """Tell this commit's later hooks what the status saw and where HEAD was (commit_word.py)."""
    from gatekit.errors import GatekitError
    from gatekit.integrations.commit_word import leave_word

    if app.pending is None:
        return
    try:
        state = app.pending.result()
        leave_word(state.entries, app.repo.git_dir, state.head, os.environ)
    except GatekitError:
        pass  # no word: the later hooks ask git themselves


def _share_answers(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    app.share_answers()
    return 0


def _guarded(guard: Guard, app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    """One guard's exit code; its failure (even a bug) never takes the other guards down."""
    from gatekit.exits import exit_code_of

    return exit_code_of(lambda: guard(app, args, stdin), _err)


# -- the guards, each what its command does for exactly the argv steps_for() gives it ------------


def protect(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    from gatekit.land.protect import check_commit_allowed

    if "--transaction" in args:
        # reference-transaction: warn when a protected branch moved to an unverified commit.
        if _value(args, "--transaction") == "committed":
            from gatekit.land.audit import transaction_warnings

            # A reset to the same commit (what `git stash` writes) moves nothing.
            lines = [x for x in os.fsdecode(stdin).splitlines() if len(set(x.split()[:2])) != 1]
            for warning in transaction_warnings(app.repo, app.config.protected, lines):
                _err(f"gatekit: {warning}")
        return 0
    merge = "--merge" in args
    outcome = check_commit_allowed(app.repo.toplevel, app.config.protected, lambda: app.target, merge)
    notice = outcome.notice()
    if notice:
        _err(notice)
    return 0


def witness(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    """reference-transaction: journal who moved refs/stash, HEAD or a branch backwards (guard/witness.py)."""
    if list(args[:1]) == ["committed"]:
        from gatekit.guard.witness import record

        record(os.fsdecode(stdin).splitlines(), app.repo)
    return 0


def clobber(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    from gatekit.guard.clobber_entry import run

    return run({"--staged": "--staged" in args, "--format": "text"}, app.cwd, app.guard_paths, app.pending)


def overlap(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    from gatekit.errors import Refused
    from gatekit.fleet.overlap import staged_overlap

    found = staged_overlap(app.repo, app.target, strict=False)
    if not found:
        return 0
    from gatekit.fleet import render

    _err(render.staged_text(found))
    if app.config.fleet.overlap == "block":
        raise Refused('the staged change overlaps other active work (fleet.overlap = "block")')
    return 0


def check(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    """`check --staged ...` (pre-commit) or `check --rev COMMIT ...` (pre-push)."""
    from gatekit.check.service import CheckRequest, run_check
    from gatekit.check.verdicts import NotesVerdictCache
    from gatekit.report.text import TextReporter

    request = CheckRequest(
        subject="staged" if "--staged" in args else "rev",
        rev=_value(args, "--rev") or "HEAD",
        stage=_value(args, "--stage"),
        affected="--affected" in args,
    )
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from gatekit.report.github import GitHubReporter

        reporter: Listener = GitHubReporter(color=app.use_color())
    else:
        reporter = TextReporter(color=app.use_color())
    return run_check(app, request, reporter, cache=NotesVerdictCache(app.repo)).exit_code


def snapshot(app: HookApp, args: Sequence[str], stdin: bytes) -> int:
    from gatekit.guard.snapshots import take_snapshot

    reason = _value(args, "--reason") or "manual"
    guard = app.config.guard
    state = app.pending.result() if app.pending is not None else None
    take_snapshot(app.repo, reason, guard.snapshot_keep, guard.snapshot_max_age_days, state)
    return 0


GUARDS: dict[str, Guard] = {
    "protect": protect,
    "witness": witness,
    "clobber": clobber,
    "overlap": overlap,
    "check": check,
    "snapshot": snapshot,
}


# The pre-commit manifest's entries that are one guard: answered the same click-free way.
SINGLE_GUARDS = {
    ("protect",): "protect",
    ("overlap", "--staged"): "overlap",
    ("snapshot", "--quiet"): "snapshot",
}


def run_guard(name: str, args: Sequence[str], cwd: Path) -> int:
    """Run one guard the way a hook runs it (the manifest's `gatekit overlap --staged`, ...)."""
    pin_user_location(cwd)  # git exports GIT_DIR (and GIT_WORK_TREE, when given) to its hooks
    app = HookApp(cwd=cwd)
    if name == "snapshot":
        app.start_status()
    try:
        with remembered():
            code = _guarded(_share_answers, app, (), b"")
            return code or _guarded(GUARDS[name], app, args, b"")
    finally:
        app.close()


def fast_main(argv: list[str]) -> None:
    """Answer `gatekit hook ...` (or a single guard) and exit, or return to let the click CLI answer."""
    parsed = parse(argv)
    if parsed is not None:
        name, git_args, only = parsed
        sys.exit(run_hook(name, git_args, only, Path.cwd()))
    single = SINGLE_GUARDS.get(tuple(argv))
    if single is not None:
        sys.exit(run_guard(single, argv[1:], Path.cwd()))


def _value(args: Sequence[str], option: str) -> str | None:
    """The value after option in a guard's argv (steps_for() spells each option out)."""
    return args[args.index(option) + 1] if option in args[:-1] else None


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()

"""What each git hook runs: the sequence of gatekit guards behind one plain git hook.

The plain hooks (hooks/, installed by `gatekit install-hooks`) and the pre-commit manifest both
come here, so the two adoption paths run the same guards the same way. Each guard runs through
gatekit's own entry point, so a crash or a missing command in one guard is reported with its exit
code and never takes the others down. None of them stashes or checks anything out.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from gatekit.git.pushes import parse_pre_push
from gatekit.system.processes import run_attached

GIT_HOOKS = (
    "pre-commit",
    "pre-merge-commit",
    "pre-push",
    "post-commit",
    "post-checkout",
    "post-merge",
    # git runs it for every ref update; the installed script answers in sh and starts Python only
    # for a stash change or a HEAD/branch rewind (the guard's witness of plain git, issue 10).
    "reference-transaction",
)
OPTIONAL_HOOKS: tuple[str, ...] = ()
SKIP_VAR = "GATEKIT_SKIP"


@dataclass(frozen=True)
class Step:
    """One guard run by a git hook: a name (for GATEKIT_SKIP and messages) and its gatekit argv."""

    name: str
    argv: tuple[str, ...]
    blocking: bool = True  # a failure stops the git operation (git ignores post-* exit codes)
    stdin: bool = False  # feed it the hook's standard input (pre-push ref lines)


def pushed_commits(stdin: bytes, env: Mapping[str, str]) -> list[str]:
    """The commits a push sends, from pre-commit's variables or git's pre-push input."""
    if env.get("PRE_COMMIT") == "1":
        # `pre-commit run --hook-stage pre-push` by hand sets no refs: check HEAD then.
        return [env.get("PRE_COMMIT_TO_REF") or "HEAD"]
    updates = parse_pre_push(os.fsdecode(stdin))
    return list(dict.fromkeys(update.local_sha for update in updates if not update.deletion))


def steps_for(
    hook: str,
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    git_args: Sequence[str] = (),
) -> list[Step]:
    """The guards a git hook runs, in order: cheap refusals first, the gates last.

    git_args are the hook's own arguments (pre-push: the remote's name and URL).
    """
    env = env if env is not None else os.environ
    if hook == "pre-commit":
        return [
            Step("protect", ("protect",)),
            Step("clobber", ("clobber", "--staged")),
            # Exits 0 with a warning, or 1 when fleet.overlap = "block": the command decides.
            Step("overlap", ("overlap", "--staged")),
            Step("check", ("check", "--staged", "--stage", "pre-commit", "--affected")),
        ]
    if hook == "pre-merge-commit":
        # `git merge` on a protected branch: refused before the merge result is built.
        return [
            Step("protect", ("protect", "--merge")),
            Step("check", ("check", "--staged", "--stage", "pre-commit", "--affected")),
        ]
    if hook == "reference-transaction":
        # git ignores this hook's exit code once the transaction is committed: it only warns.
        state = git_args[0] if git_args else ""
        steps = [Step("witness", ("witness", state), blocking=False, stdin=True)]
        if env.get("GATEKIT_PROTECT_REFS") == "1":  # `install-hooks --hook reference-transaction`
            steps.append(Step("protect", ("protect", "--transaction", state), blocking=False, stdin=True))
        return steps
    if hook == "pre-push":
        steps = [Step("verify-push", ("verify-push", *git_args[:2]), stdin=True)]
        for commit in pushed_commits(stdin, env):
            steps.append(Step("check", ("check", "--rev", commit, "--stage", "pre-push")))
        return steps
    if hook in ("post-commit", "post-checkout", "post-merge"):
        return [Step("snapshot", ("snapshot", "--quiet", "--reason", hook), blocking=False)]
    raise ValueError(f"gatekit has no {hook} hook")


def skipped(env: Mapping[str, str]) -> set[str]:
    """Guard names listed in GATEKIT_SKIP (comma separated), like pre-commit's SKIP."""
    return {name.strip() for name in env.get(SKIP_VAR, "").split(",") if name.strip()}


def guard_names() -> list[str]:
    """Every guard name any hook runs: what --only and GATEKIT_SKIP may name."""
    names = (step.name for hook in GIT_HOOKS for step in steps_for(hook, env={"PRE_COMMIT": "1"}))
    return list(dict.fromkeys(names))


def unknown_guard_names(requested: set[str] | Sequence[str]) -> list[str]:
    """The names in requested that no hook runs (a typo would otherwise skip nothing, silently)."""
    known = set(guard_names())
    return sorted(name for name in requested if name not in known)


@dataclass(frozen=True)
class StepResult:
    step: Step
    returncode: int | None  # None: skipped


def run_steps(
    steps: Sequence[Step],
    *,
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    runner: Runner | None = None,
) -> list[StepResult]:
    """Run the steps in order, stopping at the first blocking failure.

    Each step runs through runner (default: its own `python -m gatekit` process). A step whose
    command fails to start (a broken install) fails like any guard: a hook never skips silently.
    """
    env = dict(env if env is not None else os.environ)
    runner = runner or run_in_subprocess
    skip = skipped(env)
    results: list[StepResult] = []
    for step in steps:
        if step.name in skip:
            _note(f"gatekit: {step.name} skipped ({SKIP_VAR})")
            results.append(StepResult(step, None))
            continue
        code = runner(step.argv, stdin if step.stdin else b"", env)
        results.append(StepResult(step, code))
        if code != 0 and step.blocking:
            break
    return results


Runner = Callable[[Sequence[str], bytes, Mapping[str, str]], int]


def run_in_subprocess(argv: Sequence[str], stdin: bytes, env: Mapping[str, str]) -> int:
    """Run `gatekit argv` as its own process; its exit code."""
    return run_attached([sys.executable, "-m", "gatekit", *argv], env=env, input=stdin)


def run_in_process(argv: Sequence[str], stdin: bytes, env: Mapping[str, str]) -> int:
    """Run `gatekit argv` in this process through the CLI's own entry point; its exit code.

    A hook runs up to four guards on every commit; a Python start for each costs more than most
    of them take. gatekit.cli.run maps every outcome (a crash included) to an exit code, the
    same way the `gatekit` command does, so one guard's failure never takes the others down.
    env is the process environment already (the hook's own).
    """
    from gatekit.cli import run

    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="surrogateescape")
    try:
        return run(list(argv))
    finally:
        sys.stdin = saved


def hook_exit_code(results: Sequence[StepResult]) -> int:
    """The hook's exit code: the first blocking failure's code, else 0."""
    for result in results:
        if result.returncode and result.step.blocking:
            return result.returncode
    return 0


def _note(message: str) -> None:
    print(message, file=sys.stderr)

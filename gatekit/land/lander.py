"""`gatekit land`: the local merge queue (docs/land.md).

queue → integrate → verify → compare-and-swap the target ref.

- The queue (locks.LandQueue) lets one lander work at a time, first come first served.
- Integration builds merge (or rebased, or squashed) commits in memory: no worktree, index or
  branch is touched, and the branches being landed are only read.
- The result is verified in a sandbox by the check service. With several branches, a failing
  batch is bisected: the culprits are refused (with the gate and its output), the rest land.
- The target moves with `git update-ref NEW OLD`, so it only ever points at a verified commit:
  if gatekit is killed at any moment before that call the target is untouched, and the call
  itself is atomic. If the target moved meanwhile, everything is integrated and verified again.
- A worktree that has the target checked out is carried along when clean; when dirty, land is
  refused before anything moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.app import App
from gatekit.check.committed_config import committed_config
from gatekit.config import STRATEGIES
from gatekit.errors import CommandError, Refused, UsageError
from gatekit.land.integrate import Candidate, Conflict, integrate
from gatekit.land.swap_journal import SwapJournal, target_worktree
from gatekit.land.verify import Verifier, failure_summary

MAX_ATTEMPTS = 5  # the target moved under us this many times in a row: give up, loudly


@dataclass(frozen=True)
class LandRequest:
    branches: tuple[str, ...]
    onto: str
    strategy: str = "merge"
    dry_run: bool = False
    use_cache: bool = True
    queue_timeout: float | None = None


@dataclass(frozen=True)
class Culprit:
    candidate: Candidate
    summary: str  # the failing gate(s) and their output


@dataclass
class LandReport:
    target: str
    old: str | None = None
    new: str | None = None
    landed: list[Candidate] = field(default_factory=list)
    already: list[Candidate] = field(default_factory=list)
    culprits: list[Culprit] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    worktree_updated: Path | None = None
    worktree_warning: str | None = None
    gate_runs: int = 0
    checks: int = 0
    dry_run: bool = False
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return not self.culprits and not self.conflicts


@dataclass
class _Bisection:
    tip: str
    landed: list[Candidate] = field(default_factory=list)
    already: list[Candidate] = field(default_factory=list)
    culprits: list[Culprit] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def land(app: App, request: LandRequest, notify: Callable[[str], None]) -> LandReport:
    """Land request.branches onto request.onto; see the module docstring."""
    root = app.repo.toplevel
    target_ref = _target_ref(root, request.onto)
    if request.strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {request.strategy!r}; choose one of {', '.join(STRATEGIES)}")
    candidates = _resolve(root, request.branches, request.onto)
    if request.dry_run:
        return _dry_run(app, request, target_ref, candidates)
    if not SwapJournal(app.repo.common_dir).path.exists():
        _refuse_dirty_target_worktree(root, target_ref)  # early, before waiting in the queue
    from gatekit.land.queue import LandQueue

    names = ", ".join(c.name for c in candidates)
    verifier = Verifier(app, "land", notify, use_cache=request.use_cache)
    with LandQueue(app.repo.common_dir).hold(f"{names} onto {request.onto}", notify, request.queue_timeout):
        report = _land_locked(app, request, target_ref, candidates, verifier, notify)
    report.gate_runs, report.checks = verifier.gate_runs, verifier.checks
    return report


def _land_locked(
    app: App,
    request: LandRequest,
    target_ref: str,
    candidates: list[Candidate],
    verifier: Verifier,
    notify: Callable[[str], None],
) -> LandReport:
    root = app.repo.toplevel
    memo: dict[str, tuple[bool, str]] = {}  # tree -> (passed, failure summary), for this run
    report = LandReport(target=request.onto)
    SwapJournal(app.repo.common_dir).finish_interrupted(notify)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report.attempts = attempt
        old = _target_commit(root, target_ref)
        # The target's committed configuration decides, not the lander's working tree nor the
        # branches: a branch cannot weaken the gate it is judged by.
        verifier.target_config = committed_config(root, old, request.onto)
        memo.clear()  # verdicts of this run were judged by the previous target's configuration
        worktree = _refuse_dirty_target_worktree(root, target_ref)
        outcome = _bisect(app, old, candidates, request, verifier, memo, notify)
        report.old, report.new = old, outcome.tip
        report.landed, report.already = outcome.landed, outcome.already
        report.culprits, report.conflicts = outcome.culprits, outcome.conflicts
        if outcome.tip == old:
            return report  # nothing to move
        if worktree is not None:
            ok, message = git.read_tree_update(worktree, old, outcome.tip, dry_run=True)
            if not ok:
                raise Refused(
                    f"{request.onto} is checked out in {worktree} and updating it would overwrite "
                    f"files there ({message}); nothing was landed"
                )
        reflog = f"gatekit land: {', '.join(c.name for c in outcome.landed)}"
        journal = SwapJournal(app.repo.common_dir)
        journal.write(worktree, target_ref, old, outcome.tip)
        try:
            swapped = git.update_ref(root, target_ref, outcome.tip, old, reflog)
        except CommandError as exc:
            journal.clear()
            raise _ref_locked(app, target_ref, exc) from exc
        if swapped:
            if worktree is not None:
                _carry_worktree(report, worktree, old, outcome.tip)
            journal.clear()
            return report
        journal.clear()
        notify(f"{request.onto} moved while verifying (was {old[:12]}); integrating and verifying again")
    raise Refused(f"{request.onto} kept moving during {MAX_ATTEMPTS} attempts; nothing was landed")


def _bisect(
    app: App,
    base: str,
    candidates: list[Candidate],
    request: LandRequest,
    verifier: Verifier,
    memo: dict[str, tuple[bool, str]],
    notify: Callable[[str], None],
) -> _Bisection:
    """Land as many candidates as verify on base, in order; bisect a failing batch.

    Integration is sequential, so base+left+right has the same tree whether built at once or
    as (base+left)+right: after a failing batch whose left half passes, the right half on the
    new base is a memo hit, which is what makes bisection cheaper than one-by-one landing.
    """
    root = app.repo.toplevel
    result = integrate(root, base, candidates, request.strategy, request.onto)
    outcome = _Bisection(tip=base, already=list(result.already))
    if not result.included:
        outcome.conflicts = list(result.conflicts)
        return outcome
    tree = git.tree_of(root, result.tip)
    label = "+".join(c.name for c in result.included) + f" onto {request.onto}"
    config = verifier.target_config
    assert config is not None, "_land_locked sets the target's configuration first"
    if tree not in memo:
        checked = verifier.verify(result.tip, label, config)
        memo[tree] = (checked.passed, "" if checked.passed else failure_summary(checked))
    else:
        notify(f"{label}: tree {tree[:12]} already {'passed' if memo[tree][0] else 'failed'} in this run")
    passed, summary = memo[tree]
    if passed:
        outcome.tip = result.tip
        outcome.landed = list(result.included)
        outcome.conflicts = list(result.conflicts)
        return outcome
    pending = [c for c in candidates if c not in result.already]
    if len(result.included) == 1:
        outcome.culprits = [Culprit(result.included[0], summary)]
        outcome.conflicts = list(result.conflicts)
        return outcome
    middle = len(pending) // 2
    left = _bisect(app, base, pending[:middle], request, verifier, memo, notify)
    right = _bisect(app, left.tip, pending[middle:], request, verifier, memo, notify)
    return _Bisection(
        tip=right.tip,
        landed=left.landed + right.landed,
        already=outcome.already + left.already + right.already,
        culprits=left.culprits + right.culprits,
        conflicts=left.conflicts + right.conflicts,
    )


def _dry_run(app: App, request: LandRequest, target_ref: str, candidates: list[Candidate]) -> LandReport:
    """Integrate without verifying or moving anything: what would land, what conflicts."""
    root = app.repo.toplevel
    old = _target_commit(root, target_ref)
    result = integrate(root, old, candidates, request.strategy, request.onto)
    return LandReport(
        target=request.onto,
        old=old,
        new=result.tip,
        landed=result.included,
        already=result.already,
        conflicts=result.conflicts,
        dry_run=True,
    )


# -- target and worktrees ---------------------------------------------------------------------


def _target_ref(root: Path, onto: str) -> str:
    name = onto[len("refs/heads/") :] if onto.startswith("refs/heads/") else onto
    if not git.is_valid_branch_name(root, name):
        raise UsageError(f"--onto {onto!r} is not a valid branch name")
    ref = f"refs/heads/{name}"
    if git.rev_parse(root, ref) is None:
        raise UsageError(f"--onto {onto!r}: no such branch here")
    return ref


def _target_commit(root: Path, target_ref: str) -> str:
    commit = git.rev_parse(root, f"{target_ref}^{{commit}}")
    if commit is None:
        raise UsageError(f"{target_ref} no longer exists")
    return commit


def _resolve(root: Path, branches: tuple[str, ...], onto: str) -> list[Candidate]:
    if not branches:
        raise UsageError("name at least one branch to land")
    seen: dict[str, Candidate] = {}
    for name in branches:
        if name in seen:
            continue
        if name.startswith("-"):
            raise UsageError(f"{name!r} is not a branch")
        if name == onto:
            raise UsageError(f"cannot land {name!r} onto itself")
        ref = f"refs/heads/{name}"
        commit = git.rev_parse(root, f"{ref}^{{commit}}") or git.rev_parse(root, f"{name}^{{commit}}")
        if commit is None:
            raise UsageError(f"{name!r} names no branch or commit in this repository")
        seen[name] = Candidate(name, commit)
    return list(seen.values())


def _refuse_dirty_target_worktree(root: Path, target_ref: str) -> Path | None:
    worktree = target_worktree(root, target_ref)
    if worktree is None:
        return None
    dirty = git.worktree_dirty_paths(worktree)
    if dirty:
        shown = "\n".join(f"  {p}" for p in dirty[:20]) + ("\n  ..." if len(dirty) > 20 else "")
        raise Refused(
            f"{target_ref[len('refs/heads/') :]} is checked out in {worktree} with uncommitted changes; "
            f"landing would leave them behind a moved branch, so nothing was landed. "
            f"Commit or move these changes first:\n{shown}"
        )
    return worktree


def _carry_worktree(report: LandReport, worktree: Path, old: str, new: str) -> None:
    ok, message = git.read_tree_update(worktree, old, new)
    if ok:
        report.worktree_updated = worktree
    else:
        # The branch already moved; the files did not follow (someone edited them in the
        # meantime). Tell the user exactly how to catch up without losing those edits.
        report.worktree_warning = (
            f"{worktree} still has the files of {old[:12]} ({message}); after saving your edits, run "
            f"`git -C {worktree} read-tree -m -u {old} {new}`"
        )


def _ref_locked(app: App, target_ref: str, exc: CommandError) -> Refused:
    """The swap failed though the target did not move: name the lock and the way out."""
    locks = [lock for lock in git.ref_lock_paths(app.repo.common_dir, target_ref) if lock.exists()]
    if not locks:
        return Refused(f"could not move {target_ref}: {exc.stderr or exc.message}; nothing was landed")
    return Refused(
        f"{target_ref} is locked by {' and '.join(map(str, locks))}, so nothing was landed. Another git "
        f"process is updating it, or one was killed while doing so; if no git process is running in "
        f"this repository, remove {'that file' if len(locks) == 1 else 'those files'} and land again"
    )

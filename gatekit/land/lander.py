"""`gatekit land`: the local merge queue (docs/land.md).

queue → integrate → verify → compare-and-swap the target ref.

- The queue (locks.LandQueue) lets one lander work at a time, first come first served.
- Integration builds merge (or rebased, or squashed) commits in memory: no worktree, index or
  branch is touched, and the branches being landed are only read.
- The result is verified in a sandbox by the check service, through a Judge (judge.py) that
  re-runs a failure before concluding anything and reports flaky gates. With several branches, a
  failing batch is bisected: the culprits are refused (with the gate, its output and what they
  were verified on top of), the rest land. When the target itself fails, no branch is blamed.
- The target and the checkout that has it checked out move as one step under that checkout's
  index.lock (swap_journal.py): a commit there cannot interleave, and a kill at any phase is
  finished or rolled back by the next land. If the target moved meanwhile, everything is
  integrated and verified again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.app import App
from gatekit.check.committed_config import committed_config
from gatekit.config import STRATEGIES
from gatekit.errors import Refused, UsageError
from gatekit.faults import reached
from gatekit.land.integrate import Candidate, Conflict, Integration, integrate
from gatekit.land.judge import Judge, Judgement
from gatekit.land.swap_journal import CheckoutSwap, SwapJournal, target_worktree
from gatekit.land.verify import Verifier

MAX_ATTEMPTS = 5  # the target moved under us this many times in a row: give up, loudly


@dataclass(frozen=True)
class LandRequest:
    branches: tuple[str, ...]
    onto: str
    strategy: str = "merge"
    dry_run: bool = False
    use_cache: bool = True
    queue_timeout: float | None = None
    retries: int = 1
    quarantine: tuple[str, ...] = ()


@dataclass(frozen=True)
class Culprit:
    candidate: Candidate
    summary: str  # the failing gate(s) and their output
    context: str = ""  # what it was verified on top of ("fails together with b2; alone it passes")


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
    blocked: list[Candidate] = field(default_factory=list)
    target_failure: str = ""  # how the target itself fails, when it does
    flaky: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.culprits and not self.conflicts and not self.blocked


@dataclass
class _Bisection:
    tip: str
    landed: list[Candidate] = field(default_factory=list)
    already: list[Candidate] = field(default_factory=list)
    culprits: list[Culprit] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    blocked: list[Candidate] = field(default_factory=list)  # not landed: the target itself fails


def land(app: App, request: LandRequest, notify: Callable[[str], None]) -> LandReport:
    """Land request.branches onto request.onto; see the module docstring."""
    root = app.repo.toplevel
    target_ref = _target_ref(root, request.onto)
    if request.strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {request.strategy!r}; choose one of {', '.join(STRATEGIES)}")
    candidates = _resolve(root, request.branches, request.onto)
    if request.dry_run:
        return _dry_run(app, request, target_ref, candidates)
    from gatekit.land.queue import LandQueue

    names = ", ".join(c.name for c in candidates)
    verifier = Verifier(app, "land", notify, use_cache=request.use_cache, fail_fast=not request.quarantine)
    judge = Judge(verifier, notify, request.retries, request.quarantine)
    with LandQueue(app.repo.common_dir).hold(f"{names} onto {request.onto}", notify, request.queue_timeout):
        report = _land_locked(app, request, target_ref, candidates, judge, notify)
    report.gate_runs, report.checks = verifier.gate_runs, verifier.checks
    report.flaky, report.quarantined = judge.flaky, judge.quarantined
    return report


def _land_locked(
    app: App,
    request: LandRequest,
    target_ref: str,
    candidates: list[Candidate],
    judge: Judge,
    notify: Callable[[str], None],
) -> LandReport:
    root = app.repo.toplevel
    report = LandReport(target=request.onto)
    SwapJournal(app.repo.common_dir).finish_interrupted(notify)
    for _attempt in range(MAX_ATTEMPTS):
        old = _target_commit(root, target_ref)
        # The target's committed configuration decides, not the lander's working tree nor the
        # branches: a branch cannot weaken the gate it is judged by.
        judge.verifier.target_config = committed_config(root, old, request.onto)
        judge.forget()  # judgements of this run were made under the previous target's configuration
        worktree = target_worktree(root, target_ref)
        outcome = _bisect(app, old, candidates, request, judge, old)
        report.old, report.new = old, outcome.tip
        report.landed, report.already = outcome.landed, outcome.already
        report.culprits, report.conflicts = outcome.culprits, outcome.conflicts
        report.blocked = outcome.blocked
        if outcome.blocked:
            report.target_failure = judge.judge(old, f"{request.onto} itself").summary
        if outcome.tip == old:
            return report  # nothing to move
        reached("verified")
        reflog = f"gatekit land: {', '.join(c.name for c in outcome.landed)}"
        swap = CheckoutSwap(app.repo.common_dir, worktree, target_ref, old, outcome.tip, reflog, notify)
        if swap.run():
            report.worktree_updated = worktree
            return report
        notify(f"{request.onto} moved while verifying (was {old[:12]}); integrating and verifying again")
    raise Refused(f"{request.onto} kept moving during {MAX_ATTEMPTS} attempts; nothing was landed")


def _bisect(
    app: App,
    base: str,
    candidates: list[Candidate],
    request: LandRequest,
    judge: Judge,
    origin: str,
    trail: tuple[str, ...] = (),
    half: bool = False,
) -> _Bisection:
    """Land as many candidates as verify on base, in order; bisect a failing batch.

    Integration is sequential, so base+left+right has the same tree whether built at once or
    as (base+left)+right: after a failing batch whose left half passes, the right half on the
    new base is a judged tree already, which is what makes bisection cheaper than one-by-one
    landing. origin is the target's commit and trail what landed on it to make base, for the
    refusal's context.
    """
    root = app.repo.toplevel
    result = integrate(root, base, candidates, request.strategy, request.onto)
    outcome = _Bisection(tip=base, already=list(result.already))
    if not result.included:
        outcome.conflicts = list(result.conflicts)
        return outcome
    label = "+".join(c.name for c in result.included) + f" onto {request.onto}"
    lone = len(result.included) == 1
    # The whole batch is re-run before it is bisected, a lone branch on the target itself before
    # it is refused; a half inside a bisection steers the search on one run, and a lone branch on
    # top of others is reproduced by _judge_on_top (alone, or its tree again).
    conclusive = not half or (lone and not trail)
    judgement = judge.judge(result.tip, label, conclusive)
    if not judgement.passed and lone and trail:
        judgement = _judge_on_top(app, origin, result, label, judgement, request, judge, trail, outcome)
    if judgement.passed:
        outcome.tip = result.tip
        outcome.landed = list(result.included)
        outcome.conflicts = list(result.conflicts)
        return outcome
    pending = [c for c in candidates if c not in result.already]
    if lone:
        outcome.conflicts = list(result.conflicts)
        if not trail:
            _blame(origin, result.included[0], judgement, request, judge, outcome)
        return outcome
    middle = len(pending) // 2
    left = _bisect(app, base, pending[:middle], request, judge, origin, trail, True)
    trail_right = trail + tuple(c.name for c in left.landed)
    right = _bisect(app, left.tip, pending[middle:], request, judge, origin, trail_right, True)
    return _Bisection(
        tip=right.tip,
        landed=left.landed + right.landed,
        already=outcome.already + left.already + right.already,
        culprits=left.culprits + right.culprits,
        conflicts=left.conflicts + right.conflicts,
        blocked=left.blocked + right.blocked,
    )


def _judge_on_top(
    app: App,
    origin: str,
    result: Integration,
    label: str,
    first: Judgement,
    request: LandRequest,
    judge: Judge,
    trail: tuple[str, ...],
    outcome: _Bisection,
) -> Judgement:
    """A lone branch failed once on top of what landed before it (origin+trail): reproduce it.

    First the branch alone on the target: failing there too, it failed on two trees that both
    contain it, which is the reproduction -- refused. Passing alone, its tree on top of the
    others is verified again: failing again, it is a semantic conflict ("fails together with");
    passing, the first failure was flaky and it lands.
    """
    candidate, target = result.included[0], request.onto
    on_top = f"verified on {target}+{'+'.join(trail)}"
    alone = integrate(app.repo.toplevel, origin, [candidate], request.strategy, target)
    alone_passed = False
    if alone.included:
        solo = judge.judge(alone.tip, f"{candidate.name} alone onto {target}", conclusive=False)
        if not solo.passed:
            outcome.culprits.append(
                Culprit(candidate, first.summary, f"fails alone on {target} too; {on_top}")
            )
            return first
        alone_passed = True
    again = judge.judge(result.tip, label, conclusive=True)
    if not again.passed:
        context = f"fails together with {', '.join(trail)}; alone on {target} it passes ({on_top})"
        outcome.culprits.append(Culprit(candidate, again.summary, context if alone_passed else on_top))
    return again


def _blame(
    origin: str,
    candidate: Candidate,
    judgement: Judgement,
    request: LandRequest,
    judge: Judge,
    outcome: _Bisection,
) -> None:
    """A lone branch failed (reproduced) on the target itself: refuse it, unless the target fails too.

    When the target itself fails the gates, the branch is not to blame: it is not landed (nothing
    moves to a failing tree) and not refused either (issue 11).
    """
    target = request.onto
    if not judge.judge(origin, f"{target} itself").passed:
        outcome.blocked.append(candidate)
        return
    outcome.culprits.append(Culprit(candidate, judgement.summary, f"verified on {target} ({origin[:12]})"))


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

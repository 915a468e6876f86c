"""Judging a candidate tree for land: retries, flaky results and quarantined gates (issue 12).

A failing tree is verified again (`[land] retries`, default 1) before anything is concluded from
it -- the whole batch before bisecting, and a lone branch before refusing it -- and only a failure
that reproduces is remembered: bisection never refuses a branch on a single (possibly flaky)
failure of a batch it was part of. Inside a bisection whose batch failed for real, a half's
single failure steers the search without being retried (the lone branch it leads to is). A result that flips between runs is
reported as flaky with both runs (the verdict cache keeps both in the tree's note). A gate named
in `[land] quarantine` still runs and is reported, but its failure does not block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from gatekit import git
from gatekit.check.service import CheckOutcome
from gatekit.land.verify import Verifier, failure_summary


@dataclass(frozen=True)
class Judgement:
    passed: bool
    summary: str = ""  # the blocking failure(s) and their output, when not passed


@dataclass
class Judge:
    verifier: Verifier
    notify: Callable[[str], None]
    retries: int = 1
    quarantine: tuple[str, ...] = ()
    flaky: list[str] = field(default_factory=list)  # one line per flip: label, gate, both runs
    quarantined: list[str] = field(default_factory=list)
    _memo: dict[str, Judgement] = field(default_factory=dict)  # tree -> pass, or reproduced failure
    _failures: dict[str, list[Judgement]] = field(default_factory=dict)  # tree -> failures so far

    def forget(self) -> None:
        """Drop what this run concluded (the target moved, and with it the configuration)."""
        self._memo.clear()
        self._failures.clear()

    def judge(self, commit: str, label: str, conclusive: bool = True) -> Judgement:
        """Does commit's tree pass? A failure is concluded only once it reproduced.

        conclusive=False (a batch inside a bisection already known to fail for real) accepts a
        single failure to steer the bisection, without remembering it as reproduced: a branch
        is refused only on a conclusive judgement of a tree that contains it.
        """
        tree = git.tree_of(self.verifier.app.repo.toplevel, commit)
        known = self._memo.get(tree)
        if known is not None:
            self.notify(
                f"{label}: tree {tree[:12]} already {'passed' if known.passed else 'failed'} in this run"
            )
            return known
        while True:
            failures = self._failures.get(tree, [])
            judgement = self._run(commit, label if not failures else f"{label} (run {len(failures) + 1})")
            if judgement.passed:
                if failures:
                    self._report_flaky(label, failures[0], len(failures) + 1)
                self._memo[tree] = judgement
                return judgement
            failures = self._failures[tree] = [*failures, judgement]
            if len(failures) > self.retries:
                self._memo[tree] = judgement  # reproduced
                return judgement
            if not conclusive:
                return judgement
            self.notify(f"{label}: failed; verifying the same tree again before concluding anything")

    def _run(self, commit: str, label: str) -> Judgement:
        config = self.verifier.target_config or self.verifier.app.config
        outcome = self.verifier.verify(commit, label, config)
        blocking = [r for r in outcome.results if not r.ok and r.gate.name not in self.quarantine]
        for result in outcome.results:
            if not result.ok and result.gate.name in self.quarantine:
                line = f"{label}: quarantined gate {result.gate.name!r} {result.status} (not blocking)"
                self.quarantined.append(line)
                self.notify(line)
        if not blocking:
            return Judgement(True)
        return Judgement(False, failure_summary(_only(outcome, self.quarantine)))

    def _report_flaky(self, label: str, first_failure: Judgement, passing_run: int) -> None:
        first = first_failure.summary.splitlines()[0] if first_failure.summary else "failed"
        line = f"flaky: {label}: run 1: {first}; run {passing_run}: passed"
        self.flaky.append(line)
        self.notify(line)


def _only(outcome: CheckOutcome, quarantine: tuple[str, ...]) -> CheckOutcome:
    """The outcome without the quarantined gates' failures (for the refusal's summary)."""
    return replace(outcome, results=[r for r in outcome.results if r.ok or r.gate.name not in quarantine])

"""Verify one commit's tree through the check service, quietly, counting real gate runs.

land and verify-push verify many candidate trees; they share check's sandbox, gate runner and
verdict cache (run_check), but print one line per gate instead of every gate's full output: the
output of a failing gate is kept (its tail) for the final report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gatekit.app import App
from gatekit.check.gates import GateResult, GateStatus
from gatekit.check.service import CheckOutcome, CheckPlan, CheckRequest, run_check
from gatekit.check.verdicts import NotesVerdictCache
from gatekit.config import Config, Gate
from gatekit.errors import Refused, UsageError
from gatekit.system.durations import format_duration


@dataclass
class QuietListener:
    """A check.service.Listener that prints one line per gate through notify."""

    notify: Callable[[str], None]
    label: str = ""

    def notice(self, message: str) -> None:
        self.notify(message)

    def check_started(self, plan: CheckPlan) -> None:
        self.notify(f"verifying {self.label} {plan.where}: {', '.join(g.name for g in plan.gates)}")
        for reason in plan.reasons:
            if reason.startswith("config: "):
                self.notify(f"  {reason}")

    def gate_started(self, gate: Gate) -> None:
        pass

    def gate_output(self, gate: Gate, chunk: bytes) -> None:
        pass

    def heartbeat(self, gate: Gate, elapsed: float, silent_for: float) -> None:
        # An agent host's watchdog kills a worker that prints nothing for minutes; a long
        # build inside `land` must not look like one.
        self.notify(f"  {gate.name} still running ({format_duration(elapsed)})")

    def gate_finished(self, result: GateResult) -> None:
        how = " (verdict cached)" if result.cached else ""
        detail = f": {result.message}" if result.message and not result.cached else ""
        self.notify(
            f"  {result.gate.name} {result.status} in {format_duration(result.duration)}{how}{detail}"
        )

    def check_finished(self, outcome: CheckOutcome) -> None:
        pass


@dataclass
class Verifier:
    """Verifies commits at one stage with the verdict cache (unless disabled).

    The configuration is the one given to verify (the target's committed one), never the
    working tree's: land and verify-push judge a branch by the rules of where it goes.
    """

    app: App
    stage: str
    notify: Callable[[str], None]
    use_cache: bool = True
    fail_fast: bool = True
    gate_runs: int = 0  # gates actually run (not answered by the cache)
    checks: int = 0
    target_config: Config | None = None  # set by land for each attempt
    _cache: NotesVerdictCache | None = field(default=None, repr=False)

    def cache(self, config: Config) -> NotesVerdictCache:
        if self._cache is None or self._cache.store.settings != config.verdicts:
            self._cache = NotesVerdictCache(
                self.app.repo, notify=self.notify, reuse=self.use_cache, settings=config.verdicts
            )
        return self._cache

    def verify(self, commit: str, label: str, config: Config) -> CheckOutcome:
        """Verify commit's tree with config's gates (the target's committed configuration)."""
        request = CheckRequest(subject="rev", rev=commit, stage=self.stage, fail_fast=self.fail_fast)
        listener = QuietListener(self.notify, label)
        outcome = run_check(self.app, request, listener, cache=self.cache(config), config=config)
        if outcome.interrupted:
            raise KeyboardInterrupt  # an interrupted verification is no verdict on the branch
        unreachable = [r for r in outcome.results if r.status == GateStatus.NETWORK]
        if unreachable:
            # The network, not the branch: refusing (or bisecting) over it would blame the code.
            raise Refused(
                f"could not verify {label}: gate {unreachable[0].gate.name!r} {unreachable[0].message}; "
                "nothing was decided: retry once the network is back"
            )
        if not outcome.results:
            # Passing with no gate would move a protected branch to an unverified commit.
            raise UsageError(
                f"no gate runs at stage {self.stage!r}: add {self.stage!r} to the `stages` of a gate "
                "(or drop `stages` to run it everywhere)"
            )
        self.checks += 1
        self.gate_runs += sum(1 for r in outcome.results if not r.cached)
        return outcome


def failure_summary(outcome: CheckOutcome, tail_lines: int = 30) -> str:
    """Which gate failed and the end of its output."""
    parts = []
    for result in outcome.results:
        if result.ok:
            continue
        lines = result.output_text.rstrip().splitlines()[-tail_lines:]
        body = "\n".join(f"    {line}" for line in lines)
        parts.append(
            f"gate {result.gate.name!r} {result.status} ({result.message})" + (f":\n{body}" if body else "")
        )
    return "\n".join(parts) or "no gate passed"

"""Plain-text reporting: each gate's output live under a header, heartbeats, a final summary."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, BinaryIO, TextIO

from gatekit.check.gates import GateResult, GateStatus
from gatekit.config import Gate
from gatekit.report.stream import ReaderSafeOutput
from gatekit.system.durations import format_duration

if TYPE_CHECKING:
    from gatekit.check.service import CheckOutcome, CheckPlan

_COLORS = {
    GateStatus.PASSED: "32",
    GateStatus.FAILED: "31",
    GateStatus.TIMED_OUT: "31",
    GateStatus.ERROR: "31",
    GateStatus.SKIPPED: "33",
    GateStatus.INTERRUPTED: "35",
    GateStatus.NETWORK: "33",
}


class TextReporter:
    """Streams to `out` (gate output and results) and `err` (notices)."""

    def __init__(
        self, out: BinaryIO | None = None, err: TextIO | None = None, *, color: bool = False
    ) -> None:
        self.out = ReaderSafeOutput(out or sys.stdout.buffer)
        self.err = err or sys.stderr
        self.color = color
        self._at_line_start = True

    # -- helpers ---------------------------------------------------------------------------
    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def line(self, text: str) -> None:
        if not self._at_line_start:
            self.out.write(b"\n")
        self.out.write(text.encode("utf-8", "replace") + b"\n")
        self._at_line_start = True

    def notice(self, message: str) -> None:
        self.err.write(f"gatekit: {message}\n")
        self.err.flush()

    # -- the check's life -------------------------------------------------------------------
    def check_started(self, plan: CheckPlan) -> None:
        self.line(self.paint(f"gatekit: checking {plan.subject.description}", "1") + f" {plan.where}")
        for reason in plan.reasons:
            self.line(f"gatekit: {reason}")
        names = ", ".join(g.name for g in plan.gates)
        self.line(f"gatekit: gates: {names}")

    def gate_started(self, gate: Gate) -> None:
        header = f"── {gate.name}: {gate.display_command}"
        if gate.cwd not in (".", ""):
            header += f"  (in {gate.cwd})"
        self.line(self.paint(header, "1;36"))

    def gate_output(self, gate: Gate, chunk: bytes) -> None:
        self.out.write(chunk)
        self._at_line_start = chunk.endswith(b"\n")

    def heartbeat(self, gate: Gate, elapsed: float, silent_for: float) -> None:
        self.line(
            f"{gate.name} still running: {format_duration(elapsed)}, last output {format_duration(silent_for)} ago"
        )

    def gate_finished(self, result: GateResult) -> None:
        status = self.paint(result.status, _COLORS.get(result.status, "0"))
        detail = f": {result.message}" if result.message else ""
        cached = " (verdict cached)" if result.cached else ""
        flaky = self.paint(" FLAKY: this tree passed before", "33") if result.flaky else ""
        self.line(
            f"── {result.gate.name} {status} in {format_duration(result.duration)}{cached}{detail}{flaky}"
        )

    def check_finished(self, outcome: CheckOutcome) -> None:
        self.line("")
        self.line(self.paint("Summary", "1"))
        width = max((len(r.gate.name) for r in outcome.results), default=4)
        for result in outcome.results:
            status = self.paint(f"{result.status.upper():<9}", _COLORS.get(result.status, "0"))
            note = result.message + (" (cached)" if result.cached else "")
            self.line(
                f"  {status} {result.gate.name:<{width}}  {format_duration(result.duration):>7}  {note}".rstrip()
            )
        self.line(f"gatekit: {outcome.headline}")
        for note in outcome.notes:
            self.line(self.paint(f"gatekit: note: {note}", "33"))

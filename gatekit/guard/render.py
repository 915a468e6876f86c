"""Text and JSON renderings of a clobber report, without click (the hook path renders too)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Callable

from gatekit.guard.signals import Report, Signal

_COLORS = {"high": "\033[1;31m", "medium": "\033[1;33m", "low": "\033[1;34m"}
_RESET = "\033[0m"


def report_json(report: Report, threshold: str) -> str:
    payload: dict[str, Any] = {
        "version": 1,  # the JSON schemas are in docs/fleet.md
        "session": report.session,
        "window": report.window,
        "threshold": threshold,
        "failed": any(s.at_least(threshold) for s in report.signals),
        "signals": [asdict(s) for s in report.signals],
    }
    return json.dumps(payload, indent=2, sort_keys=True)


def report_text(report: Report, color: bool = False) -> list[str]:
    """Lines of the human report: each signal with severity, evidence and the way back."""
    signals: Sequence[Signal] = report.signals
    who = f"session {report.session}" if report.session else "no session"
    if not signals:
        return [f"no clobber signals ({who}, {report.window})"]
    lines = [f"{len(signals)} clobber signal(s) ({who}, {report.window}):"]
    for signal in signals:
        label = f"{signal.severity.upper():<6}"
        if color:
            label = f"{_COLORS[signal.severity]}{label}{_RESET}"
        lines.append(f"{label} {signal.kind}: {signal.summary}")
        lines += [f"         path: {show_path(path)}" for path in signal.paths]
        for key, value in signal.evidence.items():
            if value not in (None, [], ""):
                lines.append(f"         {key}: {value}")
        lines.append(f"         way back: {signal.way_back}")
    return lines


def show_path(path: str) -> str:
    """A path as printed: quoted when it holds a newline or other control characters."""
    return repr(path) if any(ord(c) < 32 for c in path) else path


def emit_report(
    report: Report,
    threshold: str,
    fmt: str,
    color: bool,
    out: Callable[[str], None],
    err: Callable[[str], None],
) -> int:
    """Print the report; the exit code is 1 when a signal reaches the threshold."""
    failing = [s for s in report.signals if s.at_least(threshold)]
    if fmt == "json":
        out(report_json(report, threshold))
    else:
        for line in report_text(report, color):
            out(line)
        if failing:
            err(f"gatekit: {len(failing)} clobber signal(s) at or above {threshold}")
    return 1 if failing else 0

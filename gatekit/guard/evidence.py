"""A clobber signal: one piece of evidence, its severity and the way back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("low", "medium", "high")
# What a signal must reach to count (fail `clobber`, block a commit) unless [guard] severity says otherwise.
DEFAULT_SEVERITY = "medium"


@dataclass(frozen=True)
class Signal:
    """One piece of evidence of a clobber."""

    kind: str
    severity: str  # low | medium | high
    summary: str
    way_back: str
    paths: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def at_least(self, severity: str) -> bool:
        return SEVERITIES.index(self.severity) >= SEVERITIES.index(severity)


def iso(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def short(oid: str | None) -> str:
    return oid[:12] if oid else "(none)"


def quote(path: str) -> str:
    import shlex

    return shlex.quote(path)

"""`--format json`: gate output streams to stderr; one JSON document goes to stdout at the end.

The schema (version 1) is documented in README.md; keep the two in step.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from gatekit.check.gates import GateResult
from gatekit.report.text import TextReporter

if TYPE_CHECKING:
    from gatekit.check.service import CheckOutcome

SCHEMA_VERSION = 1


def result_json(result: GateResult) -> dict[str, Any]:
    gate = result.gate
    return {
        "name": gate.name,
        "command": gate.display_command,
        "cwd": gate.cwd,
        "origin": gate.origin,
        "status": result.status,
        "returncode": result.returncode,
        "duration": round(result.duration, 3),
        "cached": result.cached,
        "flaky": result.flaky,
        "message": result.message,
        "output_tail": result.output_text[-8192:],
    }


def outcome_json(outcome: CheckOutcome) -> dict[str, Any]:
    subject = outcome.subject
    return {
        "version": SCHEMA_VERSION,
        "passed": outcome.passed,
        "exit_code": outcome.exit_code,
        "headline": outcome.headline,
        "subject": {
            "kind": subject.kind,
            "tree": subject.tree,
            "commit": subject.commit,
            "description": subject.description,
        },
        "affected": outcome.affected.to_json() if outcome.affected is not None else None,
        "config": outcome.config_source,
        "notes": list(outcome.notes),
        "duration": round(outcome.duration, 3),
        "gates": [result_json(r) for r in outcome.results],
    }


class JsonReporter(TextReporter):
    """Human progress on stderr; the machine-readable document alone on stdout."""

    def __init__(self, stdout: TextIO | None = None, *, color: bool = False) -> None:
        super().__init__(out=sys.stderr.buffer, err=sys.stderr, color=color)
        self.stdout = stdout or sys.stdout

    def check_finished(self, outcome: CheckOutcome) -> None:
        super().check_finished(outcome)
        json.dump(outcome_json(outcome), self.stdout, indent=2)
        self.stdout.write("\n")
        self.stdout.flush()

"""Report files written at the end of a check: JUnit XML and a GitLab Code Quality report."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from gatekit.check.gates import GateStatus
from gatekit.report.github import tail_lines
from gatekit.system.files import atomic_write

if TYPE_CHECKING:
    from gatekit.check.service import CheckOutcome

JUNIT_TAIL_LINES = 200


def report_path_problem(path: Path) -> str | None:
    """Why a report could not be written at path, or None: asked before the gates run.

    Finding out after a ten-minute build that the report path is a directory wastes the build.
    """
    if path.is_dir():
        return "is a directory"
    parent = path.parent
    while not parent.exists():
        if parent == parent.parent:
            return "has no existing parent directory"
        parent = parent.parent
    if not parent.is_dir():
        return f"cannot be created: {parent} is a file, not a directory"
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return "is not writable"
    return None


def write_junit(outcome: CheckOutcome, path: Path) -> None:
    """One testcase per gate, with duration, failure message and the tail of its output."""
    from junit_xml import TestCase, TestSuite, to_xml_report_string

    cases = []
    for result in outcome.results:
        case = TestCase(
            result.gate.name,
            classname="gatekit",
            elapsed_sec=round(result.duration, 3),
            stdout=tail_lines(result.output_text, JUNIT_TAIL_LINES),
        )
        if result.status in (GateStatus.FAILED, GateStatus.TIMED_OUT):
            case.add_failure_info(
                message=f"{result.status}: {result.message}",
                output=tail_lines(result.output_text, JUNIT_TAIL_LINES),
            )
        elif result.status == GateStatus.ERROR:
            case.add_error_info(message=result.message)
        elif result.status == GateStatus.SKIPPED:
            case.add_skipped_info(message=result.message)
        cases.append(case)
    suite = TestSuite(f"gatekit: {outcome.subject.description}", cases)
    atomic_write(path, to_xml_report_string([suite], encoding="utf-8"), mode=0o600)


def write_codequality(outcome: CheckOutcome, path: Path) -> None:
    """GitLab Code Quality (CodeClimate subset): one issue per gate that did not pass."""
    issues = []
    for result in outcome.results:
        if result.ok:
            continue
        description = f"gatekit gate `{result.gate.name}` {result.status}: {result.message}"
        fingerprint = hashlib.sha256(f"{result.gate.name}\0{outcome.subject.tree}".encode()).hexdigest()
        issues.append(
            {
                "type": "issue",
                "check_name": f"gatekit/{result.gate.name}",
                "description": description,
                "categories": ["Bug Risk"],
                "severity": "blocker" if result.status != GateStatus.ERROR else "major",
                "fingerprint": fingerprint,
                "location": {"path": _config_path(outcome), "lines": {"begin": 1}},
            }
        )
    atomic_write(path, json.dumps(issues, indent=2) + "\n", mode=0o600)


def _config_path(outcome: CheckOutcome) -> str:
    source = outcome.config_source
    return os.path.basename(source) if source and source != "defaults" else "gatekit.toml"

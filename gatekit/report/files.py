"""Report files written at the end of a check: JUnit XML and a GitLab Code Quality report."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from gatekit.report.github import tail_lines

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


def _write_atomically(path: Path, data: str) -> None:
    """Write via a temp file and rename, so a killed run never leaves half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(data)
    os.replace(tmp, path)


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
        if result.status in ("failed", "timed out"):
            case.add_failure_info(
                message=f"{result.status}: {result.message}",
                output=tail_lines(result.output_text, JUNIT_TAIL_LINES),
            )
        elif result.status == "error":
            case.add_error_info(message=result.message)
        elif result.status == "skipped":
            case.add_skipped_info(message=result.message)
        cases.append(case)
    suite = TestSuite(f"gatekit: {outcome.subject.description}", cases)
    _write_atomically(path, to_xml_report_string([suite], encoding="utf-8"))


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
                "severity": "blocker" if result.status != "error" else "major",
                "fingerprint": fingerprint,
                "location": {"path": _config_path(outcome), "lines": {"begin": 1}},
            }
        )
    _write_atomically(path, json.dumps(issues, indent=2) + "\n")


def _config_path(outcome: CheckOutcome) -> str:
    source = outcome.config_source
    return os.path.basename(source) if source and source != "defaults" else "gatekit.toml"

"""Report files written at the end of a check: JUnit XML and a GitLab Code Quality report."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gatekit.check.gates import GateStatus
from gatekit.errors import GatekitError
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


def _write_report(path: Path, data: str) -> None:
    """Atomically, with the mode a plain `open` would give (0666 less the umask): the report is
    an artifact other users and processes read, not a private file."""
    atomic_write(path, data, mode=0o666 & ~_umask())


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_reports(outcome: CheckOutcome, junit: Path | None, codequality: Path | None) -> None:
    if junit is not None:
        write_junit(outcome, junit)
    if codequality is not None:
        write_codequality(outcome, codequality)


@contextlib.contextmanager
def reports_even_on_error(junit: Path | None, codequality: Path | None) -> Iterator[None]:
    """Run the body; if it fails with a gatekit error (exit 2: bad config, bad ref, a refused
    event), write the requested reports anyway, with the error as their one failure, so a CI
    pipeline shows why it stopped instead of a missing artifact."""
    try:
        yield
    except GatekitError as error:
        # Best effort: a report that cannot be written must not hide the error it reports.
        with contextlib.suppress(OSError):
            write_error_reports(error.message, junit, codequality)
        raise


def write_error_reports(message: str, junit: Path | None, codequality: Path | None) -> None:
    """Reports that say gatekit could not verify anything, and why."""
    from junit_xml import TestCase, TestSuite, to_xml_report_string

    if junit is not None:
        case = TestCase("gatekit", classname="gatekit")
        case.add_error_info(message=message)
        _write_report(junit, to_xml_report_string([TestSuite("gatekit", [case])], encoding="utf-8"))
    if codequality is not None:
        issue = _issue("gatekit", f"gatekit could not verify this pipeline: {message}", "blocker", ".")
        _write_report(codequality, json.dumps([issue], indent=2) + "\n")


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
        elif result.status in (GateStatus.ERROR, GateStatus.INTERRUPTED, GateStatus.NETWORK):
            case.add_error_info(message=f"{result.status}: {result.message}")
        elif result.status == GateStatus.SKIPPED:
            case.add_skipped_info(message=result.message)
        cases.append(case)
    suite = TestSuite(f"gatekit: {outcome.subject.description}", cases)
    _write_report(path, to_xml_report_string([suite], encoding="utf-8"))


def write_codequality(outcome: CheckOutcome, path: Path) -> None:
    """GitLab Code Quality (CodeClimate subset): one issue per gate that did not pass.

    Each issue points at the file that defines the gate (gatekit.toml, or the manifest a gate
    was detected from), and its fingerprint is the gate and that file, so the same failure on
    the next commit is the same issue to GitLab, not a new one.
    """
    issues = []
    for result in outcome.results:
        if result.ok:
            continue
        description = f"gatekit gate `{result.gate.name}` {result.status}: {result.message}"
        severity = "blocker" if result.status != GateStatus.ERROR else "major"
        issues.append(_issue(result.gate.name, description, severity, gate_location(result.gate.origin)))
    _write_report(path, json.dumps(issues, indent=2) + "\n")


def _issue(gate: str, description: str, severity: str, location: str) -> dict[str, object]:
    return {
        "type": "issue",
        "check_name": f"gatekit/{gate}",
        "description": description,
        "categories": ["Bug Risk"],
        "severity": severity,
        "fingerprint": hashlib.sha256(f"{gate}\0{location}".encode()).hexdigest(),
        "location": {"path": location, "lines": {"begin": 1}},
    }


_DETECTED = re.compile(r"^detected: [^(]*\((?P<manifest>.+)\)$")


def gate_location(origin: str) -> str:
    """The repository-relative file a gate comes from: its config file, or the manifest it was
    detected from; the repository root when it has neither (a merge conflict)."""
    detected = _DETECTED.match(origin)
    if detected:
        return detected.group("manifest")
    # A committed config's origin says where it was read: "gatekit.toml at main"; the file is first.
    origin = origin.split(" at ", 1)[0]
    if origin and origin != "gatekit" and not os.path.isabs(origin):
        return origin
    return "."

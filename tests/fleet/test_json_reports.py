"""Every report a script reads is one JSON object with a schema version (docs/fleet.md)."""

from __future__ import annotations

import json

import pytest

from testing.repo import Repo


@pytest.mark.parametrize(
    "command",
    [["status"], ["overlap"], ["overlap", "--staged"], ["doctor"], ["rescue"], ["clobber"]],
)
def test_each_json_report_is_a_versioned_object(repo: Repo, command: list[str]) -> None:
    result = repo.gatekit(*command, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert isinstance(report, dict) and report["version"] == 1

from __future__ import annotations

import json

from testing.repo import Repo


def test_status_and_doctor_do_not_list_gatekit_sandboxes(repo: Repo) -> None:
    repo.write("gatekit.toml", '[[gates]]\nname = "ok"\nrun = "true"\n')
    repo.commit("gate")
    assert repo.gatekit("check").returncode == 0  # creates sandbox slot-0, a repository of its own
    assert "slot-0" not in repo.git("worktree", "list")
    status = json.loads(repo.gatekit("status", "--format", "json").stdout)
    rows = status["rows"]
    assert len(rows) == 1
    doctor = repo.gatekit("doctor")
    assert "slot-0" not in doctor.stdout
    assert doctor.returncode == 0, doctor.stdout

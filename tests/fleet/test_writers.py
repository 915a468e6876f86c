"""One writer per change: names that point at the same work are one writer with several names."""

from __future__ import annotations

import json
from pathlib import Path

from testing.landing import branch_with
from testing.repo import Repo
from tests.fleet.test_overlap import DB_PY


def overlap_json(repo: Repo) -> dict:
    result = repo.gatekit("overlap", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def two_writers_on_save(repo: Repo) -> None:
    repo.commit("db", {"app/db.py": DB_PY})
    branch_with(repo, "feature", {"app/db.py": DB_PY.replace("validate(record)", "validate(record, 1)")})
    branch_with(repo, "other", {"app/db.py": DB_PY.replace("flush()", "flush(2)")})


def test_a_detached_worktree_at_a_branch_tip_is_the_same_writer(repo: Repo, tmp_path: Path) -> None:
    two_writers_on_save(repo)
    repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "review"), "feature")
    report = overlap_json(repo)
    assert [d["writers"] for d in report["definitions"]] == [["feature", "other"]]
    feature = next(w for w in report["writers"] if w["name"] == "feature")
    assert feature["aliases"] == [f"{tmp_path / 'review'} (detached)"]
    assert feature["worktree"] == str(tmp_path / "review")
    assert len(report["writers"]) == 2


def test_a_backup_branch_is_the_same_writer(repo: Repo) -> None:
    two_writers_on_save(repo)
    repo.git("branch", "feature-backup", "feature")
    report = overlap_json(repo)
    assert [d["writers"] for d in report["definitions"]] == [["feature", "other"]]
    assert [(w["name"], w["aliases"]) for w in report["writers"]] == [
        ("feature", ["feature-backup"]),
        ("other", []),
    ]
    assert report["files"] == [{"path": "app/db.py", "writers": ["feature", "other"]}]


def test_the_same_patch_on_another_base_is_the_same_writer(repo: Repo) -> None:
    two_writers_on_save(repo)
    repo.commit("unrelated", {"README.md": "readme\n"})
    feature = repo.rev("feature")
    branch_with(
        repo, "feature-rebased", {"app/db.py": DB_PY.replace("validate(record)", "validate(record, 1)")}
    )
    report = overlap_json(repo)
    assert feature != repo.rev("feature-rebased")
    assert [d["writers"] for d in report["definitions"]] == [["feature", "other"]]
    assert report["conflicts"] == []


def test_copies_of_one_change_do_not_make_a_magnet(repo: Repo) -> None:
    two_writers_on_save(repo)
    for copy in ("feature-backup", "feature-old"):
        repo.git("branch", copy, "feature")
    report = overlap_json(repo)
    # two branches plus the commit that created the file: below three only if copies count once
    assert report["magnets"] == [{"path": "app/db.py", "branches": 3}]
    repo.git("branch", "-D", "other")
    assert overlap_json(repo)["magnets"] == []

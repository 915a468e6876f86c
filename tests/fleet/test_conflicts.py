"""Predicted conflicts: every pair git would report, and each branch against the target's tip."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from testing.fleet import numbered_lines, real_merge_conflicts
from testing.landing import branch_with
from testing.repo import Repo


def overlap_json(repo: Repo) -> dict:
    result = repo.gatekit("overlap", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def predicted_pairs(report: dict) -> set[frozenset[str]]:
    return {frozenset((c["ours"], c["theirs"])) for c in report["conflicts"]}


def test_a_file_directory_clash_is_a_predicted_conflict(repo: Repo, tmp_path: Path) -> None:
    repo.commit("base", {"README.md": "hello\n"})
    branch_with(repo, "config-file", {"config": "debug = true\n"})
    branch_with(repo, "config-dir", {"config/app.toml": "debug = false\n"})
    report = overlap_json(repo)
    assert real_merge_conflicts(repo, tmp_path / "scratch", "config-file", "config-dir") is not None
    assert predicted_pairs(report) == {frozenset(("config-file", "config-dir"))}


def test_a_directory_renamed_while_another_branch_adds_inside_it_is_a_predicted_conflict(
    repo: Repo, tmp_path: Path
) -> None:
    body = numbered_lines(30)
    repo.commit("base", {"lib/a.py": body, "lib/b.py": body + "b\n", "README.md": "x\n"})
    branch_with(
        repo, "move-lib", {"lib/a.py": None, "lib/b.py": None, "src/a.py": body, "src/b.py": body + "b\n"}
    )
    branch_with(repo, "add-to-lib", {"lib/c.py": "c = 1\n"})
    report = overlap_json(repo)
    assert real_merge_conflicts(repo, tmp_path / "scratch", "move-lib", "add-to-lib") is not None
    assert predicted_pairs(report) == {frozenset(("move-lib", "add-to-lib"))}


def test_unrelated_directories_are_not_paired(repo: Repo, tmp_path: Path) -> None:
    repo.commit("base", {"lib/a.py": numbered_lines(10), "docs/x.md": "x\n"})
    branch_with(repo, "one", {"lib/a.py": None, "lib2/a.py": numbered_lines(10)})
    branch_with(repo, "two", {"docs/y.md": "y\n"})
    assert overlap_json(repo)["conflicts"] == []


def test_a_branch_that_conflicts_with_the_target_tip_is_reported(repo: Repo, tmp_path: Path) -> None:
    base = numbered_lines(20)
    repo.commit("base", {"shared.txt": base, "other.txt": base})
    branch_with(repo, "stale", {"shared.txt": base.replace("line 4\n", "mine\n")})
    branch_with(repo, "fine", {"other.txt": base.replace("line 4\n", "ok\n")})
    repo.commit("main moves on", {"shared.txt": base.replace("line 4\n", "main's\n")})
    report = overlap_json(repo)
    assert real_merge_conflicts(repo, tmp_path / "scratch", "main", "stale") == {"shared.txt"}
    assert real_merge_conflicts(repo, tmp_path / "scratch", "main", "fine") is None
    assert report["target_conflicts"] == [{"writer": "stale", "paths": ["shared.txt"]}]
    assert "stale + main (the target's tip): shared.txt" in repo.gatekit("overlap").stdout


def test_every_pair_git_would_report_is_predicted(repo: Repo, tmp_path: Path) -> None:
    base = numbered_lines(30)
    repo.commit("base", {"lib/a.py": base, "lib/b.py": base + "b\n", "shared.txt": base, "docs": "doc\n"})
    branch_with(
        repo, "move-lib", {"lib/a.py": None, "lib/b.py": None, "src/a.py": base, "src/b.py": base + "b\n"}
    )
    branch_with(repo, "add-to-lib", {"lib/c.py": "c = 1\n"})
    branch_with(repo, "docs-dir", {"docs": None, "docs/index.md": "index\n"})
    branch_with(repo, "docs-edit", {"docs": "doc 2\n"})
    branch_with(repo, "line-3", {"shared.txt": base.replace("line 3\n", "three\n")})
    branch_with(repo, "line-3-too", {"shared.txt": base.replace("line 3\n", "drei\n")})
    report = overlap_json(repo)
    names = [w["name"] for w in report["writers"]]
    actual = {
        frozenset(pair)
        for pair in itertools.combinations(names, 2)
        if real_merge_conflicts(repo, tmp_path / "scratch", *pair) is not None
    }
    assert predicted_pairs(report) == actual
    assert len(actual) == 3


def test_a_renamed_file_is_compared_by_its_definitions_not_as_a_deletion(repo: Repo, tmp_path: Path) -> None:
    from tests.fleet.test_overlap import DB_PY

    repo.commit("db", {"lib/db.py": DB_PY})
    moved = DB_PY.replace("validate(record)", "validate(record, strict=True)")
    branch_with(repo, "move-and-edit-save", {"lib/db.py": None, "src/db.py": moved})
    branch_with(repo, "edit-load", {"lib/db.py": DB_PY.replace("return 2", "return 20")})
    branch_with(repo, "edit-save", {"lib/db.py": DB_PY.replace("flush()", "flush(sync=True)")})
    report = overlap_json(repo)
    shared = [(d["path"], d["qualname"], d["writers"]) for d in report["definitions"]]
    assert shared == [("lib/db.py", "save", ["edit-save", "move-and-edit-save"])]
    assert real_merge_conflicts(repo, tmp_path / "scratch", "move-and-edit-save", "edit-load") is None
    assert predicted_pairs(report) == set()

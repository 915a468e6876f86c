"""overlap on a project history with known overlapping branches: precision and recall of 1.0
for shared definitions, and for predicted conflicts against what `git merge` really does."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from testing.fleet import real_merge_conflicts
from testing.history import BACKUPS, BRANCHES, SHARED_DEFINITIONS, build_history


def precision_recall(found: set, truth: set) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


def test_overlap_on_the_project_history_matches_the_maintainers_truth(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = build_history(tmp_path / "project", git_env)
    result = repo.gatekit("overlap", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(w["name"] for w in report["writers"]) == sorted(BRANCHES)
    aliases = {w["name"]: w["aliases"] for w in report["writers"]}
    assert all(aliases[original] == [backup] for backup, original in BACKUPS.items())

    found = {(d["path"], d["qualname"], frozenset(d["writers"])) for d in report["definitions"]}
    truth = {(path, name, writers) for (path, name), writers in SHARED_DEFINITIONS.items()}
    assert precision_recall(found, truth) == (1.0, 1.0), (found - truth, truth - found)

    predicted = {frozenset((c["ours"], c["theirs"])) for c in report["conflicts"]}
    actual = {
        frozenset(pair)
        for pair in itertools.combinations(sorted(BRANCHES), 2)
        if real_merge_conflicts(repo, tmp_path / "scratch", *pair) is not None
    }
    assert actual, "the history is meant to hold real conflicts too"
    assert precision_recall(predicted, actual) == (1.0, 1.0), (predicted - actual, actual - predicted)

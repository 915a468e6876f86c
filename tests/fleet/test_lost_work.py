"""doctor and rescue agree on what is lost: the user's commits that no ref or reflog reaches.

Fetched-and-dropped history is someone else's, reflog-reachable commits are still safe (rescue
lists them), gatekit's own throwaway commits are gatekit's."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from testing.fleet import numbered_lines
from testing.repo import Repo, init_repo


def doctor(repo: Repo, **env: str) -> dict:
    result = repo.gatekit("doctor", "--format", "json", env=env)
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert result.returncode == (1 if report["findings"] else 0)
    return report


def lost_in_doctor(repo: Repo) -> set[str]:
    return {f["commit"] for f in doctor(repo)["findings"] if f["kind"] == "orphaned-commit"}


def lost_in_rescue(repo: Repo) -> set[str]:
    result = repo.gatekit("rescue", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1
    return {i["commit"] for i in report["items"] if i["kind"] == "orphaned-commit" and i["lost"]}


def orphan(repo: Repo, message: str, **env: str) -> str:
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    run_env = {**repo.env, **env}
    out = Repo(repo.path, run_env).git("commit-tree", tree, "-p", "HEAD", "-m", message)
    return out.strip()


def test_fetched_and_dropped_pull_refs_are_not_lost_work(tmp_path: Path, git_env: dict[str, str]) -> None:
    upstream = init_repo(tmp_path / "upstream", git_env, {"a.txt": numbered_lines(5)})
    others = {**git_env, "GIT_COMMITTER_NAME": "Hub", "GIT_COMMITTER_EMAIL": "noreply@hub.example"}
    contributor = Repo(upstream.path, others)
    for n in range(3):
        contributor.git("checkout", "-q", "-b", f"pr-{n}", "main")
        contributor.commit(f"pull request {n}", {f"pr{n}.txt": f"{n}\n"})
        contributor.git("update-ref", f"refs/pull/{n}/head", "HEAD")
    contributor.git("checkout", "-q", "main")
    for n in range(3):
        contributor.git("branch", "-q", "-D", f"pr-{n}")  # only refs/pull/* keep them
    clone_path = tmp_path / "clone"
    upstream.git("clone", "-q", str(upstream.path), str(clone_path))
    clone = Repo(clone_path, git_env)
    clone.git("fetch", "-q", "origin", "+refs/pull/*:refs/pull/*")
    for n in range(3):
        clone.git("update-ref", "-d", f"refs/pull/{n}/head")  # its reflog goes with it
    assert len(clone.git("fsck", "--dangling", "--no-progress").split("dangling commit")) == 4
    report = doctor(clone)
    assert report["findings"] == []
    assert report["lost_work"]["fetched"] == 3
    assert lost_in_rescue(clone) == set()
    text = clone.gatekit("doctor")
    assert text.returncode == 0
    assert text.stdout.splitlines() == [
        "no problems found",
        "unreachable commits that are not lost work: 3 fetched and dropped (someone else's)",
    ]


def test_a_lost_commit_whose_subject_starts_with_gatekit_is_reported_by_both(repo: Repo) -> None:
    mine = orphan(repo, "gatekit: tune the overlap docs")
    assert lost_in_doctor(repo) == {mine}
    assert lost_in_rescue(repo) == {mine}


def test_gatekits_own_throwaway_commits_are_classified_not_reported(repo: Repo, tmp_path: Path) -> None:
    repo.commit("base", {"a.py": "def f():\n    return 1\n"})
    wt = repo.worktree_add(tmp_path / "dirty", "dirty")
    wt.write("a.py", "def f():\n    return 2\n")  # overlap captures it as a state commit
    assert repo.gatekit("overlap").returncode == 0
    orphan(repo, "gatekit: replay ours")
    report = doctor(repo)
    assert report["findings"] == []
    assert report["lost_work"]["gatekit"] == 2
    assert lost_in_rescue(repo) == set()


def test_a_commit_only_a_reflog_reaches_is_classified_and_rescue_lists_it(repo: Repo) -> None:
    repo.commit("keep", {"a.txt": "1\n"})
    undone = repo.commit("undone", {"a.txt": "2\n"})
    repo.git("reset", "-q", "--hard", "HEAD~1")
    report = doctor(repo)
    assert report["findings"] == []
    assert report["lost_work"]["reflog"] == 1
    result = json.loads(repo.gatekit("rescue", "--format", "json").stdout)
    assert [(i["commit"], i["lost"]) for i in result["items"] if i["kind"] == "orphaned-commit"] == [
        (undone, False)
    ]


def test_doctor_classifies_many_lost_commits_with_a_fixed_number_of_git_calls(
    repo: Repo, tmp_path: Path
) -> None:
    tree = repo.git("rev-parse", "HEAD^{tree}").strip()
    head = repo.rev()

    def lose(count: int) -> None:
        for n in range(count):
            repo.git("commit-tree", tree, "-p", head, "-m", f"lost {n} {time.time()}")

    def git_calls(trace: Path) -> list[str]:
        report = doctor(repo, GIT_TRACE=str(trace))
        assert all(f["kind"] == "orphaned-commit" for f in report["findings"])
        return re.findall(r"trace: built-in: git (\S+)", trace.read_text())

    lose(10)
    few = git_calls(tmp_path / "few")
    lose(60)
    many = git_calls(tmp_path / "many")
    assert len(doctor(repo)["findings"]) == 70
    assert sorted(few) == sorted(many)
    assert many.count("cat-file") == 1

"""Objects read from their loose files, cat-file for the rest, and facts kept between hook runs:
with the answers of `git cat-file` itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit.git.memo import remembered
from gatekit.git.object_reader import FACTS_FILE, object_reader, read_loose
from testing.repo import Repo


def cat_file(repo: Repo, oid: str) -> tuple[str, bytes]:
    kind = repo.git("cat-file", "-t", oid).strip()
    import subprocess

    content = subprocess.run(
        ["git", "cat-file", kind, oid], cwd=repo.path, env=repo.env, capture_output=True, check=True
    ).stdout
    return kind, content


def git_starts(trace: Path) -> list[str]:
    if not trace.exists():
        return []
    return [line for line in trace.read_text().splitlines() if " start " in line]


@pytest.fixture
def traced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))
    return trace


def test_loose_objects_read_from_their_files_as_cat_file_shows_them(repo: Repo) -> None:
    repo.commit("more", {"x.txt": "x\n", "bin.dat": b"\0\1\2"})
    repo.git("tag", "-a", "-m", "annotated", "v1")
    objects = repo.path / ".git" / "objects"
    for name in ("HEAD", "HEAD^{tree}", "HEAD:x.txt", "HEAD:bin.dat", "v1"):
        oid = repo.rev(name)
        assert read_loose(objects, oid) == cat_file(repo, oid), name
    assert read_loose(objects, "0" * 40) is None


def test_a_hook_run_reads_loose_objects_without_git_and_keeps_facts_for_the_next(
    repo: Repo, traced: Path
) -> None:
    head, tree = repo.rev(), repo.rev("HEAD^{tree}")
    with remembered(), object_reader(repo.path) as reader:
        assert reader.fact(head) == f"commit {tree}"
        assert reader.read(tree)[1] == "tree"  # type: ignore[index]
    assert git_starts(traced) == []
    repo.git("repack", "-adq")  # every object packed: only git can read them now
    assert read_loose(repo.path / ".git" / "objects", head) is None
    with remembered(), object_reader(repo.path) as reader:
        assert reader.fact(head) == f"commit {tree}"  # kept from the last run
    assert git_starts(traced) == []
    assert f"{head} commit {tree}" in (repo.path / ".git" / "gatekit" / FACTS_FILE).read_text()
    with remembered(), object_reader(repo.path) as reader:
        assert reader.read(tree)[1] == "tree"  # type: ignore[index]
    assert [line for line in git_starts(traced) if "cat-file --batch" in line]


def test_replace_refs_leave_every_answer_to_git(repo: Repo, traced: Path) -> None:
    first = repo.rev()
    second = repo.commit("second", {"y.txt": "y\n"})
    repo.git("replace", first, second)
    with remembered(), object_reader(repo.path) as reader:
        assert reader.common_dir is None
        assert reader.fact(first) == f"commit {repo.rev(f'{second}^{{tree}}')}"  # what git shows
    assert [line for line in git_starts(traced) if "cat-file --batch" in line]

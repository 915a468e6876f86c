from __future__ import annotations

from gatekit import git
from testing.repo import Repo


def test_diff_hunks_pairs_exact_paths_with_their_hunks(repo: Repo) -> None:
    repo.commit(
        "base",
        {"x y.txt": "a\nb\nc\n", "gone\nline.txt": "q\n", "bin.dat": b"\0one", "-dash.txt": "1\n"},
    )
    base = repo.rev()
    (repo.path / "gone\nline.txt").unlink()
    (repo.path / "bin.dat").chmod(0o755)
    repo.commit(
        "change",
        {"x y.txt": "a\nB\nc\nd\n", "bin.dat": b"\0two", "café.txt": "new\n", "-dash.txt": "2\n"},
    )
    diffs = {d.path: d for d in git.diff_hunks(repo.path, base, "HEAD")}
    assert set(diffs) == {"x y.txt", "gone\nline.txt", "bin.dat", "café.txt", "-dash.txt"}
    assert diffs["x y.txt"].hunks == ((2, 1, 2, 1), (3, 0, 4, 1))
    assert diffs["gone\nline.txt"].status == "D" and diffs["gone\nline.txt"].hunks == ((1, 1, 0, 0),)
    assert diffs["bin.dat"].hunks == ()  # binary: no hunks, but still paired correctly
    assert diffs["café.txt"].old_oid == git.NULL_OID and diffs["café.txt"].hunks == ((0, 0, 1, 1),)
    blobs = git.read_blobs(repo.path, [diffs["café.txt"].new_oid, diffs["bin.dat"].new_oid])
    assert blobs == {diffs["café.txt"].new_oid: b"new\n", diffs["bin.dat"].new_oid: b"\0two"}


def test_worktree_state_commit_leaves_index_and_files_alone(repo: Repo) -> None:
    from testing.state import capture_state

    repo.write("README.md", "edited\n")
    repo.write("new file.txt", "untracked\n")
    repo.write(".gitignore", "*.log\n")
    repo.write("debug.log", "ignored\n")
    before = capture_state(repo.path, repo.env)
    commit = git.worktree_state_commit(repo.path, repo.rev(), "state\n")
    assert capture_state(repo.path, repo.env) == before
    assert repo.git("show", f"{commit}:README.md") == "edited\n"
    assert repo.git("show", f"{commit}:new file.txt") == "untracked\n"
    assert "debug.log" not in repo.git("ls-tree", "-r", "--name-only", commit)
    assert repo.git("rev-parse", f"{commit}^").strip() == repo.rev()


def test_unmerged_commit_count_ignores_the_branch_itself(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("one", {"a.txt": "1\n"})
    repo.commit("two", {"a.txt": "2\n"})
    assert git.unmerged_commit_count(repo.path, "HEAD", "topic") == 2
    repo.git("branch", "backup")
    assert git.unmerged_commit_count(repo.path, "HEAD", "topic") == 0

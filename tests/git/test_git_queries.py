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


def test_diff_hunks_many_matches_one_diff_per_pair_on_nasty_paths(repo: Repo) -> None:
    repo.commit("base", {"x y.txt": "a\nb\nc\n", "gone\nline.txt": "q\n", "bin.dat": b"\0one"})
    base = repo.rev()
    repo.git("checkout", "-q", "-b", "one")
    (repo.path / "gone\nline.txt").unlink()
    one = repo.commit("one", {"x y.txt": "a\nB\nc\nd\n", "bin.dat": b"\0two", "-dash.txt": "1\n"})
    repo.git("checkout", "-q", "-b", "two", base)
    two = repo.commit("two", {"café.txt": "new\n", "diff --git a b\n.txt": "tricky\n"})
    repo.git("checkout", "-q", "main")
    pairs = [(base, one), (base, base), (one, two), (base, two), (base, one)]  # an empty and a repeat
    batched = git.diff_hunks_many(repo.path, pairs)
    assert set(batched) == set(pairs)
    for base_rev, head in pairs:
        assert batched[(base_rev, head)] == git.diff_hunks(repo.path, base_rev, head), (base_rev, head)
    assert batched[(base, base)] == []
    assert {d.path for d in batched[(base, one)]} == {"x y.txt", "gone\nline.txt", "bin.dat", "-dash.txt"}


def test_merge_bases_agree_with_git_merge_base_in_every_shape(repo: Repo) -> None:
    root = repo.rev()
    repo.commit("main 1", {"m.txt": "1\n"})
    repo.git("branch", "plain")  # at a commit main already has
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic 1", {"t.txt": "1\n"})
    repo.git("checkout", "-q", "-b", "stacked")
    repo.commit("stacked 1", {"s.txt": "1\n"})
    repo.git("checkout", "-q", "-b", "merged-main", "topic")
    repo.git("checkout", "-q", "main")
    repo.commit("main 2", {"m.txt": "2\n"})
    repo.git("checkout", "-q", "merged-main")
    repo.git("merge", "-q", "--no-edit", "main")  # main merged in: two boundary commits
    repo.commit("after the merge", {"t.txt": "2\n"})
    repo.git("checkout", "-q", "--orphan", "unrelated")
    repo.git("rm", "-q", "-rf", ".")
    repo.commit("unrelated root", {"u.txt": "1\n"})
    repo.git("checkout", "-q", "main")
    heads = [repo.rev(b) for b in ("plain", "topic", "stacked", "merged-main", "unrelated", "main")] + [root]
    bases = git.merge_bases(repo.path, repo.rev("main"), heads)
    for head in heads:
        assert bases[head] == git.merge_base(repo.path, "main", head), head
    assert bases[repo.rev("unrelated")] is None

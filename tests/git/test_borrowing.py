"""A repository that borrows another's objects: its HEAD and refs made the lender's in one go."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit import git
from gatekit.git.borrowing import refs_in_files
from testing.repo import Repo


@pytest.fixture
def borrower(repo: Repo, tmp_path: Path) -> Repo:
    path = tmp_path / "borrower"
    git.init_borrowing(path, repo.path / ".git" / "objects", "sha1")
    return Repo(path, repo.env)


def refs_of(repo: Repo) -> dict[str, str]:
    out = repo.git("for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ") for line in out.splitlines())


def test_refs_and_a_detached_head_are_the_lenders_whatever_the_last_gate_left(
    repo: Repo, borrower: Repo
) -> None:
    first = repo.rev()
    second = repo.commit("second", {"x.txt": "x\n"})
    repo.git("tag", "-a", "-m", "annotated", "v1", first)
    repo.git("branch", "a/b", first)  # borrower's refs/heads/a below clashes with it (D/F)
    repo.git("update-ref", "refs/remotes/origin/main", first)
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    git.checkout_tree(borrower.path, repo.rev("HEAD^{tree}"))
    git.mirror_refs(git.get_repo_paths(repo.path), borrower.path, head=second)
    assert refs_of(borrower) == refs_of(repo)
    assert borrower.rev() == second and borrower.git("symbolic-ref", "-q", "HEAD", check=False) == ""
    # What a gate may do: branches, a D/F clash, a symbolic ref, the stash, packed refs, HEAD on a branch.
    borrower.git("update-ref", "-d", "refs/heads/a/b")
    borrower.git("branch", "a", first)
    borrower.git("tag", "gates-own", first)
    borrower.git("symbolic-ref", "refs/heads/alias", "refs/heads/main")
    borrower.write("x.txt", "edited\n")
    borrower.git("stash", "-q")
    borrower.git("pack-refs", "--all")
    borrower.git("update-ref", "refs/heads/main", first)
    borrower.git("checkout", "-q", "main")
    git.checkout_tree(borrower.path, repo.rev(f"{first}^{{tree}}"))
    git.mirror_refs(git.get_repo_paths(repo.path), borrower.path, head=first)
    assert refs_of(borrower) == refs_of(repo)
    assert borrower.rev() == first and borrower.git("symbolic-ref", "-q", "HEAD", check=False) == ""
    assert borrower.git("stash", "list") == ""


def test_nothing_is_written_when_head_and_refs_already_match(repo: Repo, borrower: Repo) -> None:
    git.checkout_tree(borrower.path, repo.rev("HEAD^{tree}"))
    git.mirror_refs(git.get_repo_paths(repo.path), borrower.path, head=repo.rev())
    log = borrower.path / ".git" / "logs" / "HEAD"
    before = log.read_bytes()
    git.mirror_refs(git.get_repo_paths(repo.path), borrower.path, head=repo.rev())
    assert log.read_bytes() == before
    # Read from their files, as git lists them (a symbolic ref with its target's id).
    assert refs_in_files(borrower.path / ".git", ("refs/",)) == refs_of(borrower)
    repo.git("update-ref", "refs/remotes/origin/main", repo.rev())
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    repo.git("pack-refs", "--all")
    repo.git("tag", "loose", repo.rev())
    mirrored = ("refs/heads/", "refs/tags/", "refs/remotes/")
    assert refs_in_files(repo.path / ".git", mirrored) == refs_of(repo)


def test_a_ref_file_git_would_not_list_leaves_the_mirror_to_git(repo: Repo, borrower: Repo) -> None:
    git.checkout_tree(borrower.path, repo.rev("HEAD^{tree}"))
    git.mirror_refs(git.get_repo_paths(repo.path), borrower.path, head=repo.rev())
    (borrower.path / ".git" / "refs" / "heads" / "bad..name").write_text(repo.rev() + "\n")
    borrower.git("branch", "gates-own")
    second = repo.commit("second", {"x.txt": "x\n"})
    git.mirror_refs(git.get_repo_paths(repo.path), borrower.path, head=second)
    assert refs_of(borrower) == refs_of(repo) and borrower.rev() == second


def test_a_new_subject_moves_head_and_branches_without_a_git_process(
    repo: Repo, borrower: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check of a new commit moves the sandbox's detached HEAD and the branch that gained
    it: done as git does it (a .lock, then a rename), with no update-ref process; git reads the
    result. A deletion, or a name git would judge, is git's to do."""
    paths = git.get_repo_paths(repo.path)
    git.checkout_tree(borrower.path, repo.rev("HEAD^{tree}"))
    git.mirror_refs(paths, borrower.path, head=repo.rev())
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE2", str(trace))

    def mirrored_alone(head: str) -> bool:
        trace.write_text("")
        git.mirror_refs(paths, borrower.path, head=head)
        assert refs_of(borrower) == refs_of(repo)
        assert borrower.rev() == head and borrower.git("symbolic-ref", "-q", "HEAD", check=False) == ""
        assert not list((borrower.path / ".git").rglob("*.lock"))
        return not [line for line in trace.read_text().splitlines() if " start " in line]

    second = repo.commit("second", {"x.txt": "x\n"})  # the branch gains a commit
    repo.git("tag", "v1", second)
    repo.git("branch", "new/topic", second)
    assert mirrored_alone(second)
    repo.git("pack-refs", "--all")
    third = repo.commit("third", {"x.txt": "3\n"})  # over a packed ref
    assert mirrored_alone(third)
    repo.git("branch", "-D", "new/topic")  # a deletion
    assert not mirrored_alone(third)
    repo.git("branch", "caf\u00e9")  # a name git judges
    assert not mirrored_alone(third)
    # HEAD.lock held (a git process of a gate's, killed): git is asked, and says why it cannot.
    (borrower.path / ".git" / "HEAD.lock").write_text("")
    with pytest.raises(Exception, match="HEAD.lock"):
        git.mirror_refs(paths, borrower.path, head=second)
    assert borrower.rev() == third

"""Reading a note with the notes commit it came from: what `git notes show` says, in one process."""

from __future__ import annotations

import pytest

from gatekit import git
from testing.repo import Repo

REF = "refs/notes/gatekit"


def notes_commit_with(repo: Repo, note_oid: str, blob: str, levels: int) -> str:
    """A notes commit holding blob as the note of note_oid, `levels` directories deep."""
    parts = [note_oid[2 * i : 2 * i + 2] for i in range(levels)] + [note_oid[2 * levels :]]
    entry = f"100644 blob {blob}\t{parts[-1]}\n"
    other = repo.git("hash-object", "-w", "--stdin", input=b"another object's note\n").strip()
    siblings = f"100644 blob {other}\t{'f' * (len(note_oid) - 2 * levels)}\n"
    tree = repo.git("mktree", input=(entry + siblings).encode()).strip()
    for name in reversed(parts[:-1]):
        tree = repo.git("mktree", input=f"040000 tree {tree}\t{name}\n".encode()).strip()
    commit = repo.git("commit-tree", tree, "-m", "notes").strip()
    repo.git("update-ref", REF, commit)
    return commit


def test_a_note_and_the_commit_it_was_read_from(repo: Repo) -> None:
    tree = repo.rev("HEAD^{tree}")
    assert git.notes_read(repo.path, REF, tree) == git.NoteRead("", None)  # no notes ref yet
    repo.git("notes", f"--ref={REF}", "add", "-m", "verdicts", tree)
    read = git.notes_read(repo.path, REF, tree)
    assert read == git.NoteRead(repo.rev(REF), "verdicts\n")
    assert git.notes_read(repo.path, REF, repo.rev()) == git.NoteRead(repo.rev(REF), None)


@pytest.mark.parametrize("levels", [0, 1, 2])
def test_a_note_is_found_at_any_fanout_as_git_finds_it(repo: Repo, levels: int) -> None:
    tree = repo.rev("HEAD^{tree}")
    blob = repo.git("hash-object", "-w", "--stdin", input=b'{"fp":"x"}\nline two\n').strip()
    commit = notes_commit_with(repo, tree, blob, levels)
    shown = repo.git("notes", f"--ref={REF}", "show", tree)
    assert git.notes_read(repo.path, REF, tree) == git.NoteRead(commit, shown)


def test_the_ref_value_is_read_from_loose_and_packed_files_as_git_reads_it(repo: Repo) -> None:
    common = repo.path / ".git"
    assert git.ref_value(repo.path, common, REF) == ""
    repo.git("notes", f"--ref={REF}", "add", "-m", "one", "HEAD")
    first = repo.rev(REF)
    assert git.ref_value(repo.path, common, REF) == first
    repo.git("pack-refs", "--all")
    assert not (common / REF).exists()
    assert git.ref_value(repo.path, common, REF) == first
    repo.git("notes", f"--ref={REF}", "add", "-f", "-m", "two", "HEAD")  # loose again, over the packed one
    assert git.ref_value(repo.path, common, REF) == repo.rev(REF) != first
    repo.git("update-ref", "-d", REF)
    assert git.ref_value(repo.path, common, REF) == ""

"""Reflog reading: the file parser, the `git log -g` fallback, and window positions."""

from __future__ import annotations

from pathlib import Path

from gatekit import git
from gatekit.guard.observe import window_start
from gatekit.guard.reflog import _parse_git_log, parse_reflog, read_reflog
from testing.repo import Repo


def _history(repo: Repo) -> None:
    repo.commit("two", {"b.txt": "b\n"})
    repo.git("reset", "--hard", "HEAD~1")
    repo.git("checkout", "-q", "-b", "side")
    repo.git("reset", "--hard", "HEAD")


def test_file_parser_and_git_fallback_agree(repo: Repo) -> None:
    _history(repo)
    log = repo.path / ".git" / "logs" / "HEAD"
    from_file = parse_reflog(log.read_bytes())
    from_git = _parse_git_log(git.reflog_entries_raw(repo.path, "HEAD"))
    assert [(e.new, e.time, e.message) for e in from_file] == [(e.new, e.time, e.message) for e in from_git]
    assert [e.old for e in from_file[1:]] == [e.old for e in from_git[1:]]
    assert from_file[-1].message == "reset: moving to HEAD" and from_file[-1].is_reset
    assert from_file[-2].is_checkout
    assert from_file[-1].selector("HEAD", len(from_file)) == "HEAD@{0}"


def test_missing_reflog_file_without_reftable_is_empty(repo: Repo) -> None:
    common = repo.path / ".git"
    assert len(read_reflog(common / "logs" / "refs" / "stash", repo.path, "refs/stash", common)) == 0


def test_reftable_style_repository_falls_back_to_git(repo: Repo, tmp_path: Path) -> None:
    _history(repo)
    fake_common = tmp_path / "common"
    (fake_common / "reftable").mkdir(parents=True)
    entries = read_reflog(tmp_path / "no-such-log", repo.path, "HEAD", fake_common)
    assert [e.message for e in entries][-1] == "reset: moving to HEAD"
    assert len(entries) == len(parse_reflog((repo.path / ".git" / "logs" / "HEAD").read_bytes()))


def test_identity_with_odd_characters_still_parses_time() -> None:
    line = b"0" * 40 + b" " + b"1" * 40 + b" Odd > Name <weird@x> 1700000123 +0100\tcommit: msg \xc3\xa9\n"
    (entry,) = parse_reflog(line)
    assert entry.time == 1700000123 and entry.message == "commit: msg é"


def test_window_start_survives_a_rewritten_reflog(repo: Repo) -> None:
    _history(repo)
    entries = parse_reflog((repo.path / ".git" / "logs" / "HEAD").read_bytes())
    mark = entries[2]
    assert window_start(entries, 3, mark.key) == 3
    repo.git("reflog", "delete", "HEAD@{4}")  # the oldest entry goes; positions shift by one
    shifted = parse_reflog((repo.path / ".git" / "logs" / "HEAD").read_bytes())
    assert window_start(shifted, 3, mark.key) == 2
    assert window_start(shifted, 0, None) == 0

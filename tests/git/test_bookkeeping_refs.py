"""gatekit's own refs -- verdict notes, snapshots, the commits a guard kept -- are its
bookkeeping, not the user's work: writing them runs none of the repository's hooks.

Every ref update starts the reference-transaction hook twice (prepared, committed): for a
verdict that cost more than the note itself, on every commit.
"""

from __future__ import annotations

import stat
from pathlib import Path

from testing.repo import Repo

LOGGER = '#!/bin/sh\n{ echo "$1"; cat; } >> "$(git rev-parse --git-common-dir)/transactions.log"\n'


def hooked(repo: Repo) -> Path:
    """A reference-transaction hook that logs every transaction; the log."""
    hook = repo.path / ".git" / "hooks" / "reference-transaction"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(LOGGER)
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    return repo.path / ".git" / "transactions.log"


def test_a_verdict_note_runs_no_hook(repo: Repo) -> None:
    log = hooked(repo)
    repo.write("gatekit.toml", '[[gates]]\nname = "noop"\nrun = ["true"]\n')
    repo.commit("gate")
    log.unlink(missing_ok=True)
    result = repo.gatekit("check", "--rev", "HEAD")
    assert result.returncode == 0, result.stderr
    assert repo.git("notes", "--ref=refs/notes/gatekit", "list").strip(), "a verdict was recorded"
    assert not log.exists() or "refs/notes/gatekit" not in log.read_text(), log.read_text()


def test_a_snapshot_runs_no_hook_and_a_users_ref_update_still_does(repo: Repo) -> None:
    log = hooked(repo)
    repo.write("draft.txt", "not committed\n")
    result = repo.gatekit("snapshot", "--reason", "test")
    assert result.returncode == 0, result.stderr
    assert repo.git("for-each-ref", "refs/gatekit/snapshots/").strip(), "a snapshot was taken"
    assert not log.exists() or "refs/gatekit/" not in log.read_text(), log.read_text()
    repo.git("branch", "topic")
    assert "refs/heads/topic" in log.read_text()

"""`gatekit clobber`: signals from real git operations by other writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.guard import Writer, latest_snapshot_id
from testing.repo import Repo

NASTY = ["with space.txt", "café.txt", "-leading-dash.txt", "new\nline.txt", "dir with space/ü.txt"]


def signals_of(result_stdout: str) -> list[dict]:
    return json.loads(result_stdout)["signals"]


def kinds(writer: Writer, *args: str) -> list[str]:
    result = writer.clobber("--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    return [s["kind"] for s in signals_of(result.stdout)]


def test_clobber_reports_reset_and_reverted_edit_and_rescue_restores_them(make_repo) -> None:
    repo: Repo = make_repo("repo", {"owned.txt": "base\n", "other.txt": "x\n"})
    a = Writer(repo, "A").start("owned.txt")
    edit = b"base\nA's unstaged work \xe2\x9c\x93\r\n\x00binary tail"
    repo.write("owned.txt", edit)
    a.checkpoint()
    # B's commit protocol, in the same worktree.
    repo.git("stash")
    repo.git("reset", "--hard", "HEAD")

    result = a.clobber("--format", "json")
    assert result.returncode == 1, result.stderr
    found = signals_of(result.stdout)
    resets = [s for s in found if s["kind"] == "unexplained-reset"]
    assert resets and all(s["severity"] == "high" for s in resets)
    assert resets[-1]["evidence"]["message"] == "reset: moving to HEAD"
    assert resets[-1]["evidence"]["reflog"] == "HEAD@{0}"
    reverted = [s for s in found if s["kind"] == "reverted-edit"]
    assert [s["paths"] for s in reverted] == [["owned.txt"]]
    assert reverted[0]["evidence"]["before"] == reverted[0]["evidence"]["now"]
    assert "stash-push" in [s["kind"] for s in found]
    assert repo.read("owned.txt") == b"base\n"

    text = a.clobber()
    assert text.returncode == 1
    assert "way back: gatekit rescue --restore snapshot:" in text.stdout

    restored = repo.gatekit("rescue", "--restore", latest_snapshot_id(repo), "owned.txt")
    assert restored.returncode == 0, restored.stderr
    assert repo.read("owned.txt") == edit
    assert kinds(a) and "reverted-edit" not in kinds(a)


def test_clobber_names_the_session_owning_foreign_files(make_repo) -> None:
    repo = make_repo("repo", {"a/keep.txt": "a\n", "b/old.txt": "old\n"})
    a = Writer(repo, "alice").start("a/**")
    b = Writer(repo, "bob").start("b/")
    repo.write("b/new.txt", "created by bob\n")
    repo.write("b/old.txt", "modified by bob\n")
    b.checkpoint()
    repo.write("stray.txt", "nobody's\n")

    result = a.clobber("--format", "json")
    assert result.returncode == 1
    foreign = {s["evidence"]["owner"]: s for s in signals_of(result.stdout) if s["kind"] == "foreign-files"}
    assert sorted(foreign["bob"]["paths"]) == ["b/new.txt", "b/old.txt"]
    assert "bob" in foreign["bob"]["summary"]
    assert foreign[None]["paths"] == ["stray.txt"]
    # Bob sees alice's nothing, but the stray file is foreign to him too.
    bob_view = signals_of(b.clobber("--format", "json").stdout)
    assert [s["paths"] for s in bob_view if s["kind"] == "foreign-files"] == [["stray.txt"]]


def test_declared_reset_is_not_reported_but_a_second_one_is(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    assert a.gatekit("session", "declare", "reset").returncode == 0
    repo.git("reset", "--hard", "HEAD")
    assert "unexplained-reset" not in kinds(a)
    assert a.clobber().returncode == 0
    repo.git("reset", "--hard", "HEAD")
    assert kinds(a).count("unexplained-reset") == 1


def test_declared_checkout_of_a_path_makes_its_revert_a_note(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    repo.write("README.md", "experiment\n")
    a.checkpoint()
    assert a.gatekit("session", "declare", "checkout").returncode == 0
    repo.git("checkout", "--", "README.md")
    result = a.clobber("--format", "json")
    assert result.returncode == 0
    assert [(s["kind"], s["severity"]) for s in signals_of(result.stdout)] == [("reverted-edit", "low")]


def test_session_run_explains_its_own_stash_and_reset(repo: Repo) -> None:
    a = Writer(repo, "A").start("README.md")
    repo.write("README.md", "edited\n")
    a.checkpoint()
    run = a.gatekit("session", "run", "--", "git", "stash", "-q")
    assert run.returncode == 0, run.stderr
    assert repo.git("stash", "list").strip()
    assert kinds(a) == []
    assert a.gatekit("session", "run", "--", "git", "stash", "pop", "-q").returncode == 0
    assert kinds(a) == []


def test_declared_stash_explains_the_stash_and_its_internal_reset(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    repo.write("README.md", "mine\n")
    a.checkpoint()
    assert a.gatekit("session", "declare", "stash").returncode == 0
    repo.git("stash")
    result = a.clobber("--format", "json")
    assert result.returncode == 0
    # Its own stash took its edit away: noted, at low severity, never a refusal.
    assert [(s["kind"], s["severity"]) for s in signals_of(result.stdout)] == [("reverted-edit", "low")]


def test_checkpoint_warns_about_the_signals_it_leaves_behind(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    repo.git("reset", "--hard", "HEAD")
    result = a.checkpoint()
    assert "unexplained-reset" in result.stderr
    assert a.clobber().returncode == 0
    # ... and never launders them: the journal keeps what the new window no longer shows.
    from gatekit.guard import journal

    kept = [
        r for r in journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl") if r["op"] == "checkpoint"
    ]
    assert [s["kind"] for s in kept[-1]["signals"]] == ["unexplained-reset"] and kept[-1]["session"] == "A"


def test_linked_worktree_reads_its_own_reflog(repo: Repo, tmp_path: Path) -> None:
    linked = repo.worktree_add(tmp_path / "linked wt", "feature")
    main_writer = Writer(repo, "M").start()
    linked_writer = Writer(linked, "L").start()
    linked.git("reset", "--hard", "HEAD")
    assert kinds(linked_writer) == ["unexplained-reset"]
    assert kinds(main_writer) == []
    listing = repo.gatekit("session", "list", "--format", "json")
    rows = {row["name"]: row for row in json.loads(listing.stdout)}
    assert rows["L"]["worktree"] == str(linked.path) and rows["L"]["worktree_id"] != "main"
    assert rows["M"]["worktree_id"] == "main"


def test_detached_head_under_a_session_is_head_moved(repo: Repo) -> None:
    repo.commit("second", {"f.txt": "2\n"})
    a = Writer(repo, "A").start()
    repo.git("checkout", "-q", "--detach", "HEAD~1")
    result = a.clobber("--format", "json")
    assert result.returncode == 1
    moved = [s for s in signals_of(result.stdout) if s["kind"] == "head-moved"]
    assert moved and moved[0]["evidence"]["was_branch"] == "main" and moved[0]["evidence"]["branch"] is None
    assert any("checkout: moving from main" in m for m in moved[0]["evidence"]["reflog"])


def test_detached_head_without_a_session_is_only_a_note(repo: Repo) -> None:
    repo.git("checkout", "-q", "--detach")
    result = repo.gatekit("clobber", "--format", "json")
    assert result.returncode == 0
    assert [(s["kind"], s["severity"]) for s in signals_of(result.stdout)] == [("detached-head", "low")]


def test_branch_switch_under_a_session_is_reported(repo: Repo) -> None:
    repo.branch("other")
    a = Writer(repo, "A").start()
    repo.checkout("other")
    assert "head-moved" in kinds(a)


def test_stale_index_lock_is_reported_with_its_path(repo: Repo, tmp_path: Path) -> None:
    linked = repo.worktree_add(tmp_path / "wt", "feature")
    lock = Path(linked.git("rev-parse", "--path-format=absolute", "--git-path", "index.lock").strip())
    lock.write_bytes(b"")
    result = linked.gatekit("clobber", "--format", "json")
    assert result.returncode == 1
    stale = [s for s in signals_of(result.stdout) if s["kind"] == "stale-lock"]
    assert stale and stale[0]["evidence"]["lock"] == str(lock)
    assert repo.gatekit("clobber").returncode == 0  # the main worktree's index is not locked


def test_orphaned_commit_after_reset_hard_head_1(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    lost = repo.commit("work that will be orphaned", {"w.txt": "w\n"})
    repo.git("reset", "--hard", "HEAD~1")
    result = a.clobber("--format", "json")
    found = signals_of(result.stdout)
    orphans = [s for s in found if s["kind"] == "orphaned-commit"]
    assert [s["evidence"]["commit"] for s in orphans] == [lost]
    assert lost in orphans[0]["way_back"]
    assert "unexplained-reset" in [s["kind"] for s in found]
    assert result.returncode == 1
    rescue = repo.gatekit("rescue", "--format", "json")
    assert f"commit:{lost[:12]}" in [item["id"] for item in json.loads(rescue.stdout)["items"]]


def test_since_ref_and_duration_windows_without_a_session(repo: Repo) -> None:
    repo.git("reset", "--hard", "HEAD")
    assert repo.gatekit("clobber").returncode == 0  # no baseline: the reflog is not guessed at
    by_ref = repo.gatekit("clobber", "--since", "HEAD@{1}", "--format", "json")
    assert [s["kind"] for s in signals_of(by_ref.stdout)] == ["unexplained-reset"]
    by_commit = repo.gatekit("clobber", "--since", "HEAD", "--format", "json")
    assert [s["kind"] for s in signals_of(by_commit.stdout)] == ["unexplained-reset"]


def test_since_duration_covers_only_recent_entries(repo: Repo) -> None:
    repo.git("reset", "--hard", "HEAD")  # dated 2023 by the hermetic environment
    now_env = {k: v for k, v in repo.env.items() if k not in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    Repo(repo.path, now_env).git("reset", "--hard", "HEAD")
    recent = repo.gatekit("clobber", "--since", "10m", "--format", "json")
    assert recent.returncode == 1
    resets = [s for s in signals_of(recent.stdout) if s["kind"] == "unexplained-reset"]
    assert [s["evidence"]["reflog"] for s in resets] == ["HEAD@{0}"]
    assert len(signals_of(repo.gatekit("clobber", "--since", "1000w", "--format", "json").stdout)) == 2


@pytest.mark.parametrize("since", ["yesterday-ish", "HEAD@{99}", "-x", "start"])
def test_bad_since_is_a_usage_error(repo: Repo, since: str) -> None:
    result = repo.gatekit("clobber", "--since", since)
    assert result.returncode == 2
    assert "gatekit:" in result.stderr and "Traceback" not in result.stderr


def test_unknown_session_is_a_usage_error(repo: Repo) -> None:
    result = repo.gatekit("clobber", env={"GATEKIT_SESSION": "ghost"})
    assert result.returncode == 2
    assert "no session named 'ghost'" in result.stderr


def test_clean_worktree_has_no_signals(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    result = a.clobber()
    assert result.returncode == 0
    assert "no clobber signals" in result.stdout


@pytest.mark.parametrize("name", NASTY)
def test_nasty_paths_reverted_and_restored_byte_for_byte(make_repo, name: str) -> None:
    repo = make_repo("repo", {name: "original\n"})
    a = Writer(repo, "A").start()
    repo.write(name, b"edited \xc3\xa9\n")
    a.checkpoint(name)
    repo.git("checkout", "--", ".")
    result = a.clobber("--format", "json")
    assert result.returncode == 1
    assert [s["paths"] for s in signals_of(result.stdout) if s["kind"] == "reverted-edit"] == [[name]]
    restored = repo.gatekit("rescue", "--restore", latest_snapshot_id(repo), "--", name)
    assert restored.returncode == 0, restored.stderr
    assert repo.read(name) == b"edited \xc3\xa9\n"


@pytest.mark.parametrize("name", NASTY)
def test_nasty_untracked_paths_are_foreign_to_a_claiming_session(repo: Repo, name: str) -> None:
    a = Writer(repo, "A").start("mine/")
    repo.write(name, "from someone else\n")
    result = a.clobber("--format", "json")
    assert result.returncode == 1
    assert [s["paths"] for s in signals_of(result.stdout) if s["kind"] == "foreign-files"] == [[name]]


def test_staged_refuses_files_claimed_by_another_session(repo: Repo) -> None:
    Writer(repo, "B").start("theirs/")
    a = Writer(repo, "A").start("mine.txt")
    repo.write("mine.txt", "a\n")
    repo.write("theirs/x.txt", "b\n")
    a.checkpoint()
    repo.git("add", "mine.txt")
    assert a.clobber("--staged").returncode == 0
    repo.git("add", "theirs/x.txt")
    result = a.clobber("--staged", "--format", "json")
    assert result.returncode == 1
    staged = [s for s in signals_of(result.stdout) if s["kind"] == "staged-foreign"]
    assert [s["paths"] for s in staged] == [["theirs/x.txt"]] and staged[0]["evidence"]["owner"] == "B"
    # A human without a session is refused the claimed file too (the hook path).
    human = repo.gatekit("clobber", "--staged", "--severity", "high")
    assert human.returncode == 1 and "theirs/x.txt" in human.stdout


def test_staged_refuses_files_this_session_never_touched(repo: Repo) -> None:
    a = Writer(repo, "A").start()
    repo.write("touched.txt", "mine\n")
    a.checkpoint("touched.txt")
    repo.write("untouched.txt", "someone's\n")
    repo.git("add", "touched.txt", "untouched.txt")
    result = a.clobber("--staged", "--format", "json")
    staged = [s for s in signals_of(result.stdout) if s["kind"] == "staged-foreign"]
    assert [s["paths"] for s in staged] == [["untouched.txt"]]
    assert "never touched" in staged[0]["summary"]


def test_hook_lets_a_clean_commit_through_despite_git_holding_index_lock(repo: Repo) -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    pythonpath = str(Path(__file__).resolve().parents[2])
    hook.write_text(f"#!/bin/sh\nPYTHONPATH={pythonpath} exec python -m gatekit clobber --staged\n")
    hook.chmod(0o755)
    repo.write("mine.txt", "mine\n")
    repo.git("add", "mine.txt")
    before = repo.rev()
    repo.git("commit", "-q", "-m", "an ordinary commit")
    assert repo.rev() != before


@pytest.mark.parametrize("commit_all", [False, True])
def test_staged_check_runs_inside_a_real_commit_hook(repo: Repo, commit_all: bool) -> None:
    repo.commit("tracked", {"theirs.txt": "v1\n"})
    Writer(repo, "B").start("theirs.txt")
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    pythonpath = str(Path(__file__).resolve().parents[2])
    hook.write_text(
        f"#!/bin/sh\nPYTHONPATH={pythonpath} exec python -m gatekit clobber --staged --severity high\n"
    )
    hook.chmod(0o755)
    repo.write("theirs.txt", "v2 by someone\n")
    if commit_all:  # git points GIT_INDEX_FILE at a temporary index holding the change
        args = ["commit", "-q", "-a", "-m", "taking B's file"]
    else:
        repo.git("add", "theirs.txt")
        args = ["commit", "-q", "-m", "taking B's file"]
    before = repo.rev()
    repo.git(*args, check=False)
    assert repo.rev() == before
    assert repo.read("theirs.txt") == b"v2 by someone\n"


def test_clobber_signals_for_fleet_merges_every_sessions_view(repo: Repo, tmp_path: Path) -> None:
    from gatekit.guard.signals import clobber_signals

    linked = repo.worktree_add(tmp_path / "wt", "feature")
    Writer(linked, "A").start("a/")
    Writer(linked, "B").start("b/")
    linked.git("reset", "--hard", "HEAD")
    found = clobber_signals(linked.path)
    assert [s.kind for s in found].count("unexplained-reset") == 1
    assert clobber_signals(repo.path) == []


def test_stash_with_a_message_here_is_high_and_one_from_a_sibling_worktree_is_low(
    repo: Repo, tmp_path: Path
) -> None:
    linked = repo.worktree_add(tmp_path / "sibling", "feature")
    a = Writer(repo, "A").start()
    linked.write("README.md", "sibling's work\n")
    linked.git("stash", "push", "-m", "sibling stash")
    found = signals_of(a.clobber("--format", "json").stdout)
    assert [(s["kind"], s["severity"]) for s in found] == [("stash-push", "low")]
    repo.write("README.md", "here\n")
    repo.git("stash", "push", "-m", "with a message")
    found = signals_of(a.clobber("--format", "json").stdout)
    pushes = sorted((s["evidence"]["message"], s["severity"]) for s in found if s["kind"] == "stash-push")
    assert pushes == [("On feature: sibling stash", "low"), ("On main: with a message", "high")]


def test_edit_on_top_of_the_sessions_own_commit_wiped_by_reset_hard_head(repo: Repo) -> None:
    a = Writer(repo, "A").start("f.txt")
    repo.write("f.txt", "first version\n")
    a.checkpoint()
    repo.commit("A commits f", {})
    repo.write("f.txt", "second version, unstaged\n")
    a.checkpoint()
    repo.git("reset", "--hard", "HEAD")  # another writer: back to the committed first version
    result = a.clobber("--format", "json")
    reverted = [s for s in signals_of(result.stdout) if s["kind"] == "reverted-edit"]
    assert [s["paths"] for s in reverted] == [["f.txt"]]
    assert reverted[0]["evidence"]["now"] == reverted[0]["evidence"]["head_at_checkpoint"]
    assert result.returncode == 1


def test_own_further_edits_are_not_a_revert(repo: Repo) -> None:
    a = Writer(repo, "A").start("f.txt")
    repo.write("f.txt", "one\n")
    a.checkpoint()
    repo.write("f.txt", "two\n")
    assert a.clobber().returncode == 0

"""`gatekit rescue`: list what can be recovered; `--restore` writes it back, carefully."""

from __future__ import annotations

import json
from pathlib import Path

from testing.guard import Writer, latest_snapshot_id, snapshot_refs
from testing.repo import Repo


def items(repo: Repo) -> list[dict]:
    result = repo.gatekit("rescue", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1
    return report["items"]


def test_rescue_lists_snapshots_stash_entries_and_orphaned_commits_with_diffstats(
    repo: Repo,
) -> None:
    repo.write("README.md", "hello\nsnapshotted line\n")
    assert repo.gatekit("snapshot").returncode == 0
    repo.git("stash")
    lost = repo.commit("lost", {"lost.txt": "l\n"})
    repo.git("reset", "--hard", "HEAD~1")
    found = {item["kind"]: item for item in items(repo)}
    assert found["snapshot"]["diffstat"] == [["README.md", 1, 0]]
    stash = repo.rev("stash@{0}")
    assert found["stash"]["id"] == f"stash:{stash}" and found["stash"]["paths"] == ["README.md"]
    assert found["orphaned-commit"]["id"] == f"commit:{lost[:12]}"
    assert found["orphaned-commit"]["diffstat"] == [["lost.txt", 1, 0]]
    text = repo.gatekit("rescue").stdout
    assert f"stash:{stash}" in text and "(now stash@{0})" in text and "+1 -0" in text


def test_dangling_blob_of_wiped_staged_content_is_matched_to_its_path(repo: Repo) -> None:
    repo.commit("file", {"src/module.py": "".join(f"line {i}\n" for i in range(30))})
    staged = "".join(f"line {i}\n" for i in range(30)) + "a staged addition\n"
    repo.write("src/module.py", staged)
    repo.git("add", "src/module.py")
    blob = repo.git("rev-parse", ":src/module.py").strip()
    repo.git("reset", "-q", "--hard", "HEAD")
    blobs = [item for item in items(repo) if item["kind"] == "blob"]
    assert [b["id"] for b in blobs] == [f"blob:{blob[:12]}"]
    assert blobs[0]["paths"] == ["src/module.py"]
    assert blobs[0]["diffstat"] == [["src/module.py", 1, 0]]
    restored = repo.gatekit("rescue", "--restore", f"blob:{blob[:12]}", "src/module.py")
    assert restored.returncode == 0, restored.stderr
    assert repo.read("src/module.py").decode() == staged


def test_restore_refuses_to_overwrite_uncommitted_changes_without_force(repo: Repo) -> None:
    repo.write("README.md", "version in snapshot\n")
    assert repo.gatekit("snapshot").returncode == 0
    snap = latest_snapshot_id(repo)
    repo.write("README.md", "newer uncommitted work\n")
    refused = repo.gatekit("rescue", "--restore", snap)
    assert refused.returncode == 1
    assert "README.md" in refused.stderr and "--force" in refused.stderr
    assert repo.read("README.md") == b"newer uncommitted work\n"

    forced = repo.gatekit("rescue", "--restore", snap, "--force")
    assert forced.returncode == 0, forced.stderr
    assert repo.read("README.md") == b"version in snapshot\n"
    assert "taken before overwriting" in forced.stdout
    newest = sorted(snapshot_refs(repo))[-1]
    assert repo.git("show", f"{newest}:README.md") == "newer uncommitted work\n"


def test_restore_from_a_stash_entry_with_untracked_files(repo: Repo) -> None:
    repo.write("README.md", "stashed edit\n")
    repo.write("fresh.txt", "untracked, stashed with -u\n")
    repo.git("stash", "-u")
    done = repo.gatekit("rescue", "--restore", "stash@{0}", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)["written"]) == ["README.md", "fresh.txt"]
    assert repo.read("fresh.txt") == b"untracked, stashed with -u\n"
    assert repo.git("stash", "list").strip()  # the stash itself is left alone


def test_restore_from_a_stash_named_by_commit_id_after_a_newer_push(repo: Repo) -> None:
    repo.write("README.md", "first stash\n")
    repo.write("fresh.txt", "untracked in the first stash\n")
    repo.git("stash", "-u")
    first = repo.rev("stash@{0}")
    repo.write("README.md", "second stash\n")
    repo.git("stash")  # stash@{0} is now another entry; the commit id still names the first
    done = repo.gatekit("rescue", "--restore", f"stash:{first}", "--force")
    assert done.returncode == 0, done.stderr
    assert (
        repo.read("README.md") == b"first stash\n"
        and repo.read("fresh.txt") == b"untracked in the first stash\n"
    )


def test_restore_does_not_touch_index_or_other_paths(repo: Repo) -> None:
    repo.commit("two files", {"a.txt": "a\n", "b.txt": "b\n"})
    w = Writer(repo, "A").start()
    repo.write("a.txt", "a edited\n")
    repo.write("b.txt", "b edited\n")
    w.checkpoint()
    repo.git("reset", "-q", "--hard")
    index_before = (repo.path / ".git" / "index").read_bytes()
    assert repo.gatekit("rescue", "--restore", latest_snapshot_id(repo), "a.txt").returncode == 0
    assert repo.read("a.txt") == b"a edited\n"
    assert repo.read("b.txt") == b"b\n"
    assert (repo.path / ".git" / "index").read_bytes() == index_before


def test_restore_with_bad_handles_is_a_usage_error(repo: Repo) -> None:
    for handle in ("snapshot:main/1", "nope", "--force", "HEAD^{tree}"):
        result = repo.gatekit("rescue", "--restore", handle)
        assert result.returncode == 2, (handle, result.stderr)
        assert "Traceback" not in result.stderr
    assert repo.gatekit("rescue", "some/path").returncode == 2


def test_forced_restore_never_writes_through_a_symlinked_directory(repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo.commit("dir", {"d/file.txt": "tracked\n"})
    repo.write("d/file.txt", "snapshotted work\n")
    assert repo.gatekit("snapshot").returncode == 0
    snap = latest_snapshot_id(repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.txt").write_text("someone else's file\n")
    (repo.path / "d" / "file.txt").unlink()
    (repo.path / "d").rmdir()
    (repo.path / "d").symlink_to(outside, target_is_directory=True)

    result = repo.gatekit("rescue", "--restore", snap, "d/file.txt", "--force")

    assert result.returncode == 1, result.stderr
    assert "symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert (outside / "file.txt").read_text() == "someone else's file\n"


def test_snapshots_of_a_removed_worktree_appear_in_rescue(repo: Repo, tmp_path: Path) -> None:
    linked = repo.worktree_add(tmp_path / "linked", "side")
    linked.write("README.md", "work in a worktree about to be removed\n")
    assert linked.gatekit("snapshot").returncode == 0
    repo.git("worktree", "remove", "--force", str(linked.path))
    snaps = [i for i in items(repo) if i["kind"] == "snapshot"]
    assert snaps and "removed worktree" in snaps[0]["note"]
    doctor = repo.gatekit("doctor")
    assert "removed-worktree-snapshots" in doctor.stdout and snaps[0]["id"] in doctor.stdout
    done = repo.gatekit("rescue", "--restore", snaps[0]["id"], "--force")
    assert done.returncode == 0, done.stderr
    assert repo.read("README.md") == b"work in a worktree about to be removed\n"


def test_dangling_blob_of_a_wiped_new_binary_file_gets_its_path_from_a_snapshot(repo: Repo) -> None:
    first = bytes(range(256)) * 8
    repo.write("assets/logo.bin", first)
    repo.git("add", "assets/logo.bin")
    assert repo.gatekit("snapshot").returncode == 0
    second = first[:-16] + bytes(16)
    repo.write("assets/logo.bin", second)
    repo.git("add", "assets/logo.bin")  # this version is only in the index
    repo.git("reset", "--hard")  # unguarded: the file and its staged blob are gone
    blobs = [i for i in items(repo) if i["kind"] == "blob"]
    assert blobs and blobs[0]["paths"] == ["assets/logo.bin"], blobs
    done = repo.gatekit("rescue", "--restore", blobs[0]["id"])
    assert done.returncode == 0, done.stderr
    assert repo.read("assets/logo.bin") == second

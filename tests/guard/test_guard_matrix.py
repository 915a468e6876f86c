"""Destructive operations x kinds of uncommitted work, with zero setup: through the git shim and
through an agent hook, every lost version is predicted, snapshotted, detected by `gatekit
clobber` and restored byte for byte (issue 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.guard import journal
from testing.repo import Repo, gatekit_env

OPS = [
    "reset --hard",
    "checkout -- .",
    "checkout -f",
    "checkout -- u.txt",
    "restore .",
    "restore -SW .",
    "restore --staged .",
    "switch --discard-changes main",
    "stash",
    "stash -u",
    "stash -a",
    "stash --keep-index",
    "stash push -- u.txt",
    "clean -f",
    "clean -fd",
    "clean -fdx",
    "reset --merge",
    "reset",
    "nuke",  # alias.nuke = reset --hard, from git config
    "scrub",  # alias.scrub = !git stash -u, a shell alias
]
ALIASES = {"nuke": "reset --hard", "scrub": "!git stash -u"}
BINARY = bytes(range(256)) * 4
TRACKED = {
    "u.txt": b"u\n",
    "s.txt": b"s\n",
    "p.txt": b"p\n",
    "bin.dat": b"\x00old",
    "sp ace.txt": b"x\n",
    "run.sh": b"#!/bin/sh\n",
}


def make_work(repo: Repo) -> None:
    """One of each kind: unstaged, staged, partly staged, untracked, new directory, binary,
    odd names, executable, ignored."""
    repo.write(".gitignore", "*.log\n")
    for path, data in TRACKED.items():
        repo.write(path, data)
    repo.write("run.sh", b"#!/bin/sh\n", mode=0o755)
    repo.commit("tracked files")
    for name, value in ALIASES.items():
        repo.git("config", f"alias.{name}", value)
    repo.write("u.txt", b"unstaged edit\n")
    repo.write("s.txt", b"staged edit\n")
    repo.git("add", "s.txt")
    repo.write("p.txt", b"staged part\n")
    repo.git("add", "p.txt")
    repo.write("p.txt", b"staged part\nthen more\n")
    repo.write("bin.dat", BINARY)
    repo.write("sp ace.txt", b"odd tracked edit\n")
    repo.write("run.sh", b"#!/bin/sh\necho edited\n", mode=0o755)
    repo.write("new.txt", b"untracked\n")
    repo.write("newdir/a.txt", b"in a new dir\n")
    repo.write("newdir/sub/b.bin", BINARY[:100])
    repo.write("café.txt", b"accent\n")
    repo.write("-lead.txt", b"leading dash\n")
    repo.write("new\nline.txt", b"newline in name\n")
    repo.write("debug.log", b"ignored\n")


def worktree_state(root: Path) -> dict[str, tuple[bytes, bool]]:
    state = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            full = Path(folder, name)
            state[os.path.relpath(full, root)] = (full.read_bytes(), os.access(full, os.X_OK))
    return state


def index_state(repo: Repo) -> dict[str, str]:
    out = repo.git("ls-files", "-s", "-z")
    entries = {}
    for record in out.split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            entries[path] = meta.split()[1]
    return entries


def head_blobs(repo: Repo) -> dict[str, str]:
    out = repo.git("ls-tree", "-r", "-z", "HEAD")
    return {r.split("\t", 1)[1]: r.split()[2] for r in out.split("\0") if r}


def run_op(repo: Repo, mode: str, op: str, shim_dir: Path) -> subprocess.CompletedProcess[bytes]:
    env = gatekit_env(repo.env)
    if mode == "shim":
        env["PATH"] = f"{shim_dir}{os.pathsep}{env['PATH']}"
        return subprocess.run(["git", *op.split()], cwd=repo.path, env=env, capture_output=True, timeout=120)
    payload = json.dumps(
        {
            "session_id": "me",
            "cwd": str(repo.path),
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": f"git {op}"},
        }
    )
    hook = subprocess.run(
        [sys.executable, "-m", "gatekit", "agent", "pre-tool", "--host", "claude-code"],
        cwd=repo.path,
        env=env,
        input=payload.encode(),
        capture_output=True,
        timeout=120,
    )
    assert hook.returncode == 0 and b'"deny"' not in hook.stdout, hook
    return subprocess.run(["git", *op.split()], cwd=repo.path, env=env, capture_output=True, timeout=120)


@pytest.fixture
def shim_dir(repo: Repo, tmp_path: Path) -> Path:
    result = repo.gatekit("shim", "install", "--dir", str(tmp_path / "shim"))
    assert result.returncode == 0, result.stderr
    return tmp_path / "shim"


@pytest.mark.parametrize("mode", ["shim", "claude-code"])
@pytest.mark.parametrize("op", OPS)
def test_destructive_op_over_every_kind_of_work_is_recoverable(
    repo: Repo, shim_dir: Path, mode: str, op: str
) -> None:
    make_work(repo)
    assert_recoverable(repo, mode, op, shim_dir)


@pytest.mark.parametrize("mode", ["shim", "claude-code"])
def test_rebase_skip_over_resolved_and_edited_work_is_recoverable(
    repo: Repo, shim_dir: Path, mode: str
) -> None:
    repo.commit("base", {"c.txt": "base\n", "other.txt": "other\n", "bin.dat": b"\x00old"})
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic change", {"c.txt": "topic\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main change", {"c.txt": "main\n"})
    repo.git("checkout", "-q", "topic")
    repo.git("rebase", "main", check=False)
    assert (repo.path / ".git" / "rebase-merge").is_dir()  # stopped on the conflict
    repo.write("c.txt", b"resolved by hand\n")
    repo.git("add", "c.txt")
    repo.write("other.txt", b"edited while the rebase was stopped\n")
    repo.write("bin.dat", BINARY)
    repo.git("add", "bin.dat")
    repo.write("bin.dat", BINARY + b"more")
    assert_recoverable(repo, mode, "rebase --skip", shim_dir, must_lose={"c.txt", "other.txt", "bin.dat"})


def assert_recoverable(
    repo: Repo, mode: str, op: str, shim_dir: Path, must_lose: set[str] = frozenset()
) -> None:
    """Run op; every version it lost was predicted, snapshotted, detected and comes back."""
    head = head_blobs(repo)
    before_wt, before_index = worktree_state(repo.path), index_state(repo)
    result = run_op(repo, mode, op, shim_dir)
    after_wt, after_index = worktree_state(repo.path), index_state(repo)
    if result.returncode != 0:  # git refused on its own (`reset --merge` over a partly staged file)
        assert b"gatekit refused" not in result.stderr
        assert (after_wt, after_index) == (before_wt, before_index)
        return

    lost_wt = [p for p, v in before_wt.items() if after_wt.get(p) != v]
    lost_index = [
        p
        for p, blob in before_index.items()
        if after_index.get(p) != blob
        and blob != head.get(p)
        and repo.git("hash-object", "--", p).strip() != blob
    ]
    # reset/restore/checkout of a tracked file back to HEAD bytes: the HEAD version is not lost
    lost_wt = [p for p in lost_wt if p in before_wt and not _committed(repo, p, before_wt[p][0], head)]
    records = list(journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl"))
    assert must_lose <= set(lost_wt) | set(lost_index), (op, lost_wt, lost_index)
    if not lost_wt and not lost_index:
        return
    assert records, f"{op}: work was lost and nothing was journaled"
    record = records[-1]
    predicted = set(record["paths"])
    assert set(lost_wt) | set(lost_index) <= predicted, (op, lost_wt, lost_index, predicted)
    snap = record["snapshot"]
    assert snap, record
    ref = "refs/gatekit/snapshots/" + snap.split(":", 1)[1]
    for path in lost_wt:
        assert (
            repo.git("cat-file", "blob", f"{ref}:{path}").encode("utf-8", "surrogateescape")
            == before_wt[path][0]
        )
    for path in lost_index:
        assert repo.git("rev-parse", f"{ref}^2:{path}").strip() == before_index[path]

    report = json.loads(repo.gatekit("clobber", "--format", "json").stdout)
    detected = {p for s in report["signals"] if s["kind"] == "wiped-by-command" for p in s["paths"]}
    assert set(lost_wt) <= detected, (op, lost_wt, report["signals"])

    restored = repo.gatekit("rescue", "--restore", snap, "--force", "--", *lost_wt)
    assert restored.returncode == 0, restored.stderr
    now = worktree_state(repo.path)
    for path in lost_wt:
        assert now[path] == before_wt[path], path  # bytes and the executable bit


def _committed(repo: Repo, path: str, data: bytes, head: dict[str, str]) -> bool:
    if path not in head:
        return False
    return repo.git("cat-file", "blob", head[path]).encode("utf-8", "surrogateescape") == data

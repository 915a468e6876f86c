"""Agent hosts: each host's recorded payloads through real `gatekit agent ...` processes; the
settings file merge; concurrent hook invocations (issue 10)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gatekit.guard import journal
from testing.repo import Repo, gatekit_env

FIXTURES = Path(__file__).parent / "fixtures"
HOSTS = ["claude-code", "codex", "gemini", "cursor"]


def payload(host: str, event: str, repo: Repo, session: str, command: str = "", path: str = "") -> bytes:
    text = (FIXTURES / f"{host}_{event}.json").read_text()
    for key, value in {"cwd": str(repo.path), "session": session, "path": path}.items():
        text = text.replace("{" + key + "}", value)
    text = text.replace('"{command}"', json.dumps(command))
    json.loads(text)  # the fixture stays valid JSON
    return text.encode()


def hook(repo: Repo, host: str, event: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [__import__("sys").executable, "-m", "gatekit", "agent", event, "--host", host],
        cwd=repo.path,
        env=gatekit_env(repo.env),
        input=data,
        capture_output=True,
        timeout=120,
    )


def refused(host: str, result: subprocess.CompletedProcess[bytes]) -> str | None:
    """The refusal reason in the host's own format, or None when the command may run."""
    out = result.stdout.decode().strip()
    data = json.loads(out) if out else {}
    if host == "claude-code":
        specific = data.get("hookSpecificOutput", {})
        return (
            specific.get("permissionDecisionReason") if specific.get("permissionDecision") == "deny" else None
        )
    if host == "codex":
        return result.stderr.decode() if result.returncode == 2 else None
    if host == "gemini":
        return data.get("reason") if data.get("decision") == "deny" else None
    return data.get("agent_message") if data.get("permission") == "deny" else None


@pytest.mark.parametrize("host", HOSTS)
def test_host_refuses_reset_over_another_sessions_edit(repo: Repo, host: str) -> None:
    repo.write("README.md", "sibling's edit\n")
    post = hook(
        repo,
        host,
        "post_tool".replace("_", "-"),
        payload(host, "post_tool", repo, "sibling", path="README.md"),
    )
    assert post.returncode == 0, post.stderr
    pre = hook(
        repo, host, "pre-tool", payload(host, "pre_tool", repo, "me", command="cd . && git reset --hard")
    )
    reason = refused(host, pre)
    assert reason is not None, pre.stdout
    assert "README.md" in reason and f"{host} session sibling" in reason
    assert repo.read("README.md") == b"sibling's edit\n"
    records = list(journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl"))
    assert records[-1]["decision"] == "deny" and records[-1]["host_session"] == "me"


@pytest.mark.parametrize("host", HOSTS)
def test_host_allows_silently_what_loses_nothing(repo: Repo, host: str) -> None:
    for command in ("ls -la", "git status && git log --oneline", "git reset --hard"):
        result = hook(repo, host, "pre-tool", payload(host, "pre_tool", repo, "me", command=command))
        assert result.returncode == 0 and refused(host, result) is None, (command, result)
        assert result.stdout.strip() in (b"", b"{}")


@pytest.mark.parametrize("host", HOSTS)
def test_host_snapshots_own_work_then_allows(repo: Repo, host: str) -> None:
    repo.write("README.md", "my edit\n")
    hook(repo, host, "post-tool", payload(host, "post_tool", repo, "me", path="README.md"))
    result = hook(repo, host, "pre-tool", payload(host, "pre_tool", repo, "me", command="git checkout -- ."))
    assert refused(host, result) is None
    refs = repo.git("for-each-ref", "--format=%(refname)", "refs/gatekit/snapshots/").split()
    assert len(refs) == 1
    assert repo.git("show", f"{refs[0]}:README.md") == "my edit\n"


def test_codex_apply_patch_paths_are_recorded(repo: Repo) -> None:
    repo.write("new.py", "x\n")
    hook(repo, "codex", "post-tool", payload("codex", "post_tool", repo, "c1", path="new.py"))
    records = list(journal.read(repo.path / ".git" / "gatekit" / "edits.jsonl"))
    assert [(r["path"], r["session"], r["host"]) for r in records] == [("new.py", "c1", "codex")]


def test_unparseable_payload_is_exit_2(repo: Repo) -> None:
    result = hook(
        repo, "claude-code", "pre-tool", b'{"tool_name": "Bash", "tool_input": {"command": "git reset --hard"'
    )
    assert result.returncode == 2
    assert b"cannot read" in result.stderr


def test_concurrent_hooks_from_several_sessions_lose_no_record(repo: Repo) -> None:
    for i in range(6):
        repo.write(f"f{i}.txt", f"{i}\n")
    procs = []
    for i in range(6):
        data = payload("claude-code", "post_tool", repo, f"s{i}", path=f"f{i}.txt")
        procs.append(_spawn(repo, "post-tool", data))
        data = payload("claude-code", "pre_tool", repo, f"s{i}", command="git stash -u")
        procs.append(_spawn(repo, "pre-tool", data))
    for proc in procs:
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    edits = list(journal.read(repo.path / ".git" / "gatekit" / "edits.jsonl"))
    assert sorted(r["path"] for r in edits) == [f"f{i}.txt" for i in range(6)]
    ops = list(journal.read(repo.path / ".git" / "gatekit" / "journal.jsonl"))
    assert len(ops) == 6 and all(r["op"] == "stash push" for r in ops)
    assert {repo.read(f"f{i}.txt") for i in range(6)} == {f"{i}\n".encode() for i in range(6)}


def _spawn(repo: Repo, event: str, data: bytes) -> subprocess.Popen[bytes]:
    import tempfile

    with tempfile.TemporaryFile() as stdin:
        stdin.write(data)
        stdin.seek(0)
        return subprocess.Popen(
            [__import__("sys").executable, "-m", "gatekit", "agent", event, "--host", "claude-code"],
            cwd=repo.path,
            env=gatekit_env(repo.env),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


def test_journal_reader_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal.append(path, {"op": "reset --hard"})
    with path.open("ab") as handle:
        handle.write(b'{"op": "stash pu')  # a writer SIGKILLed mid-record
    assert [r["op"] for r in journal.read(path)] == ["reset --hard"]
    journal.append(path, {"op": "clean"})
    assert [r["op"] for r in journal.read(path)][-1] == "clean"


# -- settings files ---------------------------------------------------------------------------------


SETTINGS = {
    "claude-code": ".claude/settings.json",
    "codex": ".codex/hooks.json",
    "gemini": ".gemini/settings.json",
    "cursor": ".cursor/hooks.json",
}


@pytest.mark.parametrize("host", HOSTS)
def test_install_merges_idempotently_and_uninstall_restores(repo: Repo, host: str) -> None:
    path = repo.path / SETTINGS[host]
    mine = {
        "version": 1,
        "model": "x",
        "hooks": {
            "PreToolUse": [{"matcher": "Write", "hooks": [{"type": "command", "command": "my-linter"}]}]
        },
    }
    repo.write(SETTINGS[host], json.dumps(mine))
    assert repo.gatekit("agent", "install", host).returncode == 0
    once = json.loads(path.read_text())
    assert repo.gatekit("agent", "install", host).returncode == 0
    assert json.loads(path.read_text()) == once
    text = path.read_text()
    assert "my-linter" in text and f"gatekit agent pre-tool --host {host}" in text and once["model"] == "x"
    assert repo.gatekit("agent", "install", host, "--uninstall").returncode == 0
    assert json.loads(path.read_text()) == mine


@pytest.mark.parametrize("host", HOSTS)
def test_install_refuses_an_unparseable_settings_file(repo: Repo, host: str) -> None:
    repo.write(SETTINGS[host], "{ not json")
    result = repo.gatekit("agent", "install", host)
    assert result.returncode == 2 and "not valid JSON" in result.stderr
    assert repo.read(SETTINGS[host]) == b"{ not json"

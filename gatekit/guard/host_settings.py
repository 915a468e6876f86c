"""Merge gatekit's hooks into an agent host's settings file, and take them out again.

Every other setting (the user's own hooks included) is kept as it was; gatekit's entries are
recognised by their command (`... gatekit agent ...`), so installing twice changes nothing. A
file that is not a JSON object is refused, never rewritten.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from gatekit.errors import UsageError
from gatekit.system.files import atomic_write

_TAG = "gatekit agent "
STOP_TIMEOUT = 600  # seconds the host waits for the Stop hook (the gates run inside it)

# host -> (project file, user file, [(event, matcher, gatekit event)])
_LAYOUT: dict[str, tuple[str, str, list[tuple[str, str | None, str]]]] = {
    "claude-code": (
        ".claude/settings.json",
        "~/.claude/settings.json",
        [
            ("PreToolUse", "Bash", "pre-tool"),
            ("PostToolUse", "Edit|Write|MultiEdit|NotebookEdit", "post-tool"),
            ("Stop", None, "stop"),
        ],
    ),
    "codex": (
        ".codex/hooks.json",
        "~/.codex/hooks.json",
        [
            ("PreToolUse", "Bash", "pre-tool"),
            ("PostToolUse", "apply_patch|Edit|Write", "post-tool"),
            ("Stop", None, "stop"),
        ],
    ),
    "gemini": (
        ".gemini/settings.json",
        "~/.gemini/settings.json",
        [
            ("BeforeTool", "run_shell_command", "pre-tool"),
            ("AfterTool", "write_file|replace", "post-tool"),
            ("AfterAgent", None, "stop"),
        ],
    ),
    "cursor": (
        ".cursor/hooks.json",
        "~/.cursor/hooks.json",
        [
            ("beforeShellExecution", None, "pre-tool"),
            ("afterFileEdit", None, "post-tool"),
            ("stop", None, "stop"),
        ],
    ),
}


def settings_path(host: str, scope: str, root: Path) -> Path:
    project, user, _ = _LAYOUT[host]
    return root / project if scope == "project" else Path(os.path.expanduser(user))


def gatekit_command(event: str, host: str) -> str:
    program = shutil.which("gatekit")
    base = "gatekit" if program else f"{sys.executable} -m gatekit"
    return f"{base} agent {event} --host {host}"


def install(host: str, scope: str, root: Path) -> Path:
    path = settings_path(host, scope, root)
    settings = _load(path)
    _remove_ours(host, settings)
    for event, matcher, ours in _LAYOUT[host][2]:
        command = gatekit_command(ours, host)
        entries = _hooks_object(host, settings).setdefault(event, [])
        if not isinstance(entries, list):
            raise UsageError(f"{path}: hooks.{event} is not a list; fix it by hand first")
        if host == "cursor":
            entry: dict[str, Any] = {"command": command}
            if ours == "stop":
                entry["timeout"] = STOP_TIMEOUT
        else:
            hook: dict[str, Any] = {"type": "command", "command": command}
            if ours == "stop":
                hook["timeout"] = STOP_TIMEOUT
            entry = {"hooks": [hook]}
            if matcher:
                entry = {"matcher": matcher, **entry}
        entries.append(entry)
    _save(path, settings)
    return path


def uninstall(host: str, scope: str, root: Path) -> tuple[Path, bool]:
    path = settings_path(host, scope, root)
    if not path.exists():
        return path, False
    settings = _load(path)
    removed = _remove_ours(host, settings)
    if removed:
        _save(path, settings)
    return path, removed


def _hooks_object(host: str, settings: dict[str, Any]) -> dict[str, Any]:
    hooks = settings.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise UsageError("the settings file's `hooks` is not an object; fix it by hand first")
    if host == "cursor":
        settings.setdefault("version", 1)
    return hooks


def _remove_ours(host: str, settings: dict[str, Any]) -> bool:
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return False
    removed = False
    for event in list(hooks):
        entries = hooks[event]
        if not isinstance(entries, list):
            continue
        kept = [e for e in entries if not _is_ours(e)]
        if len(kept) != len(entries):
            removed = True
            if kept:
                hooks[event] = kept
            else:
                del hooks[event]
    return removed


def _is_ours(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    if _TAG in str(entry.get("command", "")):
        return True
    inner = entry.get("hooks")
    return isinstance(inner, list) and any(
        isinstance(h, dict) and _TAG in str(h.get("command", "")) for h in inner
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{path} is not valid JSON ({exc}); gatekit leaves it untouched") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} does not hold a JSON object; gatekit leaves it untouched")
    return data


def _save(path: Path, settings: dict[str, Any]) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    atomic_write(path, json.dumps(settings, indent=2) + "\n", mode=mode)

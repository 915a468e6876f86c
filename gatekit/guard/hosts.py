"""Agent hosts: read each host's hook payload, answer in its documented format.

Claude Code  PreToolUse/PostToolUse/Stop, JSON on stdin; a refusal is exit 0 with
             hookSpecificOutput.permissionDecision "deny" (or "ask") and a reason.
Codex CLI    the same event names and payload shape (tool "Bash", "apply_patch"); a refusal is
             exit 2 with the reason on stderr.
Gemini CLI   BeforeTool/AfterTool/AfterAgent (tool "run_shell_command", "write_file",
             "replace"); stdout must be JSON only: {"decision": "deny", "reason": ...}.
Cursor       beforeShellExecution/afterFileEdit/stop ({"command", "cwd"}); the answer is
             {"permission": "allow"|"deny"|"ask", "user_message", "agent_message"}.

Recorded payloads of each live in tests/guard/fixtures/.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

HOSTS = ("claude-code", "codex", "gemini", "cursor")
_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$", re.M)
_EDIT_TOOLS = frozenset(
    ("Edit", "Write", "MultiEdit", "NotebookEdit", "write_file", "replace", "edit", "apply_patch")
)


@dataclass
class ToolCall:
    """What one hook invocation is about, whatever the host."""

    host: str
    session: str | None
    cwd: str | None
    command: str | None = None  # a shell command line (pre-tool)
    paths: list[str] = field(default_factory=list)  # files written (post-tool)
    tool: str = ""
    stop_hook_active: bool = False


def parse_payload(host: str, raw: str) -> ToolCall:
    """The host's JSON payload as a ToolCall; ValueError when it is not a JSON object."""
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the hook payload is not a JSON object")
    session = data.get("session_id") or data.get("conversation_id")
    from gatekit.guard.agent_entry import payload_cwd

    cwd = payload_cwd(data)
    tool = str(data.get("tool_name") or "")
    tool_input = data.get("tool_input")
    if isinstance(tool_input, str):  # Cursor's MCP payloads carry a JSON string
        try:
            tool_input = json.loads(tool_input)
        except ValueError:
            tool_input = {"command": tool_input}
    tool_input = tool_input if isinstance(tool_input, dict) else {}
    command = data.get("command") if host == "cursor" else None
    if command is None and tool in ("Bash", "run_shell_command", "shell", "exec_command", "local_shell"):
        command = tool_input.get("command")
        if isinstance(command, list):  # Codex's exec form: ["bash", "-lc", "..."]
            command = " ".join(_quote(w) for w in command)
    return ToolCall(
        host=host,
        session=str(session) if session else None,
        cwd=str(cwd) if cwd else None,
        command=command if isinstance(command, str) else None,
        paths=_edited_paths(data, tool, tool_input),
        tool=tool,
        stop_hook_active=bool(data.get("stop_hook_active")),
    )


def _quote(word: Any) -> str:
    import shlex

    return shlex.quote(str(word))


def _edited_paths(data: dict[str, Any], tool: str, tool_input: dict[str, Any]) -> list[str]:
    if data.get("hook_event_name") == "afterFileEdit" and isinstance(data.get("file_path"), str):
        return [data["file_path"]]
    if tool not in _EDIT_TOOLS:
        return []
    paths = [
        tool_input[k]
        for k in ("file_path", "absolute_path", "path", "notebook_path")
        if isinstance(tool_input.get(k), str)
    ]
    for value in tool_input.values():  # apply_patch: the patch text names its files
        if isinstance(value, str) and "*** " in value:
            paths += [a or b for a, b in _PATCH_FILE.findall(value)]
    return list(dict.fromkeys(p.strip() for p in paths if p.strip()))


@dataclass(frozen=True)
class Answer:
    stdout: str
    stderr: str
    exit_code: int


def answer_pre_tool(host: str, action: str, message: str) -> Answer:
    """How to tell the host: action is allow | snapshot | warn | deny."""
    if action == "allow" or (action == "snapshot" and not message):
        return Answer("{}\n" if host in ("gemini", "cursor") else "", "", 0)
    if host == "claude-code":
        if action in ("deny", "warn"):
            decision = "deny" if action == "deny" else "ask"
            out = {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": decision,
                    "permissionDecisionReason": message,
                }
            }
            return Answer(json.dumps(out) + "\n", "", 0)
        return Answer(json.dumps({"systemMessage": message}) + "\n", "", 0)
    if host == "codex":
        if action == "deny":
            return Answer("", message + "\n", 2)
        return Answer(json.dumps({"systemMessage": message}) + "\n", "", 0)
    if host == "gemini":
        if action == "deny":
            return Answer(json.dumps({"decision": "deny", "reason": message}) + "\n", "", 0)
        return Answer(json.dumps({"systemMessage": message}) + "\n", "", 0)
    permission = {"deny": "deny", "warn": "ask"}.get(action, "allow")
    if permission == "allow":
        return Answer(json.dumps({"user_message": message}) + "\n", "", 0)
    return Answer(
        json.dumps({"permission": permission, "user_message": message, "agent_message": message}) + "\n",
        "",
        0,
    )


def answer_stop(host: str, block_reason: str | None) -> Answer:
    """Stop/AfterAgent: block the end of the turn with the gate output, or let it end."""
    if block_reason is None:
        return Answer("{}\n" if host in ("gemini", "cursor") else "", "", 0)
    if host == "cursor":
        return Answer(json.dumps({"followup_message": block_reason}) + "\n", "", 0)
    if host == "gemini":
        return Answer(json.dumps({"decision": "deny", "reason": block_reason}) + "\n", "", 0)
    return Answer(json.dumps({"decision": "block", "reason": block_reason}) + "\n", "", 0)


def answer_post_tool(host: str) -> Answer:
    return Answer("{}\n" if host in ("gemini", "cursor") else "", "", 0)

"""`gatekit verdicts explain TREE`: what each verdict on a tree was keyed on, and whether the
current environment would reuse it (and if not, which part of the key differs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatekit import git
from gatekit.app import App
from gatekit.check.verdicts import Verdict, VerdictStore
from gatekit.config import Gate
from gatekit.errors import UsageError


@dataclass(frozen=True)
class ExplainedVerdict:
    verdict: Verdict
    key: dict[str, Any] | None  # None: recorded before keys were kept, or by another tool
    current: str  # "matches" | "differs" | "no such gate now"
    differences: tuple[str, ...] = ()


def resolve_tree(app: App, treeish: str) -> str:
    """A tree id from a revision or a tree id; UsageError naming it otherwise."""
    if treeish.startswith("-"):
        raise UsageError(f"{treeish!r} is not a revision or tree")
    tree = git.rev_parse(app.repo.toplevel, f"{treeish}^{{tree}}")
    if tree is None:
        raise UsageError(f"{treeish!r} names no commit or tree in this repository")
    return tree


def explain(app: App, tree: str, gates: list[Gate]) -> list[ExplainedVerdict]:
    """Every verdict on tree, oldest first, compared with the current key of its gate."""
    store = VerdictStore(app.repo, settings=app.config.verdicts)
    keys = store.keys(tree)
    by_name = {g.name: g for g in gates}
    explained = []
    for verdict in store.history(tree):
        key = keys.get(verdict.fp)
        gate = by_name.get(verdict.gate)
        if gate is None:
            explained.append(ExplainedVerdict(verdict, key, "no such gate now"))
            continue
        fp, now = store.key(gate)
        if fp == verdict.fp:
            explained.append(ExplainedVerdict(verdict, key, "matches"))
        else:
            explained.append(ExplainedVerdict(verdict, key, "differs", differences(key or {}, now)))
    return explained


def differences(before: dict[str, Any], now: dict[str, Any]) -> tuple[str, ...]:
    """The parts of two keys that differ, named as `env NAME`, `tool NAME`, `run`, ..."""
    found: list[str] = []
    if not before:
        return ("the recorded key is unknown",)
    for part in sorted(set(before) | set(now)):
        old, new = before.get(part), now.get(part)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            label = {"environ": "env", "tools": "tool", "env": "gate env"}.get(part, part)
            found += [f"{label} {n}" for n in sorted(set(old) | set(new)) if old.get(n) != new.get(n)]
        else:
            found.append(part)
    return tuple(found)


def render_text(tree: str, explained: list[ExplainedVerdict]) -> str:
    if not explained:
        return f"no verdict recorded on tree {tree}"
    lines = [f"verdicts on tree {tree}:"]
    for item in explained:
        v = item.verdict
        lines.append(
            f"- {v.gate}: {v.status} on {v.host or 'an unknown host'} ({v.duration:g}s), fp {v.fp[:12]}"
        )
        lines += [f"    {line}" for line in _key_lines(item.key)]
        if item.current == "matches":
            lines.append("    matches the current environment: a pass would be reused")
        elif item.current == "differs":
            lines.append(f"    differs from the current environment in: {', '.join(item.differences)}")
        else:
            lines.append("    no gate of that name is configured or detected now")
    return "\n".join(lines)


def _key_lines(key: dict[str, Any] | None) -> list[str]:
    if key is None:
        return ["key not recorded (a verdict written before gatekit kept keys)"]
    lines = [f"run: {' '.join(key.get('run', []))}" + ("  (shell)" if key.get("shell") else "")]
    if key.get("cwd") not in (None, "."):
        lines.append(f"cwd: {key['cwd']}")
    for name, value in (key.get("env") or {}).items():
        lines.append(f"gate env: {name}={value}")
    for program, identity in (key.get("tools") or {}).items():
        lines.append(f"tool {program}: {identity}")
    environ = key.get("environ") or {}
    lines += [f"env: {name}={value}" for name, value in environ.items()] or ["env: no build variable set"]
    if key.get("conservative"):
        lines.append("conservative: the script starts programs it does not name; keyed on PATH too")
    return lines


def to_json(tree: str, explained: list[ExplainedVerdict]) -> dict[str, Any]:
    return {
        "tree": tree,
        "verdicts": [
            {
                "gate": item.verdict.gate,
                "status": item.verdict.status,
                "host": item.verdict.host,
                "time": item.verdict.time,
                "fp": item.verdict.fp,
                "key": item.key,
                "current": item.current,
                "differences": list(item.differences),
            }
            for item in explained
        ],
    }

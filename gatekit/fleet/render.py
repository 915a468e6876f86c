"""Text and JSON renderings of fleet results (kept out of the click commands)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gatekit.fleet.overlap import OverlapReport, StagedOverlap
from gatekit.fleet.status import Row
from gatekit.system.durations import format_age


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [headers, *rows]]
    return "\n".join(lines)


def _display_path(path: str | None, base: Path) -> str:
    if path is None:
        return "-"
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        rel = path
    shown = rel if not rel.startswith("../../..") else path
    return shown.encode("unicode_escape").decode() if any(c in shown for c in "\n\t") else shown


def status_text(rows: Sequence[Row], base: Path) -> str:
    headers = (
        "WORKTREE",
        "BRANCH",
        "AHEAD/BEHIND",
        "DIRTY",
        "OLDEST",
        "UPSTREAM",
        "SNAPSHOT",
        "SESSIONS",
        "FLAGS",
    )
    body = []
    for row in rows:
        ab = "-" if row.ahead is None else f"+{row.ahead} -{row.behind}"
        sessions = str(row.sessions) + (f" ({', '.join(row.claims)})" if row.claims else "")
        flags = ",".join(row.flags) + (f" error: {row.error}" if row.error else "")
        body.append(
            (
                _display_path(row.path, base) if row.kind == "worktree" else "(no worktree)",
                row.branch or "(detached)",
                ab,
                "-" if row.dirty is None else str(row.dirty),
                format_age(row.oldest_change_age),
                row.upstream,
                format_age(row.snapshot_age),
                sessions,
                flags or "-",
            )
        )
    return table(headers, body)


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        if isinstance(obj, (set, frozenset)):
            return sorted(obj)
        if isinstance(obj, Path):
            return str(obj)
        raise TypeError(type(obj).__name__)

    return json.dumps(value, default=default, indent=2, ensure_ascii=False)


def overlap_json(report: OverlapReport) -> str:
    return to_json(
        {
            "target": report.target,
            "writers": [
                {
                    "name": w.name,
                    "branch": w.branch,
                    "worktree": w.worktree,
                    "dirty": w.dirty,
                    "paths": sorted(w.paths),
                }
                for w in report.writers
            ],
            "files": [{"path": p, "writers": names} for p, names in report.files.items()],
            "definitions": report.definitions,
            "conflicts": report.conflicts,
            "magnets": [{"path": p, "branches": n} for p, n in report.magnets],
        }
    )


def overlap_text(report: OverlapReport, magnet_days: int) -> str:
    out = [f"{len(report.writers)} writer(s) in flight against {report.target}"]
    if report.files:
        out.append("\nFiles changed by more than one writer:")
        out += [f"  {_display_path(p, Path('.'))}  {', '.join(names)}" for p, names in report.files.items()]
    if report.definitions:
        out.append("\nDefinitions changed by more than one writer:")
        out += [f"  {d.path}: {d.qualname}  {', '.join(d.writers)}" for d in report.definitions]
    if report.conflicts:
        out.append("\nPredicted conflicts (git merge-tree):")
        out += [f"  {c.ours} + {c.theirs}: {', '.join(c.paths)}" for c in report.conflicts]
    if report.magnets:
        out.append(f"\nConflict magnets (last {magnet_days} days):")
        out += [f"  {p}  {n} branches" for p, n in report.magnets]
    if len(out) == 1:
        out.append("no overlapping work")
    return "\n".join(out)


def staged_text(found: Sequence[StagedOverlap]) -> str:
    lines = []
    for item in found:
        what = f"{item.qualname} in {item.path}" if item.qualname else f"{item.path} (file level)"
        lines.append(f"gatekit overlap: the staged change touches {what}, also changed on {item.writer}")
    return "\n".join(lines)

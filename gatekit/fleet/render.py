"""Text and JSON renderings of fleet results (kept out of the click commands)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekit.fleet.doctor import Diagnosis
    from gatekit.fleet.planlint import LintResult
from gatekit.fleet.overlap import OverlapReport, StagedOverlap
from gatekit.fleet.status import Row, StatusReport
from gatekit.system.durations import format_age

JSON_VERSION = 1  # bumped when a field changes meaning or goes away (docs/fleet.md)


ELLIPSIS = "…"
MIN_SHRUNK = 10  # a truncated column keeps at least this many characters


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
    shrinkable: Mapping[int, str] | None = None,
) -> str:
    """Rows under headers in aligned columns. With width, the shrinkable columns (index ->
    "end" or "start", the side that gives way) are cut, widest first, with an ellipsis until
    the table fits."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    shrinkable = shrinkable or {}
    if width is not None:
        widths = _fit(widths, width, shrinkable, headers)
    cut = [
        [_cut(cell, w, shrinkable.get(i, "end")) for i, (cell, w) in enumerate(zip(r, widths))] for r in rows
    ]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [headers, *cut]]
    return "\n".join(lines)


def _fit(widths: list[int], width: int, shrinkable: Mapping[int, str], headers: Sequence[str]) -> list[int]:
    widths = list(widths)
    floor = {i: max(MIN_SHRUNK, len(headers[i])) for i in shrinkable}
    while sum(widths) + 2 * (len(widths) - 1) > width:
        candidates = [i for i in shrinkable if widths[i] > floor[i]]
        if not candidates:
            break  # as narrow as it goes: the terminal is narrower than the fixed columns
        widest = max(candidates, key=lambda i: widths[i])
        excess = sum(widths) + 2 * (len(widths) - 1) - width
        widths[widest] = max(floor[widest], widths[widest] - excess)
    return widths


def _cut(cell: str, width: int, side: str) -> str:
    if len(cell) <= width:
        return cell
    return cell[: width - 1] + ELLIPSIS if side == "end" else ELLIPSIS + cell[len(cell) - width + 1 :]


def terminal_width() -> int | None:
    """The width the table must fit: $COLUMNS, else the terminal's; None when piped."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else None
    except (OSError, ValueError):
        return None


def _display_path(path: str | None, base: Path) -> str:
    if path is None:
        return "-"
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        rel = path
    shown = rel if not rel.startswith("../../..") else path
    return shown.encode("unicode_escape").decode() if any(c in shown for c in "\n\t") else shown


def status_json(report: StatusReport) -> str:
    return to_json(
        {
            "version": JSON_VERSION,
            "target": report.target,
            "target_commit": report.target_commit,
            "rows": report.rows,
        }
    )


def status_text(rows: Sequence[Row], base: Path, width: int | None = None) -> str:
    """The status table; with width, worktree paths and branch names are cut to fit it."""
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
        sessions = str(len(row.sessions)) + (f" ({', '.join(row.claims)})" if row.claims else "")
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
    return table(headers, body, width, {0: "start", 1: "end", 7: "end"})


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
            "version": JSON_VERSION,
            "target": report.target,
            "target_commit": report.target_commit,
            "writers": [
                {
                    "name": w.name,
                    "aliases": w.aliases,
                    "branch": w.branch,
                    "worktree": w.worktree,
                    "commit": w.commit,
                    "base": w.base,
                    "head": w.head,
                    "dirty": w.dirty,
                    "paths": sorted(w.paths),
                }
                for w in report.writers
            ],
            "files": [{"path": p, "writers": names} for p, names in report.files.items()],
            "definitions": report.definitions,
            "conflicts": report.conflicts,
            "target_conflicts": report.target_conflicts,
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
    if report.target_conflicts:
        out.append(f"\nConflicts with {report.target} (git merge-tree):")
        out += [
            f"  {c.writer} + {report.target} (the target's tip): {', '.join(c.paths)}"
            for c in report.target_conflicts
        ]
    if report.magnets:
        out.append(f"\nConflict magnets (last {magnet_days} days):")
        out += [f"  {p}  {n} branches" for p, n in report.magnets]
    if len(out) == 1:
        out.append("no overlapping work")
    return "\n".join(out)


def doctor_json(diagnosis: Diagnosis) -> str:
    return to_json(
        {"version": JSON_VERSION, "findings": diagnosis.findings, "lost_work": diagnosis.lost_work}
    )


def unreachable_note(lost_work: Mapping[str, int]) -> str:
    """One line on the unreachable commits that are not lost work, or "" when there are none."""
    parts = [
        f"{lost_work[kind]} {what}"
        for kind, what in (
            ("reflog", "still in a reflog (see `gatekit rescue`)"),
            ("fetched", "fetched and dropped (someone else's)"),
            ("gatekit", "gatekit's own throwaway"),
        )
        if lost_work.get(kind)
    ]
    return f"unreachable commits that are not lost work: {'; '.join(parts)}" if parts else ""


def plan_lint_json(result: LintResult) -> str:
    return to_json(
        {"version": JSON_VERSION, "plan_files": result.plan_files, "advisories": result.advisories}
    )


def staged_json(target: str, found: Sequence[StagedOverlap]) -> str:
    return to_json({"version": JSON_VERSION, "target": target, "staged": True, "overlaps": found})


def staged_text(found: Sequence[StagedOverlap]) -> str:
    lines = []
    for item in found:
        if item.conflict:
            lines.append(
                f"gatekit overlap: the staged change conflicts with {item.writer} in {item.path} (git merge-tree)"
            )
            continue
        what = f"{item.qualname} in {item.path}" if item.qualname else f"{item.path} (file level)"
        lines.append(f"gatekit overlap: the staged change touches {what}, also changed on {item.writer}")
    return "\n".join(lines)

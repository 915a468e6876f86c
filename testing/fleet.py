"""Builders for fleet scenarios (branches themselves come from testing.landing.branch_with)."""

from __future__ import annotations


def numbered_lines(count: int, prefix: str = "line") -> str:
    """count distinct lines, so edits far apart merge cleanly and edits on one line conflict."""
    return "".join(f"{prefix} {i}\n" for i in range(1, count + 1))

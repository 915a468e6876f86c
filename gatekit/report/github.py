"""GitHub Actions: output folded per gate, error annotations, and a Markdown step summary."""

from __future__ import annotations

import html
import os
import re
from typing import TYPE_CHECKING

from gatekit.check.gates import GateResult
from gatekit.config import Gate
from gatekit.report.text import TextReporter
from gatekit.system.durations import format_duration

if TYPE_CHECKING:
    from gatekit.check.service import CheckOutcome

SUMMARY_TAIL_LINES = 40


def escape_data(text: str) -> str:
    """Escape a workflow-command message (GitHub's toolkit does the same)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def tail_lines(text: str, count: int) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-count:])


class GitHubReporter(TextReporter):
    def gate_started(self, gate: Gate) -> None:
        self.line(f"::group::{gate.name}: {gate.display_command}")

    def gate_finished(self, result: GateResult) -> None:
        self.line("::endgroup::")
        super().gate_finished(result)
        if not result.ok:
            title = escape_property(f"gatekit: {result.gate.name} {result.status}")
            body = result.message + "\n" + tail_lines(result.output_text, 20)
            self.line(f"::error title={title}::{escape_data(body.strip())}")

    def check_finished(self, outcome: CheckOutcome) -> None:
        super().check_finished(outcome)
        path = os.environ.get("GITHUB_STEP_SUMMARY")
        if path:
            with open(path, "a", encoding="utf-8") as summary:
                summary.write(markdown_summary(outcome))


def markdown_summary(outcome: CheckOutcome) -> str:
    icon = {True: "✅", False: "❌"}
    rows = ["| gate | result | duration |", "|---|---|---|"]
    for r in outcome.results:
        rows.append(
            f"| {_inline_code(r.gate.name)} | {icon[r.ok]} {r.status}{' (cached)' if r.cached else ''} | {format_duration(r.duration)} |"
        )
    parts = [f"### gatekit: {outcome.headline}", "", f"Subject: {outcome.subject.description}", "", *rows, ""]
    for r in outcome.results:
        if not r.ok:
            tail = tail_lines(r.output_text, SUMMARY_TAIL_LINES)
            fence = code_fence(tail)
            parts += [
                f"<details><summary>{html.escape(r.gate.name)}: {html.escape(r.message)}</summary>",
                "",
                fence,
                tail,
                fence,
                "</details>",
                "",
            ]
    return "\n".join(parts) + "\n"


def code_fence(text: str) -> str:
    """A backtick fence longer than any backtick run in text, so the text cannot close it
    (a gate's output is the project's, and may hold ``` or HTML of its own)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _inline_code(text: str) -> str:
    """text as inline code in a table cell: a fence longer than its backticks, pipes escaped."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"

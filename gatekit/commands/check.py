"""`gatekit check` and `gatekit gates`: parse, call check.service.run_check, render."""

from __future__ import annotations

import math
import os
from pathlib import Path

import click

from gatekit.app import App
from gatekit.commands.options import codequality_option, junit_option
from gatekit.config import STAGES, Gate


def _positive(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 86_400):
        raise click.BadParameter("must be a number of seconds above 0 and at most 86400")
    return value


@click.command()
@click.option("--staged", is_flag=True, help="Verify the index (default inside a commit hook).")
@click.option("--rev", default=None, metavar="REV", help="Verify this commit (default HEAD).")
@click.option(
    "--merge-into", metavar="BRANCH", default=None, help="Verify the result of merging REV into BRANCH."
)
@click.option("--worktree", is_flag=True, help="Verify the working tree in place (fast local loop).")
@click.option(
    "--stage", type=click.Choice(STAGES), default=None, help="Run only the gates configured for this stage."
)
@click.option(
    "--affected", is_flag=True, help="Only the changed packages and everything that depends on them."
)
@click.option(
    "--base",
    metavar="REF",
    default=None,
    help="With --affected: compare with the merge base of REF (default: the target branch).",
)
@click.option("--gate", "only", multiple=True, metavar="NAME", help="Run only this gate (repeatable).")
@click.option("--fail-fast/--no-fail-fast", default=None, help="Stop at the first gate that does not pass.")
@click.option(
    "--heartbeat",
    type=float,
    default=None,
    callback=_positive,
    metavar="SECONDS",
    help="Heartbeat interval during silent gates (default 30).",
)
@click.option("--fresh", is_flag=True, help="Delete the sandbox's untracked build outputs first.")
@click.option("--no-cache", is_flag=True, help="Run every gate even if this tree already passed it.")
@click.option(
    "--subject-config",
    is_flag=True,
    help="Read gatekit's config from the subject's tree (a merge result's own gates), not the worktree.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@junit_option
@codequality_option
@click.pass_obj
def check(
    app: App,
    staged: bool,
    worktree: bool,
    rev: str | None,
    merge_into: str | None,
    stage: str | None,
    affected: bool,
    base: str | None,
    only: tuple[str, ...],
    fail_fast: bool | None,
    heartbeat: float | None,
    fresh: bool,
    no_cache: bool,
    subject_config: bool,
    fmt: str,
    junit: Path | None,
    codequality: Path | None,
) -> None:
    """Run the workspace-wide gates on exactly what is committed, pushed or merged.

    The subject is checked out in a sandbox worktree of gatekit's own; your working tree, index,
    stash and refs are never touched.
    """
    from gatekit.check.service import CheckRequest, default_subject_kind, run_check

    _refuse_unwritable_reports(junit=junit, codequality=codequality)
    if base is not None and not affected:
        raise click.UsageError("--base only applies with --affected")
    chosen = [name for name, on in (("staged", staged), ("worktree", worktree)) if on]
    if len(chosen) == 2:
        raise click.UsageError("--worktree and --staged name two different subjects: choose one")
    request = CheckRequest(
        subject=_subject_kind(chosen[0] if chosen else None, rev, merge_into, stage, default_subject_kind),
        rev=rev or os.environ.get("PRE_COMMIT_TO_REF") or "HEAD",
        merge_into=merge_into,
        stage=stage or ("ci" if os.environ.get("CI") == "true" else None),
        affected=affected,
        base=base,
        fail_fast=fail_fast,
        only=only,
        fresh=fresh,
        heartbeat=heartbeat,
        report_uncommitted=True,
        subject_config=subject_config,
    )
    from gatekit.report.files import reports_even_on_error, write_reports

    with reports_even_on_error(junit, codequality):
        # The working tree in place has no tree id to key verdicts by: no cache to load.
        cache = None if request.subject == "worktree" else _cache(app, reuse=not no_cache)
        outcome = run_check(app, request, _reporter(app, fmt), cache=cache)
    write_reports(outcome, junit, codequality)
    click.get_current_context().exit(outcome.exit_code)


def _refuse_unwritable_reports(**paths: Path | None) -> None:
    from gatekit.report.files import report_path_problem

    for option, path in paths.items():
        problem = report_path_problem(path) if path is not None else None
        if problem:
            raise click.UsageError(f"--{option} {path}: {problem}")
    summary = os.environ.get("GITHUB_STEP_SUMMARY") if os.environ.get("GITHUB_ACTIONS") == "true" else None
    problem = report_path_problem(Path(summary)) if summary else None
    if problem:
        raise click.UsageError(f"GITHUB_STEP_SUMMARY={summary}: {problem}")


def _subject_kind(
    subject: str | None, rev: str | None, merge_into: str | None, stage: str | None, default: object
) -> str:
    if subject is not None and (rev is not None or merge_into is not None):
        other = "--merge-into" if merge_into is not None else "--rev"
        raise click.UsageError(f"{other} and --{subject} name two different subjects: choose one")
    if merge_into is not None:
        return "merge"
    if subject is not None:
        return subject
    if rev is not None:
        return "rev"
    if stage == "pre-commit":
        return "staged"
    return default()  # type: ignore[operator]


def _reporter(app: App, fmt: str):  # type: ignore[no-untyped-def]
    if fmt == "json":
        from gatekit.report.jsonreport import JsonReporter

        return JsonReporter(color=False)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from gatekit.report.github import GitHubReporter

        return GitHubReporter(color=app.use_color())
    from gatekit.report.text import TextReporter

    return TextReporter(color=app.use_color())


def _cache(app: App, *, reuse: bool):  # type: ignore[no-untyped-def]
    """The git-notes verdict cache (check/verdicts.py, docs/verdicts.md): a tree that passed is not rebuilt.

    --no-cache still records the fresh verdict, so a gate that flips on an unchanged tree is
    reported as flaky.
    """
    from gatekit.check.verdicts import NotesVerdictCache

    return NotesVerdictCache(app.repo, reuse=reuse, settings=app.config.verdicts)


@click.command()
@click.option("--stage", type=click.Choice(STAGES), default=None, help="Only gates that run at this stage.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def gates(app: App, stage: str | None, fmt: str) -> None:
    """List the resolved gates and where each came from."""
    import json

    from gatekit.check.isolation import project_environment

    venv = project_environment(app.repo.toplevel)
    resolved = [g for g in app.config.gates if g.runs_at(stage)]
    source = app.config.source
    if not app.config.gates:
        from gatekit.check.service import with_default_timeout
        from gatekit.toolchains import detect_gates

        detected = detect_gates(app.repo.toplevel)
        resolved = [with_default_timeout(g, app.config) for g in detected if g.runs_at(stage)]
        source = "detected in the working tree"
    if fmt == "json":
        rows = [
            {
                "name": g.name,
                "command": g.display_command,
                "cwd": g.cwd,
                "timeout": g.timeout,
                "stages": list(g.stages),
                "origin": g.origin,
            }
            for g in resolved
        ]
        environment = {"path": str(venv.path), "found_by": venv.found_by} if venv else None
        click.echo(json.dumps({"source": source, "gates": rows, "python_environment": environment}, indent=2))
        return
    if not resolved:
        raise click.UsageError(
            "no gates: none configured and no toolchain detected (see `gatekit check --help`)"
        )
    width = max(len(g.name) for g in resolved)
    for g in resolved:
        extra = f"  [in {g.cwd}]" if g.cwd not in (".", "") else ""
        timeout = f"  [timeout {g.timeout:g}s]" if g.timeout else ""
        stages = f"  [stages: {', '.join(g.stages)}]" if set(g.stages) != set(STAGES) else ""
        click.echo(f"{g.name:<{width}}  {g.display_command}{extra}{timeout}{stages}  ({g.origin})")
    if venv is not None:
        click.echo(
            f"python environment: {venv.path} (found {venv.found_by}); gates run with it first on PATH"
        )


@click.group()
def verdicts() -> None:
    """Inspect the verdict cache (refs/notes/gatekit)."""


@verdicts.command()
@click.argument("tree", default="HEAD")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def explain(app: App, tree: str, fmt: str) -> None:
    """Show what each verdict on TREE (a revision or tree id) was keyed on."""
    import json

    from gatekit.check.verdict_explain import explain as explain_tree
    from gatekit.check.verdict_explain import render_text, resolve_tree, to_json

    tree_id = resolve_tree(app, tree)
    explained = explain_tree(app, tree_id, _current_gates(app))
    if fmt == "json":
        click.echo(json.dumps(to_json(tree_id, explained), indent=2))
    else:
        click.echo(render_text(tree_id, explained))


def _current_gates(app: App) -> list[Gate]:
    if app.config.gates:
        return list(app.config.gates)
    from gatekit.toolchains import detect_gates

    return detect_gates(app.repo.toplevel)

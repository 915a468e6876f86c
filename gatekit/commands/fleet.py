"""Fleet commands: status, overlap, worktree {add,remove}, doctor, plan lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


@click.command()
@click.option("--all-branches", is_flag=True, help="Also list local branches no worktree has checked out.")
@click.option(
    "--target",
    default=None,
    help="Count ahead/behind against this branch (default: config target).",
)
@click.option(
    "--watch",
    type=click.FloatRange(min=0.2),
    default=None,
    metavar="SECONDS",
    help="Refresh in place.",
)
@click.option("--wide", is_flag=True, help="Do not cut branch names and paths to fit the terminal.")
@FORMAT
@click.pass_obj
def status(
    app: Any, all_branches: bool, target: str | None, watch: float | None, wide: bool, fmt: str
) -> None:
    """One table over every worktree of the repository."""
    import sys
    import time

    from gatekit import git
    from gatekit.fleet import render
    from gatekit.fleet.status import collect_status

    if target is not None:
        git.resolve_commit(app.repo.toplevel, target)  # a typo is a usage error, not a "-" column
    while True:
        report = collect_status(app.repo, target or app.target, all_branches)
        width = None if wide else render.terminal_width()
        text = (
            render.status_json(report)
            if fmt == "json"
            else render.status_text(report.rows, app.repo.toplevel, width)
        )
        if watch is None:
            click.echo(text)
            return
        # On a terminal, redraw in place; piped, print one table after another.
        click.echo("\x1b[H\x1b[2J" + text if sys.stdout.isatty() else text + "\n", color=True)
        time.sleep(watch)


@click.command()
@click.option("--onto", default=None, help="The target branch (default: config target).")
@click.option("--staged", is_flag=True, help="Check only the staged change against other writers (the hook).")
@FORMAT
@click.pass_obj
def overlap(app: Any, onto: str | None, staged: bool, fmt: str) -> None:
    """Overlapping work across in-flight branches and worktrees."""
    from gatekit import extras, git
    from gatekit.errors import Refused
    from gatekit.fleet import render
    from gatekit.fleet.overlap import overlap_report, staged_overlap

    target = onto or app.target
    # Without tree-sitter, overlap still compares files; say once how to get definitions.
    file_level_note = (
        None
        if extras.has("overlap")
        else f"note: definitions are compared only with the `overlap` extra ({extras.install_hint('overlap')}); "
        "comparing files"
    )
    if staged:
        found = staged_overlap(app.repo, target, strict=onto is not None)
        if fmt == "json":
            click.echo(render.staged_json(target, found))
        elif found:
            click.echo(render.staged_text(found), err=True)
        if found and file_level_note:
            click.echo(file_level_note, err=True)
        if found and app.config.fleet.overlap == "block":
            raise Refused('the staged change overlaps other active work (fleet.overlap = "block")')
        return
    report = overlap_report(app.repo, target, app.config.fleet.magnet_days)
    if file_level_note:
        click.echo(file_level_note, err=True)
    if not git.has_commit_graph(app.repo.common_dir):
        click.echo("tip: `git commit-graph write --reachable` makes overlap's history walks faster", err=True)
    click.echo(
        render.overlap_json(report)
        if fmt == "json"
        else render.overlap_text(report, app.config.fleet.magnet_days)
    )


@click.group()
def worktree() -> None:
    """Create and remove worktrees safely."""


@worktree.command("add")
@click.argument("name")
@click.option("--from", "start", default=None, help="Start the branch here (default: config target).")
@click.option("--session", default=None, metavar="NAME", help="Also start a session with this name.")
@click.pass_obj
def worktree_add(app: Any, name: str, start: str | None, session: str | None) -> None:
    """Create branch NAME and check it out in a new worktree in the configured folder."""
    from gatekit.fleet.worktrees import add_worktree

    added = add_worktree(app.repo, app.config.fleet, name, start or app.target, session)
    click.echo(f"created worktree {added.path} on new branch {added.branch} at {added.start[:12]}")
    if added.session:
        click.echo(f"started session {added.session}")


@worktree.command("remove")
@click.argument("name")
@click.option("--force", is_flag=True, help="Remove even with unsaved work (a snapshot is taken first).")
@click.pass_obj
def worktree_remove(app: Any, name: str, force: bool) -> None:
    """Remove a worktree; refuses when it holds work that exists nowhere else."""
    from gatekit.fleet.worktrees import remove_worktree

    removed = remove_worktree(app.repo, name, force)
    if removed.snapshot:
        click.echo(f"snapshot of its state saved as {removed.snapshot}")
    if removed.ignored_saved_in:
        click.echo(f"its ignored files (no snapshot holds them) were copied to {removed.ignored_saved_in}")
    click.echo(
        f"removed worktree {removed.path}" + (f" (branch {removed.branch} kept)" if removed.branch else "")
    )


@click.command()
@FORMAT
@click.pass_obj
def doctor(app: Any, fmt: str) -> None:
    """Repository health: each finding with the command that fixes it. Exit 1 on findings."""
    from gatekit.fleet import render
    from gatekit.fleet.doctor import diagnose

    diagnosis = diagnose(app.repo)
    findings = diagnosis.findings
    if fmt == "json":
        click.echo(render.doctor_json(diagnosis))
    elif not findings:
        click.echo("no problems found")
    for f in findings if fmt == "text" else []:
        click.echo(f"{f.kind}: {f.subject}: {f.problem}\n    fix: {f.fix}")
    if fmt == "text" and (note := render.unreachable_note(diagnosis.lost_work)):
        click.echo(note)
    if findings:
        raise click.exceptions.Exit(1)


@click.group()
def plan() -> None:
    """Task plans that dispatch parallel workers."""


@plan.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@FORMAT
def plan_lint(files: tuple[Path, ...], fmt: str) -> None:
    """Check task files (Markdown + YAML frontmatter) for dispatch policies. Exit 1 on HIGH."""
    from gatekit.fleet import render
    from gatekit.fleet.planlint import HIGH, lint

    result = lint(list(files))
    advisories = result.advisories
    if fmt == "json":
        click.echo(render.plan_lint_json(result))
    else:
        for a in advisories:
            click.echo(f"{a.path}: {a.severity}: {a.message}")
        if not advisories:
            count = result.plan_files
            click.echo(f"{count} plan file{'' if count == 1 else 's'}: no advisories")
    if any(a.severity == HIGH for a in advisories):
        raise click.exceptions.Exit(1)

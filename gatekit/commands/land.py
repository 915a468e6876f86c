"""`gatekit protect`, `gatekit verify-push` and `gatekit land`: parse, call, render."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from gatekit.app import App
from gatekit.config import STRATEGIES

if TYPE_CHECKING:
    from gatekit.land.lander import LandReport
    from gatekit.land.verify_push import PushReport


def _notice(message: str) -> None:
    click.echo(f"gatekit: {message}", err=True)


@click.command()
@click.pass_obj
def protect(app: App) -> None:
    """Refuse a commit on a protected branch or in detached HEAD (a pre-commit hook).

    Protected branches are the `protected` globs of the config (default main and master). The
    way in is `gatekit land`. Escape hatch, reported when used: GATEKIT_ALLOW_PROTECTED=1.
    """
    from gatekit.land.protect import check_commit_allowed

    outcome = check_commit_allowed(app.repo.toplevel, app.config.protected, lambda: app.target)
    notice = outcome.notice()
    if notice:
        click.echo(notice, err=True)


@click.command("verify-push")
@click.argument("remote", required=False)
@click.argument("url", required=False)
@click.option("--no-cache", is_flag=True, help="Run every gate even if the tree already passed it.")
@click.option(
    "--each-commit",
    is_flag=True,
    help="Verify every first-parent commit the remote lacks, not only the pushed tip.",
)
@click.pass_obj
def verify_push(app: App, remote: str | None, url: str | None, no_cache: bool, each_commit: bool) -> None:
    """Verify commits pushed to protected branches (a pre-push hook).

    Reads git's pre-push lines on stdin, or pre-commit's PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF /
    PRE_COMMIT_REMOTE_BRANCH. Deletions, tags and unprotected branches pass without a build.
    """
    from gatekit.land.verify_push import read_updates
    from gatekit.land.verify_push import verify_push as run_verify

    stdin_text = None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    updates = read_updates(stdin_text)
    report = run_verify(app, updates, _notice, use_cache=not no_cache, each_commit=each_commit, remote=remote)
    _render_push(report)
    click.get_current_context().exit(0 if report.ok else 1)


def _render_push(report: PushReport) -> None:
    for decision in report.decisions:
        update = decision.update
        line = (
            f"gatekit: push {update.local_ref} -> {update.remote_ref}: {decision.verdict} ({decision.reason})"
        )
        click.echo(line, err=True)
        if decision.failure:
            click.echo(decision.failure, err=True)
    if not report.ok:
        click.echo(
            "gatekit: push blocked: fix the failing gate, or land through `gatekit land` "
            "(bypass: git push --no-verify, which skips every pre-push hook)",
            err=True,
        )


@click.command()
@click.argument("branches", nargs=-1, required=True)
@click.option(
    "--onto", default=None, metavar="BRANCH", help="The target branch (default: config `target`, main)."
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    default=None,
    help="How branches are integrated (default: config land.strategy, merge).",
)
@click.option("--dry-run", is_flag=True, help="Show what would land; verify and move nothing.")
@click.option("--no-cache", is_flag=True, help="Run every gate even on trees that already passed.")
@click.option(
    "--queue-timeout", type=float, default=None, metavar="SECONDS", help="Give up waiting in the queue."
)
@click.pass_obj
def land(
    app: App,
    branches: tuple[str, ...],
    onto: str | None,
    strategy: str | None,
    dry_run: bool,
    no_cache: bool,
    queue_timeout: float | None,
) -> None:
    """Land BRANCHES on the target through a local merge queue.

    Waits its turn in the queue, integrates the branches in memory, verifies the result in a
    sandbox, then moves the target with a compare-and-swap. A failing batch is bisected: the
    culprits are refused with the failing gate's output and the rest land. Branches are never
    modified; a clean worktree with the target checked out is brought up to date.
    """
    from gatekit.land.lander import LandRequest
    from gatekit.land.lander import land as run_land

    request = LandRequest(
        branches=branches,
        onto=onto or app.target,
        strategy=strategy or app.config.land.strategy,
        dry_run=dry_run,
        use_cache=not no_cache,
        queue_timeout=queue_timeout,
    )
    report = run_land(app, request, _notice)
    _render_land(report)
    click.get_current_context().exit(0 if report.ok else 1)


def _render_land(report: LandReport) -> None:
    verb = "would land (if it verifies)" if report.dry_run else "landed"
    for candidate in report.landed:
        click.echo(f"{verb}: {candidate.name} ({candidate.commit[:12]})")
    for candidate in report.already:
        click.echo(f"already in {report.target}: {candidate.name}")
    for conflict in report.conflicts:
        where = f" (commit {conflict.commit[:12]})" if conflict.commit else ""
        click.echo(f"refused: {conflict.candidate.name} conflicts with {report.target}{where} in:")
        for path in conflict.paths:
            click.echo(f"  {path}")
    for culprit in report.culprits:
        click.echo(f"refused: {culprit.candidate.name} breaks the build: {culprit.summary}")
    if report.dry_run:
        if report.new and report.new != report.old:
            click.echo(
                f"{report.target} would move from {report.old[:12] if report.old else '?'} (after verification)"
            )
        return
    if report.new and report.old and report.new != report.old:
        click.echo(f"{report.target}: {report.old[:12]} -> {report.new[:12]}")
    else:
        click.echo(f"{report.target} unchanged")
    if report.worktree_updated:
        click.echo(f"updated the checkout of {report.target} in {report.worktree_updated}")
    if report.worktree_warning:
        click.echo(f"gatekit: warning: {report.worktree_warning}", err=True)
    click.echo(f"gate runs: {report.gate_runs} in {report.checks} verification(s)")

"""Clobber guard commands: clobber, session, snapshot, watch, rescue. Parse, call, render.

Imports of guard/ happen inside each command: `gatekit clobber --staged` runs in a commit hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from gatekit.guard.evidence import SEVERITIES

if TYPE_CHECKING:
    from gatekit.app import App
    from gatekit.guard.signals import Signal

_SEVERITIES = click.Choice(SEVERITIES)
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
_SESSION = click.option(
    "--session",
    "session",
    metavar="NAME",
    default=None,
    help="The session to act as (default: $GATEKIT_SESSION).",
)


def _when(epoch: float | None) -> str:
    from gatekit.guard.signals import iso

    return iso(epoch) if epoch else "unknown time"


def _echo_json(payload: Any) -> None:
    import json

    click.echo(json.dumps(payload, indent=2, sort_keys=True))


# -- clobber ----------------------------------------------------------------------------------


@click.command()
@_SESSION
@click.option(
    "--since",
    metavar="DURATION|REF",
    help="Window start: 10m, 2h, HEAD@{3}, a commit, start, checkpoint.",
)
@click.option("--staged", is_flag=True, help="Also refuse staged paths of other sessions (commit hook).")
@click.option(
    "--severity",
    type=_SEVERITIES,
    default=None,
    help="Fail at or above this (default: [guard] severity).",
)
@_FORMAT
@click.pass_obj
def clobber(
    app: App, session: str | None, since: str | None, staged: bool, severity: str | None, fmt: str
) -> None:
    """Report evidence that another writer wiped or moved this writer's work; exit 1 if found.

    `gatekit clobber ...` without global options is usually answered by the click-free fast
    path in gatekit/guard/hook.py; this command is the same thing for every other spelling.
    """
    from gatekit.git import guard_paths
    from gatekit.guard.render import emit_report
    from gatekit.guard.signals import inspect

    paths = guard_paths(app.cwd)
    app.repo = paths.repo  # the config lookup reuses it: one rev-parse on the hook path
    threshold = severity or app.config.guard.severity
    report = inspect(app.cwd, session, since, staged, paths)
    code = emit_report(
        report, threshold, fmt, app.use_color(), click.echo, lambda line: click.echo(line, err=True)
    )
    if code:
        raise click.exceptions.Exit(code)


# -- session ----------------------------------------------------------------------------------


@click.group()
def session() -> None:
    """Writer sessions: baseline, claims, edit ledger, declared operations."""


@session.command("start")
@click.option("--name", default=None, help="Session name (default: generated). Export it as GATEKIT_SESSION.")
@click.option(
    "--claim", "claims", multiple=True, metavar="GLOB", help="Paths this session owns (repeatable)."
)
@click.option("--pid", type=int, default=None, help="The writer's process id (default: the parent process).")
@_FORMAT
@click.pass_obj
def session_start(app: App, name: str | None, claims: tuple[str, ...], pid: int | None, fmt: str) -> None:
    """Record the baseline of a new session in this worktree."""
    from gatekit.guard import actions

    record, snap = actions.start(app.cwd, name, claims, pid, app.config.guard)
    if fmt == "json":
        _echo_json(
            {
                "name": record.name,
                "pid": record.pid,
                "claims": record.claims,
                "snapshot": snap.id if snap else None,
            }
        )
        return
    click.echo(record.name)
    click.echo(
        f"session {record.name} started (pid {record.pid}); export GATEKIT_SESSION={record.name}",
        err=True,
    )


@session.command("checkpoint")
@_SESSION
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.pass_obj
def session_checkpoint(app: App, session: str | None, paths: tuple[str, ...]) -> None:
    """Record the session's edits (PATHS, or its dirty claimed paths) and take a snapshot."""
    from gatekit.guard import actions

    result = actions.checkpoint(app.cwd, session, paths, app.config.guard)
    if result.absorbed:
        click.echo(
            f"gatekit: warning: {len(result.absorbed)} clobber signal(s) before this checkpoint:",
            err=True,
        )
        for signal in result.absorbed:
            click.echo(f"  {signal.severity} {signal.kind}: {signal.summary}", err=True)
    who = result.record.name or "worktree (no session)"
    ledger = result.record.data.ledger
    snap = f", snapshot {result.snapshot.id}" if result.snapshot else ""
    click.echo(f"checkpoint {who}: {len(ledger)} path(s) in the edit ledger{snap}")


@session.command("declare")
@_SESSION
@click.argument("op", type=click.Choice(["reset", "stash", "checkout"]))
@click.pass_obj
def session_declare(app: App, session: str | None, op: str) -> None:
    """Mark the session's own next reset, stash or checkout, so it is not reported."""
    from gatekit.guard import actions

    record = actions.declare(app.cwd, session, op)
    click.echo(f"session {record.name}: next {op} declared")


@session.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@_SESSION
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def session_run(app: App, session: str | None, argv: tuple[str, ...]) -> None:
    """Run a command (e.g. `-- git stash`) as the session's own, declared operation."""
    from gatekit.guard import actions, sessions

    record = actions.require_session(app.cwd, session)
    code = sessions.run_declared(app.cwd, record, argv)
    raise click.exceptions.Exit(code)


@session.command("end")
@_SESSION
@click.pass_obj
def session_end(app: App, session: str | None) -> None:
    """Forget the session (its snapshots stay)."""
    from gatekit.guard import actions

    click.echo(actions.end(app.cwd, session))


@session.command("list")
@_FORMAT
@click.pass_obj
def session_list(app: App, fmt: str) -> None:
    """Sessions in every worktree of the repository, and whether their process is alive."""
    from gatekit.guard.sessions import all_sessions

    rows = all_sessions(app.repo.common_dir)
    if fmt == "json":
        _echo_json(
            [
                {
                    "name": r.record.name,
                    "worktree": r.record.worktree,
                    "worktree_id": r.worktree_id,
                    "branch": r.record.branch,
                    "pid": r.record.pid,
                    "alive": r.alive,
                    "started": r.record.started,
                    "claims": r.record.claims,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo("no sessions")
        return
    click.echo(f"{'NAME':<20} {'WORKTREE':<12} {'BRANCH':<16} {'PID':>7} {'ALIVE':<5} {'STARTED':<20} CLAIMS")
    for r in rows:
        rec = r.record
        alive = "yes" if r.alive else "no"
        click.echo(
            f"{rec.name:<20} {r.worktree_id:<12} {rec.branch or '(detached)':<16} "
            f"{rec.pid:>7} {alive:<5} "
            f"{_when(rec.started):<20} {' '.join(rec.claims) or '-'}"
        )


# -- snapshot, watch --------------------------------------------------------------------------


@click.command()
@click.option("--reason", default="manual", show_default=True, help="Recorded in the snapshot's message.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing (for hooks).")
@_FORMAT
@click.pass_obj
def snapshot(app: App, reason: str, quiet: bool, fmt: str) -> None:
    """Save uncommitted work (tracked and untracked) under refs/gatekit/snapshots/."""
    from gatekit.guard.snapshots import take_snapshot

    guard = app.config.guard
    snap = take_snapshot(app.repo, reason, guard.snapshot_keep, guard.snapshot_max_age_days)
    if quiet:
        return
    if fmt == "json":
        _echo_json(
            None
            if snap is None
            else {"id": snap.id, "ref": snap.ref, "commit": snap.commit, "time": snap.time}
        )
    elif snap is None:
        click.echo("nothing new to snapshot")
    else:
        click.echo(f"{snap.id} {snap.commit[:12]} ({snap.ref})")


@click.command()
@_SESSION
@click.option("--once", is_flag=True, help="One snapshot and one check, then exit.")
@click.option("--duration", type=click.FloatRange(min=0), default=None, help="Stop after this many seconds.")
@click.option(
    "--settle",
    type=click.FloatRange(min=0.05),
    default=None,
    help="Seconds of quiet before a snapshot.",
)
@click.pass_obj
def watch(app: App, session: str | None, once: bool, duration: float | None, settle: float | None) -> None:
    """Snapshot after edits settle; report clobber signals as they appear (exit 1 if any)."""
    from gatekit.guard.watch import WatchOptions
    from gatekit.guard.watch import watch as run_watch

    guard = app.config.guard
    options = WatchOptions(
        settle if settle is not None else guard.settle_seconds,
        duration,
        once,
        session,
        guard.snapshot_keep,
        guard.snapshot_max_age_days,
    )

    def on_snapshot(snap: Any) -> None:
        click.echo(f"snapshot {snap.id} {snap.commit[:12]}")

    def on_signal(signal: Signal) -> None:
        click.echo(
            f"{signal.severity.upper()} {signal.kind}: {signal.summary}  (way back: {signal.way_back})"
        )

    reported = run_watch(app.cwd, options, on_snapshot, on_signal)
    if any(s.at_least(guard.severity) for s in reported):
        raise click.exceptions.Exit(1)


# -- rescue -----------------------------------------------------------------------------------


@click.command()
@click.option("--restore", "handle", metavar="ID", default=None, help="Write this item's content back.")
@click.option(
    "--force",
    is_flag=True,
    help="With --restore: overwrite uncommitted changes (after a snapshot).",
)
@click.option("--all-worktrees", is_flag=True, help="List snapshots of every worktree.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Items per kind.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_FORMAT
@click.pass_obj
def rescue(
    app: App,
    handle: str | None,
    force: bool,
    all_worktrees: bool,
    limit: int,
    paths: tuple[str, ...],
    fmt: str,
) -> None:
    """List recoverable work, or restore one item (ID [PATH...]) into the worktree."""
    from gatekit.guard import rescue as rescuing

    if handle is None:
        if paths or force:
            raise click.UsageError("PATH arguments and --force need --restore ID")
        items = rescuing.list_recoverable(app.cwd, limit, all_worktrees)
        _render_recoverable(items, fmt)
        return
    guard = app.config.guard
    done = rescuing.restore(app.cwd, handle, paths, force, guard.snapshot_keep, guard.snapshot_max_age_days)
    if fmt == "json":
        _echo_json({"written": done.written, "unchanged": done.unchanged, "snapshot": done.snapshot})
        return
    if done.snapshot:
        click.echo(f"snapshot {done.snapshot} taken before overwriting")
    for path in done.written:
        click.echo(f"restored {path!r}" if "\n" in path else f"restored {path}")
    for path in done.unchanged:
        click.echo(f"unchanged {path!r}" if "\n" in path else f"unchanged {path}")


def _render_recoverable(items: Sequence[Any], fmt: str) -> None:
    if fmt == "json":
        from dataclasses import asdict

        _echo_json({"version": 1, "items": [asdict(item) for item in items]})
        return
    from gatekit.guard.render import show_path

    if not items:
        click.echo("nothing to rescue")
        return
    for item in items:
        click.echo(f"{item.id:<36} {item.kind:<16} {_when(item.time)}  {item.note}")
        for path, added, deleted in item.diffstat:
            click.echo(f"    {show_path(path):<50} +{added} -{deleted}")
        for path in item.paths[len(item.diffstat) :]:
            click.echo(f"    {show_path(path)}")

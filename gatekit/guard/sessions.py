"""Writer sessions: baseline, claims, edit ledger and declared operations.

A session's own state lives in SessionRecord.data, a SessionState (the top-level fields are
shared with fleet/):
    start      baseline when the session began (dirty paths then are not "foreign")
    baseline   baseline at the last checkpoint: the clobber window starts here
    ledger     {path: LedgerEntry}: content before the session's first edit, at its last
               checkpoint, and in HEAD then
    declared   operations the session announced it will run itself (reset, stash, checkout)
    explained  reflog keys and stash ids produced by `session run`
Without a session, an anonymous record in <git-dir>/gatekit/checkpoint.json plays the same role.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gatekit import git
from gatekit.errors import UsageError
from gatekit.guard import sessions_store as store
from gatekit.guard.content import blob_ids, claimed_by
from gatekit.guard.observe import Observation, baseline_of, observe
from gatekit.state_dirs import worktree_state_dir
from gatekit.system import identity
from gatekit.system.processes import is_alive, run_attached

SESSION_ENV = "GATEKIT_SESSION"
DECLARABLE = ("reset", "stash", "checkout")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def checkpoint_file(git_dir: Path) -> Path:
    return worktree_state_dir(git_dir) / "checkpoint.json"


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"session name {name!r} is not valid: use letters, digits, '.', '_' or '-' "
            "(at most 64, not starting with punctuation)"
        )
    return name


def default_name() -> str:
    return f"s{identity.parent_pid()}-{int(time.time()) % 100000:05d}"


# -- finding sessions -------------------------------------------------------------------------


def resolve_session(git_dir: Path, name: str | None) -> store.SessionRecord | None:
    """The current session: --session, else $GATEKIT_SESSION, else None (anonymous).

    Never guessed from "the only session here": a human committing in a worktree where one
    agent has a session must not be taken for that agent (its claims would become theirs).
    """
    name = name or os.environ.get(SESSION_ENV) or None
    if not name:
        return None
    record = store.load_session(git_dir, validate_name(name))
    if record is None:
        raise UsageError(f"no session named {name!r} in this worktree (see `gatekit session list`)")
    return record


def load_anonymous(git_dir: Path) -> store.SessionRecord | None:
    return store.readable_or_none(checkpoint_file(git_dir))


@dataclass(frozen=True)
class SessionRow:
    """One line of `session list`."""

    record: store.SessionRecord
    worktree_id: str
    alive: bool


def all_sessions(common_dir: Path) -> list[SessionRow]:
    """Sessions of every worktree of the repository (admin dirs are walked, no git call)."""
    git_dirs = [("main", common_dir)]
    admin = common_dir / "worktrees"
    if admin.is_dir():
        git_dirs += [(d.name, d) for d in sorted(admin.iterdir()) if d.is_dir()]
    rows = []
    for wid, git_dir in git_dirs:
        for record in store.list_sessions(git_dir):
            rows.append(SessionRow(record, wid, is_alive(record.pid)))
    return rows


# -- lifecycle --------------------------------------------------------------------------------


def start_session(cwd: Path, name: str | None, claims: Sequence[str], pid: int | None) -> store.SessionRecord:
    """Record a new session's baseline in the worktree's own git dir."""
    obs = observe(cwd)
    git_dir = obs.paths.repo.git_dir
    name = validate_name(name) if name is not None else default_name()
    if store.load_session(git_dir, name) is not None:
        raise UsageError(f"a session named {name!r} already exists here; end it or pick another name")
    base = baseline_of(obs)
    record = store.SessionRecord(
        name=name,
        pid=pid if pid is not None else identity.parent_pid(),
        started=obs.time,
        worktree=str(obs.root),
        branch=obs.status.branch,
        head=obs.status.head,
        claims=list(dict.fromkeys(claims)),
        data=store.SessionState(start=base, baseline=replace(base)),
    )
    store.save_session(git_dir, record)
    return record


def end_session(git_dir: Path, name: str) -> bool:
    return store.delete_session(git_dir, validate_name(name))


def others(git_dir: Path, me: store.SessionRecord | None) -> list[store.SessionRecord]:
    """The other sessions sharing this worktree."""
    mine = me.name if me is not None else None
    return [r for r in store.list_sessions(git_dir) if r.name != mine]


def owner_of(path: str, sessions: Sequence[store.SessionRecord]) -> store.SessionRecord | None:
    """The session that claimed path, or recorded it in its ledger."""
    for record in sessions:
        if claimed_by(path, record.claims):
            return record
    for record in sessions:
        if path in record.data.ledger:
            return record
    return None


def checkpoint(
    obs: Observation,
    record: store.SessionRecord | None,
    paths: Sequence[str] = (),
    base: Path | None = None,
) -> store.SessionRecord:
    """Update the edit ledger and move the clobber window to now.

    paths: files the session edited (relative to base); without them, the dirty paths in the
    session's claims (or,
    with no claims, every dirty path no other session owns).
    """
    git_dir = obs.paths.repo.git_dir
    if record is None:
        record = load_anonymous(git_dir) or _anonymous(obs)
    data = record.data
    ledger = data.ledger
    touched = _touched(obs, record, paths, base or obs.root)
    now = blob_ids(obs.root, [*touched, *ledger])
    new = [p for p in touched if p not in ledger]
    if new:
        before = _pre_edit_ids(obs, data.start, new)
        for path in new:
            ledger[path] = store.LedgerEntry(before[path], now[path])
    _refresh_ledger(obs.root, obs.status.head, ledger, now)
    data.baseline = baseline_of(obs)
    data.declared = []
    data.explained = store.Explained()
    data.checkpoints += 1
    record.head, record.branch = obs.status.head, obs.status.branch
    if record.name:
        store.save_session(git_dir, record)
    else:
        store.save_record(checkpoint_file(git_dir), record)
    return record


def _refresh_ledger(
    root: Path, head: str | None, ledger: dict[str, store.LedgerEntry], now: dict[str, str | None]
) -> None:
    """Record each ledger path's content now ("after") and in HEAD now ("head").

    A later wipe lands on one of the versions the edit started from: the content before the
    session's first edit, or HEAD's (`reset --hard HEAD` after the session committed once).
    """
    heads = git.tree_blobs(root, head, list(ledger)) if head and ledger else {}
    for path, item in ledger.items():
        item.after = now[path]
        item.head = heads[path][1] if path in heads else None


def _anonymous(obs: Observation) -> store.SessionRecord:
    base = baseline_of(obs)
    # No writer began anywhere: every dirty path's pre-edit content is HEAD's.
    start = replace(base, dirty={})
    return store.SessionRecord(
        name="",
        pid=0,
        started=obs.time,
        worktree=str(obs.root),
        branch=obs.status.branch,
        head=obs.status.head,
        data=store.SessionState(start=start, baseline=base),
    )


def _touched(obs: Observation, record: store.SessionRecord, paths: Sequence[str], base: Path) -> list[str]:
    if paths:
        return [repo_relative(obs.root, p, base) for p in paths]
    dirty = obs.dirty_paths
    if record.claims:
        return [p for p in dirty if claimed_by(p, record.claims)]
    rivals = others(obs.paths.repo.git_dir, record if record.name else None)
    return [p for p in dirty if owner_of(p, rivals) is None]


def repo_relative(root: Path, path: str, base: Path) -> str:
    """A path given on the command line (relative to base), relative to the root, in git's form."""
    full = Path(os.path.abspath(os.path.join(base, path)))
    try:
        rel = full.relative_to(root)
    except ValueError:
        try:
            rel = full.resolve().relative_to(root.resolve())
        except ValueError:
            raise UsageError(f"{path!r} is outside the worktree {root}") from None
    return rel.as_posix()


def _pre_edit_ids(obs: Observation, start: store.Baseline | None, paths: list[str]) -> dict[str, str | None]:
    """Content before the session's edits: the dirty content at start, else the start HEAD's."""
    dirty_then = start.dirty if start is not None else {}
    result: dict[str, str | None] = {p: dirty_then[p] for p in paths if p in dirty_then}
    rest = [p for p in paths if p not in result]
    head = (start.head if start is not None else None) or obs.status.head
    blobs = git.tree_blobs(obs.root, head, rest) if rest and head else {}
    for path in rest:
        result[path] = blobs[path][1] if path in blobs else None
    return result


# -- declared operations ----------------------------------------------------------------------


def declare(obs: Observation, record: store.SessionRecord, op: str) -> None:
    """Mark the session's own next reset/stash/checkout, so clobber does not report it."""
    if op not in DECLARABLE:
        raise UsageError(f"cannot declare {op!r}: declare one of {', '.join(DECLARABLE)}")
    record.data.declared.append(store.Declaration(op, len(obs.head_log), obs.stash_oids, obs.time))
    store.save_session(obs.paths.repo.git_dir, record)


def run_declared(cwd: Path, record: store.SessionRecord, argv: Sequence[str]) -> int:
    """Run argv as the session's own operation: its reflog and stash effects are explained.

    The ledger is refreshed afterwards, so an edit the command itself reverts is not reported.
    """
    if not argv:
        raise UsageError("nothing to run: give the command after `--`")
    before = observe(cwd)
    try:
        code = run_attached(argv, cwd)
    except FileNotFoundError as exc:
        raise UsageError(f"cannot run {argv[0]!r}: not found") from exc
    after = observe(cwd, before.paths)
    git_dir = before.paths.repo.git_dir
    record = store.load_session(git_dir, record.name) or record
    explained = record.data.explained
    seen = {e.key for e in before.head_log}
    explained.head.extend(e.key for e in after.head_log if e.key not in seen)
    explained.stash.extend(sorted(set(before.stash_oids) ^ set(after.stash_oids)))
    ledger = record.data.ledger
    _refresh_ledger(after.root, after.status.head, ledger, blob_ids(after.root, list(ledger)))
    store.save_session(git_dir, record)
    return code

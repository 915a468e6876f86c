"""Find lost work (snapshots, orphaned commits, stash entries, dangling blobs) and restore it.

`restore` is the one function in guard/ that writes the worktree, and only because the user
asked: it refuses to overwrite a path with uncommitted changes unless forced, and then takes a
snapshot first.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit import git
from gatekit.errors import Refused, UsageError
from gatekit.guard import sessions_store as store
from gatekit.guard.content import blob_id
from gatekit.guard.lost import lost_commits
from gatekit.guard.observe import observe
from gatekit.guard.snapshots import find_snapshot, list_snapshots, take_snapshot
from gatekit.system.files import atomic_write

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_MAX_BLOBS = 50
_MAX_CANDIDATES = 2000


@dataclass(frozen=True)
class Recoverable:
    """One thing `rescue` can bring back."""

    id: str  # what `rescue --restore` accepts
    kind: str  # snapshot | orphaned-commit | stash | blob
    time: float | None
    paths: tuple[str, ...]
    diffstat: tuple[tuple[str, int, int], ...]  # (path, lines added, lines deleted)
    note: str = ""
    commit: str | None = None  # the full id of a snapshot, commit or stash entry
    lost: bool = False  # no ref or reflog reaches it: `git gc` will delete it (doctor reports it)


def list_recoverable(cwd: Path, limit: int = 20, all_worktrees: bool = False) -> list[Recoverable]:
    """Everything recoverable, newest first within each kind."""
    obs = observe(cwd)
    repo, root = obs.paths.repo, obs.root
    items: list[Recoverable] = []
    for snap, gone in _snapshots_shown(repo, all_worktrees)[:limit]:
        stat = _commit_stat(root, snap.commit)
        note = f"{snap.reason} (from removed worktree {snap.worktree})" if gone else snap.reason
        items.append(Recoverable(snap.id, "snapshot", snap.time, _paths(stat), stat, note, snap.commit))
    origin = {}
    for entry in obs.head_log:
        for oid in (entry.old, entry.new):
            if not git.is_null_oid(oid):
                origin[oid] = entry
    lost = git.unreachable_commits(root, [o for o in origin if o != obs.status.head])
    makers = _journal(repo)
    for oid in sorted(lost, key=lambda o: -origin[o].index)[:limit]:
        stat = _commit_stat(root, oid)
        items.append(
            Recoverable(
                f"commit:{oid[:12]}",
                "orphaned-commit",
                origin[oid].time,
                _paths(stat),
                stat,
                origin[oid].message + _maker(makers, oid, "", "left by"),
                oid,
            )
        )
    items += _lost_commits(root, {i.commit for i in items}, limit, makers)
    for entry in list(reversed(obs.stash_log))[:limit]:
        # Named by commit id: stash@{n} shifts with every push and pop (issue 10).
        stat = _stash_stat(root, entry.new)
        selector = entry.selector("stash", len(obs.stash_log))
        note = f"{entry.message} (now {selector})" + _maker(makers, entry.new, "refs/stash", "made by")
        items.append(
            Recoverable(f"stash:{entry.new}", "stash", entry.time, _paths(stat), stat, note, entry.new)
        )
    items += _blobs(obs.paths.repo, root, obs.dirty_paths, limit)
    return items


def _journal(repo: git.RepoPaths) -> list[dict[str, Any]]:
    from gatekit.guard import journal
    from gatekit.guard.witness import fold

    return fold(list(journal.read(journal.journal_file(repo.common_dir))))


def _maker(records: Sequence[dict[str, Any]], commit: str, ref_prefix: str, verb: str) -> str:
    """ " — made by session B, pid 4121, `git stash`, ...": who the journal says made or left it."""
    from gatekit.guard.journal_signals import describe
    from gatekit.guard.witness import maker_of

    found = maker_of(records, commit, ref_prefix, made=verb != "taken by" and verb != "left by")
    return f" — {verb} {describe(found)}" if found else ""


def _snapshots_shown(repo: git.RepoPaths, all_worktrees: bool) -> list[tuple[Any, bool]]:
    """This worktree's snapshots (or all), plus those of removed worktrees, which no other
    worktree's rescue would ever show (issue 10); newest first, with "worktree is gone"."""
    from gatekit.guard.snapshots import of_removed_worktrees
    from gatekit.state_dirs import worktree_id

    here = worktree_id(repo.git_dir, repo.common_dir)
    gone = {s.ref for s in of_removed_worktrees(repo)}
    return [
        (snap, snap.ref in gone)
        for snap in reversed(list_snapshots(repo, all_worktrees=True))
        if all_worktrees or snap.worktree == here or snap.ref in gone
    ]


def _lost_commits(
    root: Path, listed: set[str | None], limit: int, makers: Sequence[dict[str, Any]] = ()
) -> list[Recoverable]:
    """The user's commits no ref or reflog reaches: what `doctor` reports as orphaned. A popped or
    dropped stash entry says who made it and who took it, when the journal knows."""
    found = []
    for lost in [c for c in lost_commits(root) if c.kind == "lost" and c.commit not in listed][:limit]:
        stat = _commit_stat(root, lost.commit)
        note = f"{lost.subject} (no ref or reflog reaches it: `git gc` will delete it)"
        note += _maker(makers, lost.commit, "refs/stash", "made by")
        note += _maker(makers, lost.commit, "refs/stash", "taken by")
        found.append(
            Recoverable(
                f"commit:{lost.commit[:12]}",
                "orphaned-commit",
                lost.time,
                _paths(stat),
                stat,
                note,
                lost.commit,
                True,
            )
        )
    return found


def _paths(stat: Sequence[tuple[str, int, int]]) -> tuple[str, ...]:
    return tuple(row[0] for row in stat)


def _commit_stat(root: Path, commit: str) -> tuple[tuple[str, int, int], ...]:
    parents = git.commit_parents(root, commit)
    return tuple(git.numstat(root, parents[0] if parents else EMPTY_TREE, commit))


def _stash_stat(root: Path, commit: str) -> tuple[tuple[str, int, int], ...]:
    """A stash's tracked changes plus the untracked files kept in its third parent."""
    parents = git.commit_parents(root, commit)
    rows = git.numstat(root, parents[0], commit) if parents else []
    if len(parents) >= 3:
        rows += git.numstat(root, EMPTY_TREE, parents[2])
    return tuple(rows)


# -- dangling blobs ---------------------------------------------------------------------------


def _blobs(repo: git.RepoPaths, root: Path, dirty: list[str], limit: int) -> list[Recoverable]:
    blobs = git.dangling_blobs(root)
    if not blobs:
        return []
    dated = sorted(((_loose_time(repo.common_dir, b), b) for b in blobs), key=lambda t: -(t[0] or 0))
    dated = dated[: min(limit, _MAX_BLOBS)]
    known = _ledger_paths(repo)
    candidates = _candidate_paths(repo, root, dirty, known)
    contents = git.read_blobs(root, [oid for _, oid in dated])
    gone = _snapshotted_gone(repo, root)
    items = []
    for when, oid in dated:
        data = contents[oid]
        path = known.get(oid) or _best_match(root, data, candidates) or _best_match_gone(data, gone)
        stat: tuple[tuple[str, int, int], ...] = ()
        if path:
            stat = ((path, *_line_stat(_read(root, path), data)),)
        note = f"{len(data)} bytes" + ("" if path else ", no likely path: give one to --restore")
        items.append(Recoverable(f"blob:{oid[:12]}", "blob", when, (path,) if path else (), stat, note))
    return items


def _snapshotted_gone(repo: git.RepoPaths, root: Path) -> dict[str, bytes]:
    """{path: content in the newest snapshot} for snapshotted files that no longer exist, and the
    paths the guard's journal names: a wiped new (or binary) file has no current content to
    compare a dangling blob with, but a snapshot or the journal still knows its name (issue 10)."""
    from gatekit.guard import journal

    wanted: dict[str, str] = {}
    for snap in list(reversed(list_snapshots(repo)))[:5]:
        changed = [row[0] for row in _commit_stat(root, snap.commit)]
        for path, (_, blob) in git.tree_blobs(root, snap.commit, changed).items():
            if not (root / path).exists():
                wanted.setdefault(path, blob)
    for record in journal.read(journal.journal_file(repo.common_dir)):
        for path in record.get("paths") or ():
            if isinstance(path, str) and not (root / path).exists():
                wanted.setdefault(path, "")
    blobs = git.read_blobs(root, [b for b in wanted.values() if b])
    return {path: blobs.get(blob, b"") for path, blob in wanted.items()}


def _best_match_gone(data: bytes, gone: dict[str, bytes]) -> str | None:
    """The vanished path whose last known content is most like data; for binary content, the
    one path of the same size, or the only vanished path there is."""
    best, score = None, 0.5
    for path, old in gone.items():
        ratio = difflib.SequenceMatcher(None, data.splitlines(), old.splitlines(), autojunk=False).ratio()
        if old and ratio >= score:
            best, score = path, ratio
    if best is None and b"\0" in data[:8000]:
        sized = [p for p, old in gone.items() if len(old) == len(data)]
        best = sized[0] if len(sized) == 1 else (next(iter(gone)) if len(gone) == 1 else None)
    return best


def _loose_time(common_dir: Path, oid: str) -> float | None:
    try:
        return (common_dir / "objects" / oid[:2] / oid[2:]).stat().st_mtime
    except OSError:
        return None  # packed: no per-object time


def _ledger_paths(repo: git.RepoPaths) -> dict[str, str]:
    """{blob id: path} for every content a session of this worktree recorded."""
    found: dict[str, str] = {}
    for record in store.list_sessions(repo.git_dir):
        for path, item in record.data.ledger.items():
            for blob in (item.after, item.before):
                if blob:
                    found.setdefault(blob, path)
    return found


def _candidate_paths(repo: git.RepoPaths, root: Path, dirty: list[str], known: dict[str, str]) -> list[str]:
    """Paths a lost blob most likely belonged to: recently dirty, snapshotted, then tracked."""
    paths = list(dict.fromkeys([*dirty, *known.values()]))
    for snap in list(reversed(list_snapshots(repo)))[:5]:
        paths += [row[0] for row in _commit_stat(root, snap.commit)]
    if git.head_commit(root):
        paths += list(git.tree_blobs(root, "HEAD"))[:_MAX_CANDIDATES]
    return list(dict.fromkeys(paths))[:_MAX_CANDIDATES]


def _best_match(root: Path, data: bytes, candidates: list[str]) -> str | None:
    """The candidate whose current content is most like data (line similarity >= 0.5)."""
    lines = data.splitlines()
    best, score = None, 0.5
    for path in candidates:
        current = _read(root, path)
        if current is None:
            continue
        matcher = difflib.SequenceMatcher(None, lines, current.splitlines(), autojunk=False)
        if matcher.real_quick_ratio() < score or matcher.quick_ratio() < score:
            continue
        ratio = matcher.ratio()
        if ratio >= score:
            best, score = path, ratio
    return best


def _read(root: Path, path: str) -> bytes | None:
    try:
        return (root / path).read_bytes()
    except OSError:
        return None


def _line_stat(old: bytes | None, new: bytes) -> tuple[int, int]:
    added = deleted = 0
    for line in difflib.ndiff(
        (old or b"").decode("utf-8", "replace").splitlines(),
        new.decode("utf-8", "replace").splitlines(),
    ):
        if line.startswith("+ "):
            added += 1
        elif line.startswith("- "):
            deleted += 1
    return added, deleted


# -- restore ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    written: list[str]
    unchanged: list[str]
    snapshot: str | None  # taken before overwriting dirty paths (--force)


def restore(
    cwd: Path,
    handle: str,
    paths: Sequence[str],
    force: bool = False,
    keep: int = 50,
    max_age_days: float = 30.0,
) -> Restored:
    """Write the content handle names back into the worktree (only the given paths if any)."""
    obs = observe(cwd)
    root = obs.root
    files = _files_of(obs.paths.repo, handle, list(paths), root, cwd)
    if not files:
        raise UsageError(f"{handle} holds none of the requested paths")
    dirty = set(obs.dirty_paths)
    blocked = [p for p, (_, oid) in files.items() if p in dirty and blob_id(root, p) != oid]
    if blocked and not force:
        listed = ", ".join(repr(p) for p in blocked)
        raise Refused(
            f"refusing to overwrite uncommitted changes in {listed}; use --force (a snapshot is taken first)"
        )
    snap = (
        take_snapshot(obs.paths.repo, f"before rescue --restore {handle}", keep, max_age_days)
        if blocked
        else None
    )
    written, unchanged = [], []
    for path, (mode, oid) in files.items():
        if blob_id(root, path, "sha256" if len(oid) == 64 else "sha1") == oid and mode != "120000":
            unchanged.append(path)
            continue
        _write(root, path, mode, git.cat_blob(root, oid))
        written.append(path)
    return Restored(written, unchanged, snap.id if snap else None)


def _files_of(
    repo: git.RepoPaths, handle: str, paths: list[str], root: Path, base: Path
) -> dict[str, tuple[str, str]]:
    """{path: (mode, blob id)} that handle restores."""
    from gatekit.guard.sessions import repo_relative

    wanted = [repo_relative(root, p, base) for p in paths]
    kind, _, rest = handle.partition(":")
    if kind == "snapshot":
        snap = find_snapshot(repo, handle)
        if snap is None:
            raise UsageError(f"no snapshot {handle!r} (see `gatekit rescue`)")
        oid = snap.commit
    else:
        rev = rest if kind in ("commit", "blob", "stash") and rest else handle
        if rev.startswith("-"):
            raise UsageError(f"{handle!r} is not something rescue can restore")
        oid = git.rev_parse(root, rev) or ""
        if not oid:
            raise UsageError(f"{handle!r} names nothing in this repository (see `gatekit rescue`)")
    kind = git.object_type(root, oid) or ""
    if kind == "blob":
        if len(wanted) != 1:
            path = _ledger_paths(repo).get(oid) or _best_match_gone(
                git.cat_blob(root, oid), _snapshotted_gone(repo, root)
            )
            if path is None or wanted:
                raise UsageError(f"{handle} is a single file's content: give exactly one PATH to write it to")
            wanted = [path]
        return {wanted[0]: ("100644", oid)}
    if kind != "commit":
        raise UsageError(
            f"{handle!r} is a {kind or 'missing object'}, not a snapshot, commit, stash entry or blob"
        )
    trees = [oid]
    parents = git.commit_parents(root, oid)
    if len(parents) >= 3 and (handle.startswith("stash") or _is_stash_commit(root, oid)):
        trees.append(parents[2])  # untracked files of `git stash -u`
    files: dict[str, tuple[str, str]] = {}
    changed: set[str] = set()
    for tree in trees:
        above = git.commit_parents(root, tree)
        changed |= set(git.changed_paths(root, above[0] if above else EMPTY_TREE, tree))
    for tree in reversed(trees):
        files.update(git.tree_blobs(root, tree, wanted))
    if wanted:
        missing = [p for p in wanted if p not in files]
        if missing:
            raise UsageError(f"{handle} has no file {missing[0]!r}")
        return {p: files[p] for p in wanted}
    return {p: v for p, v in files.items() if p in changed}


def _refuse_beyond_symlink(root: Path, path: str) -> None:
    """Refuse a path whose leading directories include a symbolic link, as git does: writing
    through it could overwrite a file outside the worktree."""
    here = root
    for part in Path(path).parts[:-1]:
        here = here / part
        if here.is_symlink():
            raise Refused(
                f"{path!r} lies beyond a symbolic link ({os.fsdecode(here.relative_to(root))} -> "
                f"{os.readlink(here)}); not writing through it. Remove the link to restore the file"
            )


def _is_stash_commit(root: Path, oid: str) -> bool:
    """A commit shaped like a stash entry (its subject is git's "WIP on ..." / "On ...")."""
    subject = git.commit_subject(root, oid)
    return subject.startswith(("WIP on ", "On ", "index on ", "untracked files on "))


def _write(root: Path, path: str, mode: str, data: bytes) -> None:
    """Write one file atomically (temp file + rename), with its mode; symlinks as links."""
    target = root / path
    if os.path.relpath(target, root).startswith(".."):
        raise UsageError(f"refusing to write outside the worktree: {path!r}")
    _refuse_beyond_symlink(root, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        raise Refused(f"{path!r} is a directory now; not replacing it")
    if mode == "120000":
        if target.is_symlink() or target.exists():
            target.unlink()
        os.symlink(os.fsdecode(data), target)
        return
    atomic_write(target, data, mode=0o755 if mode == "100755" else 0o644)

"""`gatekit watch`: snapshot after edits settle, report a clobber signal the moment it appears.

watchdog delivers file events from the worktree and the git dir; the loop itself only keeps two
clocks (last worktree edit, last git-dir change) so that a burst of events costs one snapshot
and one signal check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import extras
from gatekit.guard.signals import Signal, inspect
from gatekit.guard.snapshots import Snapshot, take_snapshot

_GIT_EVENTS = ("logs/HEAD", "logs/refs/stash", "index.lock", "HEAD", "index")
_POLL_SECONDS = 5.0


@dataclass
class _Clock:
    lock: threading.Lock = field(default_factory=threading.Lock)
    edited: float | None = None
    git_changed: float | None = None

    def touch(self, *, git_side: bool) -> None:
        with self.lock:
            if git_side:
                self.git_changed = time.monotonic()
            else:
                self.edited = time.monotonic()


@dataclass(frozen=True)
class WatchOptions:
    settle_seconds: float = 2.0
    duration: float | None = None  # stop after this many seconds (None: until interrupted)
    once: bool = False  # one snapshot and one check, then stop
    session: str | None = None
    keep: int = 50
    max_age_days: float = 30.0


def watch(
    cwd: Path,
    options: WatchOptions,
    on_snapshot: Callable[[Snapshot], None],
    on_signal: Callable[[Signal], None],
) -> list[Signal]:
    """Run until duration/once/interrupt; returns every new signal reported."""
    from gatekit.git import guard_paths

    paths = guard_paths(cwd)
    repo = paths.repo
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    reported: list[Signal] = []

    def check() -> None:
        for signal in inspect(cwd, options.session).signals:
            key = (signal.kind, signal.summary, signal.paths)
            if key not in seen:
                seen.add(key)
                reported.append(signal)
                on_signal(signal)

    def snap() -> None:
        made = take_snapshot(repo, "watch: edits settled", options.keep, options.max_age_days)
        if made is not None:
            on_snapshot(made)

    check()
    snap()
    if options.once:
        return reported
    clock = _Clock()
    # --once needs no file events; watching does (a light install leaves watchdog out).
    extras.require("watch", "`gatekit watch` without --once")
    observer = _start_observer(repo.toplevel, repo.git_dir, repo.common_dir, clock)
    deadline = None if options.duration is None else time.monotonic() + options.duration
    last_check = time.monotonic()
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(min(0.2, options.settle_seconds))
            now = time.monotonic()
            with clock.lock:
                # A periodic check too: inotify can drop events (queue overflow, new dirs).
                git_due = clock.git_changed is not None or now - last_check >= _POLL_SECONDS
                edit_due = clock.edited is not None and now - clock.edited >= options.settle_seconds
                if git_due:
                    clock.git_changed = None
                if edit_due:
                    clock.edited = None
            if git_due:
                check()
                last_check = now
            if edit_due:
                snap()
                check()
                last_check = now
    finally:
        observer.stop()
        observer.join(timeout=5)
    return reported


def _start_observer(root: Path, git_dir: Path, common_dir: Path, clock: _Clock):  # type: ignore[no-untyped-def]
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    git_dirs = tuple(str(d.resolve()) for d in {git_dir, common_dir})

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            path = str(getattr(event, "dest_path", "") or event.src_path)
            inside_git = path.startswith(git_dirs) or "/.git/" in path or path.endswith("/.git")
            if inside_git:
                if path.endswith(_GIT_EVENTS) and "gatekit" not in path:
                    clock.touch(git_side=True)
            elif not event.is_directory:
                clock.touch(git_side=False)

    observer = Observer()
    handler = Handler()
    observer.schedule(handler, str(root.resolve()), recursive=True)
    for directory in {git_dir.resolve(), common_dir.resolve()}:
        if not str(directory).startswith(str(root.resolve()) + "/"):
            observer.schedule(handler, str(directory), recursive=True)
    observer.start()
    return observer

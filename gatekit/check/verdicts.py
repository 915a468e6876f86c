"""The verdict cache: a gate's result for a tree, kept in git notes (docs/verdicts.md).

Key: the tree id (so a verdict survives rebases and merges that reproduce the same content, as
in mhagger/git-test) and a fingerprint of the gate definition (command, cwd, env, shell and the
identity of the toolchain that runs it).

Format: the note on a tree under refs/notes/gatekit holds one JSON object per line, one line per
verdict ever recorded for that tree:

    {"fp": "<sha256>", "gate": "test", "status": "passed", "time": 1700000000.0,
     "duration": 4.2, "host": "build-3"}

Lines, not one JSON document, so notes from several machines merge losslessly with git's own
`cat_sort_uniq` strategy (see docs/verdicts.md). A new verdict is appended, never rewritten: when
a gate flips on the same tree and fingerprint (passed, now failed) both results stay in the note
and the flip is reported as flaky.

Reuse policy: a cached *pass* is reused; a cached failure is recorded (for history and flakiness)
but the gate runs again on the next invocation, since failures are often environmental and the
user retries after fixing the machine, not the tree.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from gatekit import git
from gatekit.check.gates import GateStatus
from gatekit.check.toolchain_versions import ToolchainProbe, gate_program
from gatekit.config import Gate
from gatekit.errors import CommandError, GatekitError
from gatekit.git import RepoPaths
from gatekit.state_dirs import NOTES_REF, locks_dir, shared_state_dir
from gatekit.system.files import flocked

if TYPE_CHECKING:
    from gatekit.check.gates import GateResult

# git holds a ref lock for milliseconds; one this old, while we hold notes.lock, is a dead writer's.
STALE_REF_LOCK_SECONDS = 10.0

# Used only when git knows no committer: notes are commits, and a hook must not die over that.
_FALLBACK_IDENTITY = {"GIT_COMMITTER_NAME": "gatekit", "GIT_COMMITTER_EMAIL": "gatekit@localhost"}


@dataclass(frozen=True)
class Verdict:
    """One recorded result of one gate on one tree."""

    fp: str
    gate: str
    status: GateStatus  # passed | failed
    time: float
    duration: float
    host: str

    @property
    def passed(self) -> bool:
        return self.status == GateStatus.PASSED

    def to_line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Flip:
    """A gate whose result on an unchanged tree and definition changed: a flaky gate."""

    tree: str
    before: Verdict
    after: Verdict

    def describe(self) -> str:
        return (
            f"flaky: gate {self.after.gate!r} {self.before.status} on tree {self.tree[:12]} "
            f"({self.before.host}, {_when(self.before.time)}) and {self.after.status} now "
            f"({self.after.host}); both verdicts are kept in {NOTES_REF}"
        )


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def parse_note(content: str) -> list[Verdict]:
    """Verdicts from a note; lines that are not verdicts (hand edits, other tools) are skipped."""
    verdicts: list[Verdict] = []
    for line in content.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            raw = json.loads(line)
            verdicts.append(
                Verdict(
                    fp=str(raw["fp"]),
                    gate=str(raw.get("gate", "")),
                    status=GateStatus(str(raw["status"])),
                    time=float(raw.get("time", 0.0)),
                    duration=float(raw.get("duration", 0.0)),
                    host=str(raw.get("host", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(verdicts, key=lambda v: v.time)


def gate_fingerprint(gate: Gate, probe: ToolchainProbe) -> str:
    """sha256 of everything besides the tree that decides a gate's result."""
    path_env = gate.env.get("PATH", os.environ.get("PATH"))
    payload = {
        "run": list(gate.run),
        "shell": gate.shell,
        "cwd": gate.cwd,
        "env": sorted(gate.env.items()),
        "tool": probe.identity(gate_program(gate), path_env),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class VerdictStore:
    """Reads and appends verdicts under refs/notes/gatekit of one repository."""

    def __init__(self, repo: RepoPaths, *, notes_ref: str = NOTES_REF) -> None:
        self.repo = repo
        self.notes_ref = notes_ref
        self.probe = ToolchainProbe(shared_state_dir(repo.common_dir))
        self._history: dict[str, list[Verdict]] = {}
        self._fingerprints: dict[tuple[object, ...], str] = {}

    # -- reading ---------------------------------------------------------------------------

    def fingerprint(self, gate: Gate) -> str:
        # Gate holds a dict (env), so it is not hashable: key the memo on its fields.
        key = (gate.run, gate.shell, gate.cwd, tuple(sorted(gate.env.items())))
        if key not in self._fingerprints:
            self._fingerprints[key] = gate_fingerprint(gate, self.probe)
        return self._fingerprints[key]

    def history(self, tree: str) -> list[Verdict]:
        """Every verdict recorded for tree, oldest first."""
        if tree not in self._history:
            note = git.notes_show(self.repo.toplevel, self.notes_ref, tree)
            self._history[tree] = parse_note(note) if note else []
        return self._history[tree]

    def latest(self, tree: str, gate: Gate) -> Verdict | None:
        fp = self.fingerprint(gate)
        matching = [v for v in self.history(tree) if v.fp == fp]
        return matching[-1] if matching else None

    # -- writing ---------------------------------------------------------------------------

    def record(self, tree: str, gate: Gate, passed: bool, duration: float) -> Flip | None:
        """Append gate's result on tree; returns the flip when it contradicts the last one."""
        verdict = Verdict(
            fp=self.fingerprint(gate),
            gate=gate.name,
            status=GateStatus.PASSED if passed else GateStatus.FAILED,
            time=time.time(),
            duration=round(duration, 3),
            host=os.uname().nodename,
        )
        return self.record_verdicts(tree, [verdict])[0]

    def record_verdicts(self, tree: str, verdicts: Iterable[Verdict]) -> list[Flip | None]:
        """Append verdicts to tree's note under a lock (git notes itself has no CAS)."""
        verdicts = list(verdicts)
        with self._locked():
            # Re-read under the lock: another process may have written since we looked.
            self._history.pop(tree, None)
            existing = self.history(tree)
            flips: list[Flip | None] = []
            for verdict in verdicts:
                before = [v for v in existing if v.fp == verdict.fp]
                flip = None
                if before and before[-1].status != verdict.status:
                    flip = Flip(tree, before[-1], verdict)
                flips.append(flip)
            lines = [v.to_line() for v in [*existing, *verdicts]]
            self._write(tree, "\n".join(lines) + "\n")
            self._history[tree] = sorted([*existing, *verdicts], key=lambda v: v.time)
        return flips

    def _write(self, tree: str, content: str) -> None:
        env = None if git.has_identity(self.repo.toplevel) else _FALLBACK_IDENTITY
        try:
            git.notes_write(self.repo.toplevel, self.notes_ref, tree, content, env=env)
        except CommandError:
            if not self._remove_dead_ref_lock():
                raise
            git.notes_write(self.repo.toplevel, self.notes_ref, tree, content, env=env)

    def _remove_dead_ref_lock(self) -> bool:
        """Remove `<notes ref>.lock` when a killed writer left it (called under our lock).

        Every gatekit writer holds notes.lock while git writes the notes ref, and git holds
        its ref lock for milliseconds; one older than STALE_REF_LOCK_SECONDS, seen while we
        hold notes.lock, was left by a process that died (a SIGKILLed check, say).
        """
        lock = git.ref_lock_paths(self.repo.common_dir, self.notes_ref)[0]
        try:
            age = time.time() - lock.stat().st_mtime
        except OSError:
            return False
        if age < STALE_REF_LOCK_SECONDS:
            return False
        lock.unlink(missing_ok=True)
        _to_stderr(f"removed {lock}, left {age:.0f}s ago by a verdict writer that was killed")
        return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with flocked(locks_dir(self.repo.common_dir) / "notes.lock"):
            yield


class NotesVerdictCache:
    """check.service.VerdictCache on top of VerdictStore: what check, verify-push and land consult."""

    def __init__(
        self, repo: RepoPaths, notify: Callable[[str], None] | None = None, *, reuse: bool = True
    ) -> None:
        self.store = VerdictStore(repo)
        self.notify = notify or _to_stderr
        self.reuse = reuse  # False (--no-cache): every gate runs, and its verdict is still recorded
        self.flips: list[Flip] = []

    def lookup(self, tree: str, gate: Gate) -> GateResult | None:
        """The latest verdict for (tree, gate) as a cached GateResult; callers reuse only passes."""
        from gatekit.check.gates import GateResult

        if not self.reuse:
            return None
        verdict = self.store.latest(tree, gate)
        if verdict is None:
            return None
        where = f"{verdict.status} on {verdict.host or 'an unknown host'} at {_when(verdict.time)}"
        return GateResult(
            gate,
            verdict.status,
            verdict.duration,
            0 if verdict.passed else None,
            f"verdict cached: {where}",
            b"",
            cached=True,
        )

    def record(self, tree: str, gate: Gate, result: GateResult) -> None:
        try:
            flip = self.store.record(tree, gate, result.status == GateStatus.PASSED, result.duration)
        except GatekitError as exc:
            # The cache only saves time: a verdict that cannot be written must not turn a
            # passing gate into a failing run.
            self.notify(f"could not record {gate.name}'s verdict, so it will run again next time: {exc}")
            return
        if flip is not None:
            result.flaky = True
            self.flips.append(flip)
            self.notify(flip.describe())


def _to_stderr(message: str) -> None:
    sys.stderr.write(f"gatekit: {message}\n")
    sys.stderr.flush()

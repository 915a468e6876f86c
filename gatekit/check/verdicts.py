"""The verdict cache: a gate's result for a tree, kept in git notes (docs/verdicts.md).

Key: the tree id (so a verdict survives rebases and merges that reproduce the same content, as
in mhagger/git-test) and a fingerprint of everything else that decides the result (gate_key):
the gate definition (command, cwd, env, shell), every program it starts as resolved through
version-manager shims, the interpreter environment, and the build-affecting variables of the
environment (see build_env.py and docs/verdicts.md).

Format: the note on a tree under refs/notes/gatekit holds one JSON object per line, one line per
verdict ever recorded for that tree:

    {"fp": "<sha256>", "gate": "test", "status": "passed", "time": 1700000000.0,
     "duration": 4.2, "host": "build-3"}

Beside the verdicts, one line per fingerprint records what it was computed from, for
`gatekit verdicts explain` (it has no "status", so readers of verdicts skip it):

    {"fp": "<sha256>", "key": {"run": [...], "tools": {...}, "environ": {...}, ...}}

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekit import git
from gatekit.check.build_env import build_environment, gate_programs
from gatekit.check.gates import GateStatus
from gatekit.check.isolation import project_variables
from gatekit.check.toolchain_versions import ToolchainProbe
from gatekit.config import Gate, VerdictsConfig
from gatekit.errors import CommandError, GatekitError
from gatekit.faults import reached
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


def parse_keys(content: str) -> dict[str, dict[str, Any]]:
    """The key records of a note, by fingerprint."""
    keys: dict[str, dict[str, Any]] = {}
    for line in content.splitlines():
        line = line.strip()
        if not line.startswith('{"fp"') or '"key"' not in line:
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if isinstance(raw, dict) and isinstance(raw.get("key"), dict):
            keys[str(raw.get("fp"))] = raw["key"]
    return keys


def gate_key(
    gate: Gate,
    probe: ToolchainProbe,
    settings: VerdictsConfig | None = None,
    project: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything besides the tree that decides a gate's result, as a JSON-able value.

    project: the variables of the project's environment the gate runs with (its venv first on
    PATH; isolation.project_variables), so the tools are those the gate really starts.
    """
    settings = settings or VerdictsConfig()
    environ = {**os.environ, **(project or {}), **gate.env}
    path_env = environ.get("PATH")
    programs = gate_programs(gate)
    tools = {p: probe.identity(p, path_env) for p in (*programs.programs, *settings.tools)}
    return {
        "run": list(gate.run),
        "shell": gate.shell,
        "cwd": gate.cwd,
        "env": dict(sorted(gate.env.items())),
        "tools": tools,
        "environ": build_environment(programs, settings.env, environ),
        "conservative": programs.conservative,
    }


def fingerprint_of(key: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def gate_fingerprint(gate: Gate, probe: ToolchainProbe, settings: VerdictsConfig | None = None) -> str:
    """sha256 of everything besides the tree that decides a gate's result."""
    return fingerprint_of(gate_key(gate, probe, settings))


class VerdictStore:
    """Reads and appends verdicts under refs/notes/gatekit of one repository."""

    def __init__(
        self, repo: RepoPaths, *, notes_ref: str = NOTES_REF, settings: VerdictsConfig | None = None
    ) -> None:
        self.repo = repo
        self.notes_ref = notes_ref
        self.settings = settings or VerdictsConfig()
        self.probe = ToolchainProbe(shared_state_dir(repo.common_dir), cwd=repo.toplevel)
        self.project = project_variables(repo.toplevel)
        # tree -> (the notes commit its note was read from, None once unknown; the note)
        self._notes: dict[str, tuple[str | None, str]] = {}
        self._keys: dict[tuple[object, ...], tuple[str, dict[str, Any]]] = {}

    # -- reading ---------------------------------------------------------------------------

    def key(self, gate: Gate) -> tuple[str, dict[str, Any]]:
        """(fingerprint, key) of gate in this process's environment."""
        # Gate holds a dict (env), so it is not hashable: key the memo on its fields.
        memo = (gate.run, gate.shell, gate.cwd, tuple(sorted(gate.env.items())))
        if memo not in self._keys:
            key = gate_key(gate, self.probe, self.settings, self.project)
            self._keys[memo] = (fingerprint_of(key), key)
        return self._keys[memo]

    def fingerprint(self, gate: Gate) -> str:
        return self.key(gate)[0]

    def note(self, tree: str) -> str:
        """The raw note on tree ("" when there is none)."""
        if tree not in self._notes:
            read = git.notes_read(self.repo.toplevel, self.notes_ref, tree)
            self._notes[tree] = (read.commit, read.content or "")
        return self._notes[tree][1]

    def _note_now(self, tree: str) -> str:
        """The note on tree as it is now (under the lock): the one read before while the notes ref
        still holds the commit it was read from, else read again (another writer came between)."""
        seen = self._notes.get(tree)
        now = git.ref_value(self.repo.toplevel, self.repo.common_dir, self.notes_ref)
        if seen is None or seen[0] != now:
            self._notes.pop(tree, None)
        return self.note(tree)

    def history(self, tree: str) -> list[Verdict]:
        """Every verdict recorded for tree, oldest first."""
        return parse_note(self.note(tree))

    def keys(self, tree: str) -> dict[str, dict[str, Any]]:
        """What each fingerprint recorded on tree was computed from."""
        return parse_keys(self.note(tree))

    def latest(self, tree: str, gate: Gate) -> Verdict | None:
        fp = self.fingerprint(gate)
        matching = [v for v in self.history(tree) if v.fp == fp]
        return matching[-1] if matching else None

    # -- writing ---------------------------------------------------------------------------

    def record(self, tree: str, gate: Gate, passed: bool, duration: float) -> Flip | None:
        """Append gate's result on tree; returns the flip when it contradicts the last one."""
        fp, key = self.key(gate)
        verdict = Verdict(
            fp=fp,
            gate=gate.name,
            status=GateStatus.PASSED if passed else GateStatus.FAILED,
            time=time.time(),
            duration=round(duration, 3),
            host=os.uname().nodename,
        )
        return self.record_verdicts(tree, [verdict], {fp: key})[0]

    def record_verdicts(
        self, tree: str, verdicts: Iterable[Verdict], keys: dict[str, dict[str, Any]] | None = None
    ) -> list[Flip | None]:
        """Append verdicts (and the keys not yet on the note) to tree's note under a lock."""
        verdicts = list(verdicts)
        with self._locked():
            content = self._note_now(tree)
            existing = parse_note(content)
            known = parse_keys(content)
            flips: list[Flip | None] = []
            for verdict in verdicts:
                before = [v for v in existing if v.fp == verdict.fp]
                flip = None
                if before and before[-1].status != verdict.status:
                    flip = Flip(tree, before[-1], verdict)
                flips.append(flip)
            lines = [line for line in content.splitlines() if line.strip()]
            for fp, key in (keys or {}).items():
                if fp not in known:
                    lines.append(json.dumps({"fp": fp, "key": key}, sort_keys=True, separators=(",", ":")))
            lines += [v.to_line() for v in verdicts]
            content = "\n".join(lines) + "\n"
            self._write(tree, content)
            self._notes[tree] = (None, content)  # the new notes commit is git's to name
        return flips

    def _write(self, tree: str, content: str) -> None:
        """Write the note (called under notes.lock), journaled so a killed writer's lock is provably dead."""
        journal = locks_dir(self.repo.common_dir) / "notes-writer.json"
        self._remove_lock_of_dead_writer(journal)
        journal.write_text(json.dumps({"pid": os.getpid(), "written": time.time()}))
        reached("notes-writing")
        try:
            git.notes_write(self.repo.toplevel, self.notes_ref, tree, content)
        except CommandError:
            # Who the committer is, is asked only now: a write that failed for want of one
            # wrote nothing, and is made again with gatekit's own.
            env = None if git.has_identity(self.repo.toplevel) else _FALLBACK_IDENTITY
            if not self._remove_dead_ref_lock() and env is None:
                raise
            git.notes_write(self.repo.toplevel, self.notes_ref, tree, content, env=env)
        journal.unlink(missing_ok=True)

    def _remove_lock_of_dead_writer(self, journal: Path) -> None:
        """A writer's journal still there means it died writing (we hold notes.lock, which it held):
        a `<notes ref>.lock` made since it started is its git's, and goes (issue 12)."""
        try:
            entry = json.loads(journal.read_text())
            written, pid = float(entry["written"]), int(entry["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return
        lock = git.ref_lock_paths(self.repo.common_dir, self.notes_ref)[0]
        try:
            made = lock.stat().st_mtime
        except OSError:
            return
        if made >= written - 1:
            lock.unlink(missing_ok=True)
            _to_stderr(f"removed {lock}, left by a verdict writer (pid {pid}) that was killed while writing")

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
        self,
        repo: RepoPaths,
        notify: Callable[[str], None] | None = None,
        *,
        reuse: bool = True,
        settings: VerdictsConfig | None = None,
    ) -> None:
        self.store = VerdictStore(repo, settings=settings)
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

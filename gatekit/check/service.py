"""The check service: resolve a subject, put it in a sandbox, pick the gates, run them.

`gatekit check`, `verify-push` and `land` all verify through run_check, so they share the
sandbox, the gate runner, the reports and the verdict cache.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from gatekit import git
from gatekit.app import App
from gatekit.check.gates import Confinement, GateResult, GateStatus, run_gate
from gatekit.check.sandbox import Sandbox, acquire_sandbox
from gatekit.check.subjects import MERGE, REV, STAGED, WORKTREE, MergeConflict, Subject
from gatekit.config import Config, Gate
from gatekit.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from gatekit.git.memo import remembered, tell

NO_GATES_HELP = """\
no gates to run: no [[gates]] are configured and no toolchain was found in {where}
(gatekit detects Cargo, npm/pnpm/yarn, Go, Python, Gleam, Maven, Gradle, CMake and Make workspaces).
Configure a gate in gatekit.toml (or [tool.gatekit] in pyproject.toml), for example:

    [[gates]]
    name = "test"
    run = "make test"
"""


class VerdictCache(Protocol):
    """Remembers gate results per (tree, gate fingerprint); verdicts.py implements it."""

    def lookup(self, tree: str, gate: Gate) -> GateResult | None: ...

    def record(self, tree: str, gate: Gate, result: GateResult) -> None: ...


class Listener(Protocol):
    def notice(self, message: str) -> None: ...

    def check_started(self, plan: CheckPlan) -> None: ...

    def gate_started(self, gate: Gate) -> None: ...

    def gate_output(self, gate: Gate, chunk: bytes) -> None: ...

    def heartbeat(self, gate: Gate, elapsed: float, silent_for: float) -> None: ...

    def gate_finished(self, result: GateResult) -> None: ...

    def check_finished(self, outcome: CheckOutcome) -> None: ...


@dataclass(frozen=True)
class CheckRequest:
    subject: str = REV  # staged | rev | merge | worktree
    rev: str = "HEAD"
    merge_into: str | None = None
    stage: str | None = None
    affected: bool = False
    base: str | None = None
    fail_fast: bool | None = None
    only: tuple[str, ...] = ()
    fresh: bool = False
    heartbeat: float | None = None
    report_uncommitted: bool = False  # say which uncommitted files the subject leaves out
    subject_config: bool = False  # the gate list comes from the subject's tree, not the worktree


@dataclass(frozen=True)
class AffectedSelection:
    """What affected mode selected: the whole workspace or these packages, and why."""

    whole: bool
    packages: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"whole": self.whole, "packages": list(self.packages), "reasons": list(self.reasons)}


@dataclass
class CheckPlan:
    subject: Subject
    gates: list[Gate]
    where: str
    reasons: list[str] = field(default_factory=list)
    affected: AffectedSelection | None = None


@dataclass
class CheckOutcome:
    subject: Subject
    results: list[GateResult]
    duration: float
    affected: AffectedSelection | None = None
    config_source: str = "defaults"
    notes: list[str] = field(default_factory=list)  # what the reader must know besides results

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.results) and not self.interrupted

    @property
    def interrupted(self) -> bool:
        return any(r.status == GateStatus.INTERRUPTED for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if any(
            r.status in (GateStatus.FAILED, GateStatus.TIMED_OUT, GateStatus.NETWORK) for r in self.results
        ):
            return EXIT_FAILED
        if any(r.status == GateStatus.ERROR for r in self.results):
            return EXIT_USAGE
        return EXIT_OK

    @property
    def headline(self) -> str:
        bad = [r for r in self.results if not r.ok]
        if not self.results:
            return "no gate runs at this stage: nothing to check"
        if self.interrupted:
            done = sum(
                1 for r in self.results if r.status not in (GateStatus.INTERRUPTED, GateStatus.SKIPPED)
            )
            return f"interrupted: {done} of {len(self.results)} gate(s) finished; the rest did not run"
        if not bad:
            return f"all {len(self.results)} gate(s) passed"
        names = ", ".join(f"{r.gate.name} ({r.status})" for r in bad)
        return f"{len(bad)} of {len(self.results)} gate(s) did not pass: {names}"


def config_in_tree(root: Path, tree: str) -> Config:
    """The configuration a tree carries (what its checkout would load), defaults when none.

    A merge request pipeline runs in the MR branch's checkout; the merge result's gate list is
    the one that will apply on the target, so that is the one to verify with.
    """
    from gatekit.check.committed_config import committed_config

    return committed_config(root, tree, "the merge result")


def default_subject_kind() -> str:
    """Inside a commit hook the index is the subject; otherwise HEAD."""
    if os.environ.get("PRE_COMMIT_TO_REF"):
        return REV
    if os.environ.get("PRE_COMMIT") or os.environ.get("GIT_INDEX_FILE"):
        return STAGED
    return REV


def resolve_subject(root: Path, request: CheckRequest) -> Subject:
    from gatekit.check import subjects

    if request.subject == STAGED:
        return subjects.staged_subject(root)
    if request.subject == WORKTREE:
        return subjects.worktree_subject(root)
    if request.subject == MERGE:
        assert request.merge_into is not None
        return subjects.merge_subject(root, request.rev, request.merge_into)
    return subjects.rev_subject(root, request.rev)


def run_check(
    app: App,
    request: CheckRequest,
    listener: Listener,
    cache: VerdictCache | None = None,
    config: Config | None = None,
) -> CheckOutcome:
    """Verify one subject with the configured (or detected) gates.

    config, when given, decides instead of the working tree's (land and verify-push pass the
    target's committed one). A merge subject is judged by its target's committed configuration.
    """
    started = time.monotonic()
    root = app.repo.toplevel
    with remembered():  # the subject's questions, asked once (inside a hook: the hook's answers)
        # Discovery named the git dir, and a worktree's index is in it (git_env drops GIT_INDEX_FILE).
        tell(git.git_path, root, "index", answer=app.repo.git_dir / "index")
        try:
            subject = resolve_subject(root, request)
        except MergeConflict as conflict:
            return _conflict_outcome(conflict, request, listener, started, config or app.config)
        notes = _uncommitted_notes(root, subject) if request.report_uncommitted else []
    if request.subject_config and subject.tree is not None:
        config = config_in_tree(root, subject.tree)
    if config is None:
        config = _config_for(app, request, subject)
    with _signals_interrupt():
        if subject.tree is None:
            return _run_in(app, config, request, subject, root, "in place", listener, None, started, notes)
        configured = _configured_gates(config, request)
        if configured and cache is not None:
            # Configured gates are the same in affected mode (they are not scoped to packages), so
            # a commit hook's `--affected` check of a verified tree needs no sandbox either.
            cached = [cache.lookup(subject.tree, gate) for gate in configured]
            if all(r is not None and r.status == GateStatus.PASSED for r in cached):
                plan = plan_gates(
                    app, config, request, subject, root, "(every verdict cached; no sandbox needed)"
                )
                listener.check_started(plan)
                results = [r for r in cached if r is not None]
                for result in results:
                    listener.gate_finished(result)
                return _finish(
                    listener,
                    CheckOutcome(
                        subject, results, time.monotonic() - started, plan.affected, config.source, notes
                    ),
                )
        with acquire_sandbox(app.repo, config.sandbox, listener.notice) as sandbox:
            assert subject.commit is not None
            workdir = sandbox.checkout(subject.tree, subject.commit, fresh=request.fresh)
            return _run_in(
                app,
                config,
                request,
                subject,
                workdir,
                f"in sandbox slot {sandbox.slot}",
                listener,
                cache,
                started,
                notes,
                confinement=confine(app, sandbox),
            )


def confine(app: App, sandbox: Sandbox) -> Confinement:
    """The environment and process bookkeeping of gates run in sandbox."""
    return Confinement(sandbox.gate_environment(), sandbox.track_gate, sandbox.stop_strays)


def _run_in(
    app: App,
    config: Config,
    request: CheckRequest,
    subject: Subject,
    workdir: Path,
    where: str,
    listener: Listener,
    cache: VerdictCache | None,
    started: float,
    notes: list[str],
    confinement: Confinement | None = None,
) -> CheckOutcome:
    plan = plan_gates(app, config, request, subject, workdir, where)
    listener.check_started(plan)
    heartbeat = request.heartbeat or config.heartbeat
    fail_fast = config.fail_fast if request.fail_fast is None else request.fail_fast
    results: list[GateResult] = []
    pending = list(plan.gates)
    stopped_by = ""
    while pending:
        gate = pending.pop(0)
        cached = cache.lookup(subject.tree, gate) if cache is not None and subject.tree else None
        if cached is not None and cached.status == GateStatus.PASSED:
            listener.gate_finished(cached)
            results.append(cached)
            continue
        gate_started = time.monotonic()
        try:
            result = run_gate(gate, workdir, listener, heartbeat=heartbeat, confinement=confinement)
        except KeyboardInterrupt:
            # The gate's process group is already killed; what finished is still reported
            # (summary, JSON, JUnit), and nothing about this gate is cached.
            result = GateResult(
                gate,
                GateStatus.INTERRUPTED,
                time.monotonic() - gate_started,
                None,
                "the run was interrupted; its processes were killed",
            )
            listener.gate_finished(result)
            results.append(result)
            stopped_by = "not run: the check was interrupted"
            break
        if cache is not None and subject.tree and result.status in (GateStatus.PASSED, GateStatus.FAILED):
            cache.record(subject.tree, gate, result)
        results.append(result)
        if fail_fast and not result.ok:
            stopped_by = f"not run: --fail-fast stopped at {gate.name}"
            break
    if stopped_by:
        for gate in pending:
            skipped = GateResult(gate, GateStatus.SKIPPED, 0.0, None, stopped_by)
            listener.gate_finished(skipped)
            results.append(skipped)
    return _finish(
        listener,
        CheckOutcome(subject, results, time.monotonic() - started, plan.affected, config.source, notes),
    )


def _uncommitted_notes(root: Path, subject: Subject) -> list[str]:
    """A check of HEAD or of the index leaves the other edits out: say how many, and the way in."""
    from gatekit.check.subjects import STAGED

    if subject.kind == STAGED:
        left_out = [e for e in git.status(root) if e.unstaged]
        what, checked = "unstaged", "the staged tree"
    elif subject.kind == REV and subject.commit is not None and subject.commit == git.head_commit(root):
        left_out = git.status(root)
        what, checked = "uncommitted", "HEAD"
    else:
        return []
    if not left_out:
        return []
    noun = "file was" if len(left_out) == 1 else "files were"
    return [f"{len(left_out)} {what} {noun} not checked ({checked} was); use --worktree to check them"]


def plan_gates(
    app: App, config: Config, request: CheckRequest, subject: Subject, workdir: Path, where: str
) -> CheckPlan:
    """Which gates run: configured ones, else those detected in the subject; scoped in affected mode."""
    reasons: list[str] = [f"config: {config.source}"]
    affected: AffectedSelection | None = None
    gates = _configured_gates(config, request)
    if config.gates:
        if request.affected:
            reasons.append("affected mode: configured gates are not scoped to packages, so all of them run")
            affected = AffectedSelection(True, (), tuple(reasons[-1:]))
    else:
        from gatekit.toolchains import detect_gates, plan_affected

        if request.affected:
            changed = _changed_since_base(app, config, request, subject)
            plan = plan_affected(workdir, changed)
            gates = list(plan.gates)
            reasons.extend(f"affected mode: {r}" for r in plan.reasons)
            affected = AffectedSelection(plan.whole, plan.packages, plan.reasons)
            if not gates and not plan.whole:  # nothing changed since the merge base
                return CheckPlan(subject, [], where, reasons, affected)
        else:
            gates = detect_gates(workdir)
        if not gates:
            raise UsageError(
                NO_GATES_HELP.format(
                    where=workdir if subject.tree is None else f"{subject.description}"
                ).rstrip()
            )
        gates = [with_default_timeout(g, config) for g in gates if g.runs_at(request.stage)]
        reasons.append(
            "no gates configured; using the detected toolchains: "
            + ", ".join(sorted({g.origin for g in gates}))
        )
    gates = _select(gates, request.only)
    return CheckPlan(subject, gates, where, reasons, affected)


def with_default_timeout(gate: Gate, config: Config) -> Gate:
    """A detected gate gets the configured default timeout (a hung test suite must end)."""
    return gate if gate.timeout is not None else replace(gate, timeout=config.detected_timeout)


def _config_for(app: App, request: CheckRequest, subject: Subject) -> Config:
    """The working tree's config, except for a merge: the target's committed one decides there."""
    if subject.kind != MERGE or subject.base_commit is None or app.config_path is not None:
        return app.config
    from gatekit.check.committed_config import committed_config

    return committed_config(app.repo.toplevel, subject.base_commit, request.merge_into or "the target")


def _configured_gates(config: Config, request: CheckRequest) -> list[Gate]:
    if not config.gates:
        return []  # detected gates are selected once detected (plan_gates)
    return _select([g for g in config.gates if g.runs_at(request.stage)], request.only)


def _select(gates: Sequence[Gate], only: Sequence[str]) -> list[Gate]:
    if not only:
        return list(gates)
    names = {g.name for g in gates}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise UsageError(
            f"no gate named {', '.join(map(repr, unknown))}; gates are: {', '.join(sorted(names)) or 'none'}"
        )
    return [g for g in gates if g.name in only]


def _changed_since_base(app: App, config: Config, request: CheckRequest, subject: Subject) -> list[str]:
    from gatekit.check.subjects import resolve_target

    root = app.repo.toplevel
    base_name = request.base or app.target
    base_commit = resolve_target(root, base_name)
    head = subject.commit or git.head_commit(root)
    merge_base = git.merge_base(root, base_commit, head) if head else None
    if merge_base is None:
        raise UsageError(
            f"{subject.description} has no merge base with {base_name!r}; fetch more history or pass --base"
        )
    if subject.tree is None:
        return git.worktree_changed_paths(root, merge_base)
    return git.changed_paths(root, merge_base, subject.tree)


def _conflict_outcome(
    conflict: MergeConflict, request: CheckRequest, listener: Listener, started: float, config: Config
) -> CheckOutcome:
    gate = Gate(name="merge", run=git.MERGE_TREE_COMMAND, origin="gatekit")
    subject = Subject(MERGE, None, None, f"{request.rev} merged into {conflict.target}")
    result = GateResult(gate, GateStatus.FAILED, 0.0, 1, conflict.message, b"")
    listener.check_started(CheckPlan(subject, [gate], "(in memory)"))
    listener.gate_finished(result)
    return _finish(listener, CheckOutcome(subject, [result], time.monotonic() - started, None, config.source))


def _finish(listener: Listener, outcome: CheckOutcome) -> CheckOutcome:
    listener.check_finished(outcome)
    return outcome


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM/SIGHUP behave like Ctrl-C, so the runner kills every gate's process group first.

    A signal the run was started ignoring stays ignored (`nohup gatekit check`), as Python leaves
    an ignored SIGINT ignored.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) != signal.SIG_IGN:
                previous[sig] = signal.signal(sig, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

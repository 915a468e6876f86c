"""The decision engine: may this git command run, given who owns the work it would destroy?

    argv + cwd + environment  ->  the worktree it acts on  ->  the paths (and bytes) it would
    lose  ->  their owners  ->  allow | snapshot (then allow) | deny | warn

A command that cannot discard anything is allowed before any git call (guard/risk.py reads the
arguments). Otherwise one `git status` limited to the command's pathspecs finds what it would
lose. Work of the caller's own (or of a single writer with nobody else around) is snapshotted
and the command runs; another writer's work, or work nobody can vouch for while others are
present, is refused with the paths, their owner and a command that spares them. Every decision
on a destructive command is journaled.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekit.guard.gitargv import DESTRUCTIVE_SUBCOMMANDS, GIT_COMMANDS, GitCommand, parse_git_argv
from gatekit.guard.owners import Caller
from gatekit.guard.risk import Risk, classify

MODES = ("deny", "snapshot-and-allow", "warn")
MAX_ALIAS_DEPTH = 5  # an alias of an alias of ...: git itself refuses a loop
ALLOW, SNAPSHOT, DENY, WARN = "allow", "snapshot", "deny", "warn"
_SEVERITY = {ALLOW: 0, SNAPSHOT: 1, WARN: 2, DENY: 3}


@dataclass(frozen=True)
class Loss:
    path: str  # repository-relative
    kind: str  # unstaged, staged, partial, untracked, ignored, worktree
    size: int | None
    owner: str | None  # a label (guard/owners.py), None when nobody is known


@dataclass
class Decision:
    action: str
    op: str | None = None
    worktree: str | None = None
    losses: list[Loss] = field(default_factory=list)
    reason: str = ""
    alternative: str = ""
    snapshot: str | None = None
    kept: list[str] = field(default_factory=list)
    argv: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.action == DENY

    def message(self) -> str:
        """One paragraph for the person or agent that ran the command."""
        parts = [self.reason] if self.reason else []
        if self.alternative:
            parts.append(f"Instead: {self.alternative}")
        if self.snapshot:
            parts.append(
                f"Snapshot {self.snapshot} holds the work (`gatekit rescue --restore {self.snapshot}`)."
            )
        if self.kept:
            parts.append(f"Kept {', '.join(self.kept)} so the commits stay reachable.")
        return " ".join(parts)


def strongest(decisions: Sequence[Decision]) -> Decision:
    """The decision for a command line with several git invocations: the most severe one."""
    if not decisions:
        return Decision(ALLOW)
    return max(decisions, key=lambda d: _SEVERITY[d.action])


@dataclass
class _Target:
    cmd: GitCommand
    pinned: dict[str, str]
    root: Path
    git_dir: Path
    common_dir: Path
    pending: Any = None  # a full `git status` running in the background
    dirty: list[str] | None = None  # every dirty path, when one full status was taken
    listed: list[str] | None = None  # the dirty paths the status listed (tracked only with -uno)
    head: str | None = None
    head_known: bool = False


def decide(
    argv: Sequence[str],
    cwd: str,
    caller: Caller,
    env: Mapping[str, str] | None = None,
    mode: str | None = None,
    act: bool = True,
    stdin: bytes | None = None,
    depth: int = 0,
) -> Decision:
    """Decide on `git argv` run in cwd; with act, snapshot/keep what it needs and journal it.
    stdin: what the command will read, when known (`update-ref --stdin`)."""
    cmd = parse_git_argv(argv, cwd, env)
    if cmd.subcommand and cmd.subcommand not in GIT_COMMANDS and depth < MAX_ALIAS_DEPTH:
        from gatekit.guard.aliases import config_alias, decide_alias

        alias = config_alias(cmd)
        if alias is not None:
            return decide_alias(cmd, alias, caller, env, mode, act, stdin, depth)
    risk = classify(cmd, stdin)
    if risk is None and not (act and cmd.subcommand in DESTRUCTIVE_SUBCOMMANDS):
        return Decision(ALLOW, argv=tuple(argv))

    pinned = {k: v for k, v in (("GIT_DIR", cmd.git_dir), ("GIT_WORK_TREE", cmd.work_tree)) if v}
    located = _locate(cmd, pinned)
    if located is None:
        return Decision(ALLOW, risk.op if risk else None, reason="not in a git worktree", argv=tuple(argv))
    target = _Target(cmd, pinned, *located)
    if risk is not None and risk.kinds:
        from gatekit.git import guarding

        untracked = bool(risk.kinds & {"untracked", "ignored"})
        target.pending = guarding.pending_status(target.root, pinned, "ignored" in risk.kinds, untracked)
    if risk is None:
        # Nothing to lose, but the journal still says who switched, reset --soft or rebased,
        # so `clobber` can tell the writer's own history moves from another's (issue 10).
        decision = Decision(ALLOW, op_name(cmd), str(target.root), argv=tuple(argv))
        _journal(target, caller, decision)
        return decision
    settings = guard_settings(target.root)
    decision = _judge(target, risk, caller, mode or settings[0], settings[1] == "deny")
    decision.argv = tuple(argv)
    if act:
        _act(target, risk, decision)
        _journal(target, caller, decision)
    return decision


def _locate(cmd: GitCommand, pinned: dict[str, str]) -> tuple[Path, Path, Path] | None:
    """The worktree, by walking up to `.git` when nothing pins it (no git call), else git's answer."""
    from gatekit.git import guarding

    if not pinned and not os.environ.get("GIT_CEILING_DIRECTORIES"):
        from gatekit.guard.agent_entry import find_worktree

        found = find_worktree(cmd.cwd)
        if found is not None:
            root, git_dir = found
            common = Path(git_dir)
            try:
                text = (common / "commondir").read_text(encoding="utf-8").strip()
                common = Path(os.path.normpath(os.path.join(git_dir, text)))
            except OSError:
                pass
            if (Path(git_dir) / "HEAD").is_file():
                return Path(root), Path(git_dir), common
    return guarding.locate_target(cmd.cwd, pinned)


def op_name(cmd: GitCommand) -> str:
    """How the journal names a command the risk rules do not: `stash pop`, `rebase -i`, ..."""
    words = [cmd.subcommand or ""]
    if cmd.subcommand in ("stash", "worktree") and cmd.args and not cmd.args[0].startswith("-"):
        words.append(cmd.args[0])
    words += [a for a in cmd.args[:3] if a.startswith("-") and a != "--"][:1]
    return " ".join(words)


def _stash_entry(target: _Target, cmd: GitCommand) -> str | None:
    """The commit of the stash entry `stash pop/apply/drop [entry]` takes, before it runs: who
    made an entry and who took it are both in the journal (shared stash, linked worktrees)."""
    args = [a for a in cmd.args if not a.startswith("-")]
    if cmd.subcommand != "stash" or not args or args[0] not in ("pop", "apply", "drop"):
        return None
    from gatekit.git import guarding

    entry = args[1] if len(args) > 1 else "stash@{0}"
    if entry.isdigit():
        entry = f"stash@{{{entry}}}"
    return guarding.ref_target(target.root, target.pinned, entry)


def guard_mode(root: Path) -> str:
    """[guard] destructive from the repository's config."""
    return guard_settings(root)[0]


def guard_settings(root: Path) -> tuple[str, str]:
    """[guard] destructive and unknown_owner from the repository's config; the config module
    loads only if one exists."""
    from gatekit.guard.clobber_entry import has_config

    if not has_config(root):
        return "deny", "caller"
    from gatekit.config import load_config

    guard = load_config(root).guard
    return guard.destructive, guard.unknown_owner


# -- what would be lost -------------------------------------------------------------------------


def losses_of(target: _Target, risk: Risk) -> tuple[list[Loss], Risk]:
    from gatekit.git import guarding

    cmd = target.cmd
    if risk.in_progress == "rebase" and not _rebase_stopped(target.git_dir):
        return [], risk  # git answers "no rebase in progress" and changes nothing
    if risk.maybe_branch is not None:
        if guarding.is_commit(cmd.cwd, target.pinned, risk.maybe_branch):
            if not risk.forced_switch:
                return [], risk  # a branch switch: git carries local changes over, or refuses
            risk = Risk("checkout -f", frozenset(("unstaged", "staged")))
        else:
            risk = Risk("checkout <paths>", risk.kinds, risk.pathspecs)
    if risk.worktree is not None:
        return _worktree_losses(os.path.join(cmd.cwd, risk.worktree)), risk
    if risk.clean_flags is not None:
        found = guarding.clean_dry_run(cmd.cwd, target.pinned, risk.clean_flags, _pathspecs(risk))
        full = _files_in([os.path.join(cmd.cwd, p) for p in found])
        return [_loss(target, os.path.relpath(p, target.root), "untracked") for p in full], risk
    if not risk.kinds:
        return [], risk
    entries = _entries_under(target, risk)
    losses = []
    for entry in entries:
        kind = _kind_lost(entry.xy, risk.kinds)
        if kind:
            losses.append(_loss(target, entry.path, kind))
    return losses, risk


def _rebase_stopped(git_dir: Path) -> bool:
    return (git_dir / "rebase-merge").is_dir() or (git_dir / "rebase-apply").is_dir()


def _entries_under(target: _Target, risk: Risk) -> list[Any]:
    """Dirty entries under the command's pathspecs: one full status, matched here when the
    pathspecs are plain paths (the full list also answers who else has dirty work)."""
    from gatekit.git import guarding

    specs = _pathspecs(risk)
    if target.pending is not None:
        entries, head = target.pending.result()
    else:
        entries, head = guarding.status_under(str(target.root), target.pinned, [], "ignored" in risk.kinds)
    # Without the untracked scan the list is not every dirty path: _dirty_among asks git then.
    full = target.pending is None or target.pending.untracked
    target.listed = [e.path for e in entries]
    target.dirty = target.listed if full else None
    target.head, target.head_known = head, True
    prefixes = _plain_prefixes(target, specs)
    if prefixes is None:
        entries, _ = guarding.status_under(target.cmd.cwd, target.pinned, specs, "ignored" in risk.kinds)
        return entries
    return [e for e in entries if any(_under(e.path, p) for p in prefixes)]


def _plain_prefixes(target: _Target, specs: Sequence[str]) -> list[str] | None:
    """Repository-relative path prefixes for plain pathspecs; None when one needs git (globs, magic)."""
    if not specs:
        return [""]
    base = os.path.relpath(target.cmd.cwd, target.root)
    prefixes = []
    for spec in specs:
        if spec == ":/":
            prefixes.append("")
            continue
        if spec.startswith(":(top,literal)"):
            prefixes.append(spec[len(":(top,literal)") :])
            continue
        if spec.startswith(":") or any(c in spec for c in "*?[\\"):
            return None
        full = os.path.normpath(os.path.join(base, spec))
        if full.startswith(".."):
            return None
        prefixes.append("" if full == "." else full)
    return prefixes


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _files_in(paths: Sequence[str], limit: int = 5000) -> list[str]:
    """Directories `git clean -d` would remove, as the files in them (ownership is per file)."""
    files: list[str] = []
    for path in paths:
        if not os.path.isdir(path) or os.path.islink(path):
            files.append(path)
            continue
        for folder, _, names in os.walk(path):
            files += [os.path.join(folder, name) for name in names]
            if len(files) > limit:
                return files
    return files


def _pathspecs(risk: Risk) -> list[str]:
    """The command's pathspecs; a word the shell would still expand ($f, `...`) means everything."""
    if any("$" in p or "`" in p for p in risk.pathspecs):
        return [":/"]
    return list(risk.pathspecs)


def _kind_lost(xy: str, kinds: frozenset[str]) -> str | None:
    if xy == "??":
        return "untracked" if "untracked" in kinds else None
    if xy == "!!":
        return "ignored" if "ignored" in kinds else None
    staged, unstaged = xy[0] != ".", xy[1] != "."
    if staged and unstaged and "partial" in kinds:
        return "partial"
    if unstaged and "unstaged" in kinds:
        return "unstaged"
    if staged and "staged" in kinds:
        return "staged"
    return None


def _loss(target: _Target, path: str, kind: str) -> Loss:
    try:
        size: int | None = os.lstat(target.root / path).st_size
    except OSError:
        size = None
    return Loss(path, kind, size, None)


def _worktree_losses(path: str) -> list[Loss]:
    from gatekit import git

    try:
        entries = git.status(path)
    except Exception:  # noqa: BLE001 - a missing or broken worktree has nothing to lose here
        return []
    owner = f"worktree {os.path.normpath(path)}"
    return [Loss(e.path, "worktree", None, owner) for e in entries]


# -- whose it is, and the decision ----------------------------------------------------------------


def _judge(target: _Target, risk: Risk, caller: Caller, mode: str, deny_unknown: bool = False) -> Decision:
    """deny_unknown ([guard] unknown_owner = "deny"): work nobody recorded is never the caller's."""
    from gatekit.guard.owners import Owners

    losses, risk = losses_of(target, risk)
    decision = Decision(ALLOW, risk.op, str(target.root))
    if risk.refs or risk.stash_refs:
        decision.action = SNAPSHOT  # the commits are kept first; nothing is lost
        decision.reason = f"`git {risk.op}` drops commits; gatekit keeps them reachable first."
        if "input unknown" in risk.notes:
            decision.reason = (
                f"`git {risk.op}` reads ref updates gatekit cannot see before it runs; gatekit keeps "
                "every local branch's commit reachable first."
            )
    if not losses:
        return decision
    owners = Owners(target.git_dir, caller)
    mine = caller.labels
    resolved = [Loss(x.path, x.kind, x.size, x.owner or owners.owner(x.path)) for x in losses]
    others_here: list[str] = []
    # Who else is here decides only for work of unknown ownership: asked only then.
    if any(x.owner is None for x in resolved):
        others_here = owners.other_writers(lambda paths: _dirty_among(target, paths))
    if risk.worktree is not None and _inside(target.cmd.cwd, risk.worktree):
        others_here = []
    unknown_foreign = bool(others_here) or deny_unknown
    foreign = [x for x in resolved if x.owner not in mine and (x.owner is not None or unknown_foreign)]
    decision.losses = resolved
    if not foreign:
        decision.action = SNAPSHOT
        decision.reason = (
            f"`git {risk.op}` discards {_count(resolved)} of your own; gatekit snapshots it first."
        )
        return decision
    decision.reason = _foreign_reason(risk, foreign, caller)
    decision.alternative = _alternative(risk, [x for x in resolved if x not in foreign], target)
    decision.action = {"deny": DENY, "warn": WARN}.get(mode, SNAPSHOT)
    return decision


def _dirty_among(target: _Target, paths: list[str]) -> set[str]:
    if target.dirty is not None:
        return set(paths) & set(target.dirty)
    dirty = set(paths) & set(target.listed or ())
    # What the status did not list is clean, untracked or gone: only an existing one needs git.
    rest = [p for p in paths if p not in dirty and os.path.lexists(target.root / p)]
    if not rest:
        return dirty
    from gatekit.git import guarding

    specs = [":(top,literal)" + p for p in rest]
    entries, _ = guarding.status_under(str(target.root), target.pinned, specs)
    return dirty | {e.path for e in entries}


def _inside(cwd: str, worktree: str) -> bool:
    full = os.path.normpath(os.path.join(cwd, worktree))
    return os.path.normpath(cwd) == full or os.path.normpath(cwd).startswith(full + os.sep)


def _count(losses: Sequence[Loss]) -> str:
    total = sum(x.size or 0 for x in losses)
    return f"{len(losses)} path(s), {total} bytes,"


def _foreign_reason(risk: Risk, foreign: Sequence[Loss], caller: Caller) -> str:
    by_owner: dict[str, list[str]] = {}
    for loss in foreign:
        by_owner.setdefault(loss.owner or "a writer gatekit cannot identify", []).append(loss.path)
    described = "; ".join(f"{owner}: {_paths(paths)}" for owner, paths in by_owner.items())
    return (
        f"gatekit refused `git {risk.op}`: it would destroy {len(foreign)} uncommitted path(s) "
        f"that are not yours ({caller.name}) — {described}."
    )


def _paths(paths: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(shlex.quote(p) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _alternative(risk: Risk, own: Sequence[Loss], target: _Target) -> str:
    """A command that does what the caller wanted to its own paths only."""
    if not own:
        return "leave these files to their owner: commit your own work, or ask the owner; `gatekit session list` shows who is here."
    paths = " ".join(shlex.quote(":(top,literal)" + x.path) for x in own[:20])
    op = risk.op
    if op.startswith("stash"):
        return f"`git stash push -- {paths}` stashes only your paths."
    if op.startswith("clean"):
        return f"`git clean -f -- {paths}` removes only your untracked files."
    if op in ("reset --hard", "checkout -f", "switch --discard-changes") or "autostash" in op:
        return f"`git restore --staged --worktree -- {paths}` discards only your changes."
    return f"`git restore -- {paths}` restores only your paths."


# -- acting on it -------------------------------------------------------------------------------


def _act(target: _Target, risk: Risk, decision: Decision) -> None:
    """Snapshot the work or keep the commits a non-refused command is about to drop."""
    if decision.action == DENY:
        return
    from gatekit import git
    from gatekit.guard import preserve

    repo = git.RepoPaths(target.root, target.git_dir, target.common_dir)
    if decision.losses:
        ignored = [x.path for x in decision.losses if x.kind in ("ignored", "untracked")]
        known = (target.listed, target.head) if target.listed is not None and target.head_known else None
        snap = preserve.snapshot_before(repo, f"before git {risk.op}", ignored, dirty=known)
        decision.snapshot = snap.id
    commits = _doomed_commits(target, risk)
    if commits:
        kind = "stash" if risk.stash_refs else "refs"
        decision.kept = preserve.keep_commits(repo, kind, commits)


def _doomed_commits(target: _Target, risk: Risk) -> list[tuple[str, str]]:
    from gatekit.git import guarding

    if risk.stash_refs:
        return [(oid, oid) for oid in guarding.stash_commits(target.root, target.pinned)]
    found = []
    for ref in risk.refs:
        if ref.endswith("/"):  # every ref under a prefix (update-ref --stdin, input unknown)
            pairs = guarding.refs_under(target.root, target.pinned, ref)
            found += [(name.removeprefix("refs/").replace("/", "-"), oid) for name, oid in pairs]
            continue
        oid = guarding.ref_target(target.root, target.pinned, ref)
        if oid:
            found.append((ref.removeprefix("refs/").replace("/", "-"), oid))
    return found


def _journal(target: _Target, caller: Caller, decision: Decision) -> None:
    from gatekit.git import guarding
    from gatekit.guard import journal
    from gatekit.state_dirs import worktree_id

    record = journal.operation_record(
        op=decision.op,
        argv=list(decision.argv),
        cwd=target.cmd.cwd,
        worktree=str(target.root),
        worktree_id=worktree_id(target.git_dir, target.common_dir),
        session=caller.session,
        host=caller.host,
        host_session=caller.host_session,
        via=caller.via,
        decision=decision.action,
        paths=[x.path for x in decision.losses[:50]],
        owners=sorted({x.owner for x in decision.losses if x.owner}),
        snapshot=decision.snapshot,
        kept=decision.kept,
        head=target.head if target.head_known else guarding.ref_target(target.root, target.pinned, "HEAD"),
        stash_entry=_stash_entry(target, target.cmd),
    )
    journal.append(journal.journal_file(target.common_dir), record)

"""The reference-transaction witness: who moved a watched ref when the command bypassed the guard.

git runs the `reference-transaction` hook for every ref update, in the environment of the git
process that made it, whether or not a shim or an agent hook saw the command. So a `git stash`,
`git reset --hard` or `git stash pop` run with plain git (no shim, no agent hook, or the guard
turned off) still leaves a journal record naming its maker: the session and host session from
that environment, the git process (the outermost one: `git stash` runs `git reset --hard` as a
child), the command line of whoever started it, and the time. The record is an ordinary journal
record (guard/journal.py) with `via = "reference-transaction"`, `decision = "observed"` and the
ref updates; `clobber` and `rescue` read it like any other.

Watched: refs/stash (push, pop, drop, clear), and HEAD or a branch that is deleted, reset to the
same commit (what `git stash` and `git reset --hard HEAD` write) or moved to a commit that does
not descend from the old one (a rewind, a switch). A commit, a fast-forward or a new branch is not
watched: the installed hook answers those in sh, without starting Python (hooks_data/hook.sh).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gatekit.guard import journal
from gatekit.system import identity

VIA = "reference-transaction"
OBSERVED = "observed"
PAIR_SECONDS = 120.0  # a guard's record and the witness of the same command are this close
_MAX_ANCESTORS = 12


def is_null(oid: str) -> bool:
    return not oid.strip("0")


def watched_updates(
    lines: Iterable[str], is_ancestor: Callable[[str, str], bool]
) -> list[tuple[str, str, str]]:
    """The (old, new, ref) updates the witness records, from the hook's input lines."""
    found = []
    asked: dict[tuple[str, str], bool] = {}
    for line in lines:
        parts = line.split()
        if len(parts) != 3:
            continue
        old, new, ref = parts
        if ref == "refs/stash":
            found.append((old, new, ref))
            continue
        if ref != "HEAD" and not ref.startswith("refs/heads/"):
            continue
        if is_null(new):
            found.append((old, new, ref))  # deleted
        elif is_null(old):
            continue  # created, or updated without an expected old value: nothing to compare
        elif old == new:
            found.append((old, new, ref))  # a reset to the same commit discards the worktree's edits
        elif old.startswith("ref:") or new.startswith("ref:"):
            found.append((old, new, ref))  # a symbolic ref moved: a branch switch
        else:
            if (old, new) not in asked:
                asked[(old, new)] = is_ancestor(old, new)
            if not asked[(old, new)]:
                found.append((old, new, ref))
    return found


def outermost_git(start: int) -> tuple[int, int]:
    """(pid of the outermost git process above start, its parent's pid): `git stash` runs
    `git reset --hard` as a child, and the maker is whoever ran `git stash`."""
    from gatekit.system.processes import parent_and_name

    pid, found = start, None
    for _ in range(_MAX_ANCESTORS):
        info = parent_and_name(pid)
        if info is None:
            break
        parent, name = info
        if name == "git":
            found = pid
        elif found is not None:
            break
        if parent <= 1:
            break
        pid = parent
    git_pid = found if found is not None else start
    info = parent_and_name(git_pid)
    return git_pid, info[0] if info else 0


def witness_record(
    updates: Sequence[tuple[str, str, str]],
    root: Path,
    worktree_id: str,
    env: Mapping[str, str],
    start_pid: int,
) -> dict[str, Any]:
    """The journal record of one committed transaction of watched updates."""
    from gatekit.guard.owners import Caller
    from gatekit.system.processes import command_line

    git_pid, git_parent = outermost_git(start_pid)
    argv = command_line(git_pid)[1:]
    caller = Caller.from_env(VIA, env)
    head = next((old for old, _, ref in updates if ref == "HEAD" and not _is_symbolic(old)), None)
    stash = [(old, new) for old, new, ref in updates if ref == "refs/stash"]
    op = _op(argv, str(root), env, updates)
    taken = op.startswith(("stash pop", "stash drop"))
    return {
        "v": 1,
        "t": round(time.time(), 3),
        "pid": git_pid,
        "ppid": git_parent,
        "parent": journal.parent_command(git_parent) if git_parent else "",
        "op": op,
        "argv": argv,
        "cwd": os.getcwd(),
        "worktree": str(root),
        "worktree_id": worktree_id,
        "session": caller.session,
        "host": caller.host,
        "host_session": caller.host_session,
        "via": VIA,
        "decision": OBSERVED,
        "paths": [],
        "owners": [],
        "snapshot": None,
        "kept": [],
        "head": head if head and not is_null(head) else None,
        "stash_entry": next((old for old, _ in stash if taken and not is_null(old)), None),
        "refs": [list(update) for update in updates],
    }


def _is_symbolic(value: str) -> bool:
    return value.startswith("ref:")


def _op(
    argv: Sequence[str], cwd: str, env: Mapping[str, str], updates: Sequence[tuple[str, str, str]]
) -> str:
    """How the journal names the operation: as the guard would name the git command, else by ref."""
    import shlex

    from gatekit.guard.decide import op_name
    from gatekit.guard.gitargv import GIT_COMMANDS, parse_git_argv
    from gatekit.guard.risk import classify

    if argv:
        cmd = parse_git_argv(argv, cwd, env)
        if cmd.subcommand and cmd.subcommand not in GIT_COMMANDS:
            from gatekit.guard.aliases import config_alias

            alias = config_alias(cmd)  # `git nuke` is journaled as the reset it is
            if alias and not alias.startswith("!"):
                try:
                    cmd = parse_git_argv([*shlex.split(alias), *cmd.args], cwd, env)
                except ValueError:
                    pass
        if cmd.subcommand:
            risk = classify(cmd)
            return risk.op if risk is not None else op_name(cmd)
    return "update-ref " + ", ".join(sorted({ref for _, _, ref in updates}))


def record(lines: Iterable[str], repo: Any, env: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """Journal the watched updates of a committed transaction (repo: git.RepoPaths); the record."""
    from gatekit import git
    from gatekit.state_dirs import worktree_id

    root = repo.toplevel
    updates = watched_updates(lines, lambda old, new: git.is_ancestor(root, old, new))
    if not updates:
        return None
    entry = witness_record(
        updates,
        root,
        worktree_id(repo.git_dir, repo.common_dir),
        os.environ if env is None else env,
        identity.parent_pid(),
    )
    journal.append(journal.journal_file(repo.common_dir), entry)
    return entry


# -- reading: one record per command ------------------------------------------------------------


def is_witness(entry: Mapping[str, Any]) -> bool:
    return entry.get("via") == VIA


def fold(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per command, oldest first.

    The witnesses of one git process (`git stash` moves refs/stash, then its child `git reset`
    moves HEAD) become one record. A witness of a command the shim or an agent hook already
    journaled (same worktree, same kind of operation, shortly after, a compatible maker) adds
    its ref updates to that record instead of standing alone: the guard's record has the
    decision, the paths and the snapshot.
    """
    out: list[dict[str, Any]] = []
    for entry in records:
        if not is_witness(entry):
            out.append(entry)
            continue
        target = _same_process(out, entry) or _guarded(out, entry)
        if target is None:
            out.append(dict(entry))
            continue
        index, earlier = target
        merged = dict(earlier)
        merged["refs"] = [*(earlier.get("refs") or []), *(entry.get("refs") or [])]
        for key in ("head", "stash_entry"):
            merged[key] = earlier.get(key) or entry.get(key)
        if not is_witness(earlier):
            merged["witnessed"] = True
            merged["git_pid"] = entry.get("pid")  # the git process the witness saw
        out[index] = merged
    return out


def _same_process(out: list[dict[str, Any]], entry: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    for index in range(len(out) - 1, max(-1, len(out) - 4), -1):
        earlier = out[index]
        seen = earlier.get("pid") if is_witness(earlier) else earlier.get("git_pid")
        if (
            seen is not None
            and seen == entry.get("pid")
            and earlier.get("worktree") == entry.get("worktree")
            and float(entry.get("t") or 0) - float(earlier.get("t") or 0) <= PAIR_SECONDS
        ):
            return index, earlier
    return None


def _guarded(out: list[dict[str, Any]], entry: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The guard's record of the same command: the newest unpaired one that fits."""
    from gatekit.guard.journal_signals import author

    when = float(entry.get("t") or 0)
    family = str(entry.get("op") or "").split(" ")[0]
    maker = author(entry)
    for index in range(len(out) - 1, -1, -1):
        earlier = out[index]
        gap = when - float(earlier.get("t") or 0)
        if gap > PAIR_SECONDS:
            return None
        if is_witness(earlier) or earlier.get("witnessed") or earlier.get("decision") == "deny":
            continue
        same_pid = earlier.get("pid") == entry.get("pid")
        fits = (
            earlier.get("worktree") == entry.get("worktree")
            and str(earlier.get("op") or "").split(" ")[0] == family
            and (not maker or maker <= author(earlier))
        )
        if same_pid or fits:
            return index, earlier
    return None


def maker_of(
    records: Sequence[dict[str, Any]], commit: str, ref_prefix: str = "", made: bool = True
) -> dict[str, Any] | None:
    """The newest record whose ref updates made commit (a stash entry: made) or moved a ref away
    from it (a rewound branch: not made)."""
    side = 1 if made else 0
    for entry in reversed(records):
        for update in entry.get("refs") or ():
            if len(update) == 3 and update[2].startswith(ref_prefix) and update[side] == commit:
                return entry
    return None

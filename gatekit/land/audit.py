"""Auditing protected branches: which commits on them no gate verified, and how they got there.

protect, verify-push and land keep unverified commits off a protected branch, but git has many
ways around a hook (issue 12): `commit --no-verify`, `merge`, `cherry-pick`, `rebase`, `reset`,
`update-ref`, `fetch . x:main`, `pull`. This module reads the evidence afterwards: the verdict
notes say which trees passed, the branch's reflog says which git command moved it.

A tree counts as verified when its note holds verdicts and the latest verdict of each gate on it
passed. Only branches with a verified commit somewhere in their recent first-parent history are
audited: a repository that never verified anything has nothing to compare against.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gatekit import git
from gatekit.check.verdicts import VerdictStore
from gatekit.land.protect import is_protected
from gatekit.state_dirs import NOTES_REF

WALK_LIMIT = 200  # first-parent commits looked at, newest first

# reflog message prefix -> the git command that moved the branch (first match wins)
_HOW = (
    ("gatekit land", "gatekit land"),
    ("commit (merge)", "git merge (a merge commit)"),
    ("commit (amend)", "git commit --amend"),
    ("commit (initial)", "the initial commit"),
    ("commit", "git commit with the protect hook bypassed (--no-verify or GATEKIT_ALLOW_PROTECTED)"),
    ("merge", "git merge"),
    ("cherry-pick", "git cherry-pick"),
    ("revert", "git revert"),
    ("rebase", "git rebase"),
    ("reset", "git reset"),
    ("pull", "git pull"),
    ("fetch", "git fetch into the branch (e.g. `git fetch . x:main`)"),
    ("push", "a push into this repository"),
    ("branch", "git branch -f / creation"),
    ("", "git update-ref (no reflog message)"),
)


@dataclass(frozen=True)
class Unverified:
    commit: str
    how: str  # the git command that brought it, from the reflog


@dataclass(frozen=True)
class BranchAudit:
    branch: str
    tip: str
    last_verified: str
    unverified: tuple[Unverified, ...]  # newest first, down to (excluding) last_verified


def audit_protected(repo: git.RepoPaths, patterns: Iterable[str]) -> list[BranchAudit]:
    """Every protected local branch whose tip no gate verified, with how each commit got there."""
    patterns = tuple(patterns)
    protected = [b for b in git.list_branches(repo.toplevel) if is_protected(b.name, patterns)]
    if not protected:
        return []
    noted = git.notes_objects(repo.toplevel, NOTES_REF)
    store = VerdictStore(repo)
    audits = []
    for branch in protected:
        audit = audit_branch(repo, store, noted, branch.name)
        if audit is not None:
            audits.append(audit)
    return audits


def audit_branch(
    repo: git.RepoPaths, store: VerdictStore, noted: set[str], branch: str
) -> BranchAudit | None:
    walk = git.first_parent_trees(repo.toplevel, f"refs/heads/{branch}", WALK_LIMIT)
    unverified: list[str] = []
    for commit, tree in walk:
        if tree in noted and tree_verified(store, tree):
            if not unverified:
                return None
            reflog = git.reflog_moves(repo.toplevel, f"refs/heads/{branch}")
            position = {c: i for i, (c, _) in enumerate(walk)}
            found = tuple(Unverified(c, how_it_got_there(c, position, reflog)) for c in unverified)
            return BranchAudit(branch, walk[0][0], commit, found)
        unverified.append(commit)
    return None


def tree_verified(store: VerdictStore, tree: str) -> bool:
    latest: dict[str, bool] = {}
    for verdict in store.history(tree):
        latest[verdict.gate] = verdict.passed
    return bool(latest) and all(latest.values())


def how_it_got_there(commit: str, position: dict[str, int], reflog: list[tuple[str, str]]) -> str:
    """The reflog entry that first brought commit onto the branch: the oldest move to it or past it.

    reflog is (new value, message), newest first; position maps the first-parent walk (tip = 0).
    """
    index = position[commit]
    message = None
    for new, entry_message in reflog:
        if new in position and position[new] <= index:
            message = entry_message
    if message is None:
        return "unknown (no reflog entry for it)"
    return describe_move(message)


def describe_move(message: str) -> str:
    for prefix, how in _HOW:
        if message.startswith(prefix):
            return f"{how}: {message!r}" if message else how
    return repr(message)


def transaction_warnings(repo: git.RepoPaths, patterns: Iterable[str], lines: Iterable[str]) -> list[str]:
    """For a committed reference transaction: protected branches moved to an unverified commit."""
    patterns = tuple(patterns)
    store: VerdictStore | None = None
    warnings = []
    for line in lines:
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("refs/heads/") or set(parts[1]) == {"0"}:
            continue
        branch = parts[2][len("refs/heads/") :]
        if not is_protected(branch, patterns):
            continue
        store = store or VerdictStore(repo)
        tree = git.rev_parse(repo.toplevel, f"{parts[1]}^{{tree}}")
        if tree is not None and not tree_verified(store, tree):
            warnings.append(
                f"warning: protected branch {branch!r} moved to {parts[1][:12]}, which no gate verified "
                f"(the way in is `gatekit land`; `gatekit check --rev {branch}` verifies it now)"
            )
    return warnings

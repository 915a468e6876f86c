"""Subjects: what a check verifies, always reduced to a git tree (and a commit to stand for it).

Resolving a subject only reads the repository and writes objects (trees, commits) to the object
database: never the worktree, the index, the stash or a ref.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.errors import Refused, UsageError

STAGED, REV, MERGE, WORKTREE = "staged", "rev", "merge", "worktree"


@dataclass(frozen=True)
class Subject:
    kind: str
    tree: str | None  # None for the working tree in place
    commit: str | None  # a commit whose tree is `tree` (synthetic for staged and merge subjects)
    description: str
    base_commit: str | None = None  # for affected mode: the commit the subject builds on


class MergeConflict(Refused):
    """Merging the revision into the target conflicts: a failure that names the paths."""

    def __init__(self, rev: str, target: str, paths: tuple[str, ...]) -> None:
        listed = "\n".join(f"  {p}" for p in paths)
        super().__init__(f"merging {rev} into {target} conflicts in {len(paths)} path(s):\n{listed}")
        self.paths = paths
        self.target = target


def staged_subject(root: Path) -> Subject:
    """The index about to be committed, and a commit of it on HEAD as the commit being made
    would be: in a commit hook, written by Python as that commit's author (git/loose.py)."""
    import os

    from gatekit.git.loose import commit_object

    tree = git.staged_tree(root)
    head = git.head_commit(root)
    parents, message = [head] if head else [], "gatekit: staged changes\n"
    commit = None
    if "GIT_AUTHOR_DATE" in os.environ:  # a commit hook: git says who is committing, and when
        commit = commit_object(git.get_repo_paths(root).common_dir, tree, parents, message, os.environ)
    commit = commit or git.commit_tree(root, tree, parents, message)
    return Subject(STAGED, tree, commit, "the staged changes", base_commit=head)


def rev_subject(root: Path, rev: str) -> Subject:
    commit, tree, parents = git.commit_tree_parents(root, rev)
    return Subject(REV, tree, commit, f"{rev} ({commit[:12]})", parents[0] if parents else None)


def resolve_target(root: Path, target: str) -> str:
    """A target branch, by full ref name first: refs/heads/<name>, then refs/remotes/origin/<name>
    (in CI clones only that may exist), and only then any other revision (a commit id, a tag).

    git's own lookup of a bare name tries refs/tags/ before refs/heads/, so a tag called `main`
    would otherwise stand in for the branch. A full ref name (refs/...) is taken as it is.
    """
    oid = git.branch_commit(root, target)
    if oid:
        return oid
    raise UsageError(f"target {target!r} names no branch or commit here (fetch it first in CI clones)")


def merge_subject(root: Path, rev: str, target: str) -> Subject:
    """What `target` becomes once `rev` is merged into it."""
    commit = git.resolve_commit(root, rev)
    target_commit = resolve_target(root, target)
    description = f"{rev} merged into {target}"
    if git.is_ancestor(root, commit, target_commit):
        tree = git.tree_of(root, target_commit)
        return Subject(MERGE, tree, target_commit, f"{description} (already contained)", target_commit)
    if git.is_ancestor(root, target_commit, commit):
        return Subject(
            MERGE, git.tree_of(root, commit), commit, f"{description} (fast-forward)", target_commit
        )
    result = git.merge_tree(root, target_commit, commit)
    if not result.clean:
        raise MergeConflict(rev, target, result.conflicts)
    merged = git.commit_tree(
        root, result.tree, [target_commit, commit], f"gatekit: merge {rev} into {target}\n"
    )
    return Subject(MERGE, result.tree, merged, description, target_commit)


def worktree_subject(root: Path) -> Subject:
    return Subject(WORKTREE, None, git.head_commit(root), "the working tree", git.head_commit(root))

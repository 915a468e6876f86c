"""Objects built and read without a worktree: trees, blobs, commits, in-memory merges."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.git.index import temporary_index
from gatekit.git.location import git_path
from gatekit.git.memo import remember
from gatekit.git.revisions import tree_of
from gatekit.git.runner import git_env, is_null_oid, run, run_rc, text, zsplit
from gatekit.system.processes import run_captured


@remember
def staged_tree(cwd: Path | str) -> str:
    """The tree of the index about to be committed, without writing to the index.

    `git write-tree` may rewrite the index file (to store its cache-tree); running it on a copy
    leaves the user's index byte-for-byte untouched. Inside a hook git points GIT_INDEX_FILE at
    the index being committed (e.g. for `git commit -a`), so that one is copied when set.
    """
    index = os.environ.get("GIT_INDEX_FILE")
    source = Path(cwd, index) if index else git_path(cwd, "index")
    with temporary_index(cwd, source) as copy:
        return copy.write_tree()


def commit_tree(
    cwd: Path | str, tree: str, parents: Sequence[str], message: str, env: Mapping[str, str] | None = None
) -> str:
    """Create a commit object (no ref moves) and return its id."""
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    return text(run(cwd, *args, input=message.encode(), env=git_env(env)))


@dataclass(frozen=True)
class MergeResult:
    """The outcome of merging two commits in memory (git merge-tree --write-tree)."""

    tree: str
    conflicts: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.conflicts


# How an in-memory merge is named where a command is shown (the conflict "gate" of check --merge).
MERGE_TREE_COMMAND = ("git", "merge-tree")


def merge_tree(cwd: Path | str, ours: str, theirs: str) -> MergeResult:
    """Merge two commits without touching any worktree, index or ref (git >= 2.38)."""
    result = run_captured(
        ("git", "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs),
        cwd,
        env=git_env(cwd=cwd),
        check=False,
    )
    if result.returncode not in (0, 1):
        from gatekit.git.failures import raise_explained

        raise_explained(
            cwd, ("git", "merge-tree", "--write-tree", ours, theirs), result.returncode, result.stderr
        )
    parts = zsplit(result.stdout)
    tree, conflicts = parts[0], parts[1:]
    return MergeResult(tree, tuple(dict.fromkeys(conflicts)))


def replay_commit(cwd: Path | str, commit: str, parent: str, onto: str) -> MergeResult:
    """Apply the change parent..commit on top of onto, like a cherry-pick, in memory only.

    git 2.39's merge-tree has no --merge-base (2.40+), so the merge base is forced with two
    throwaway commits that share a root commit holding parent's tree: merge-ort then runs the
    exact three-way merge a cherry-pick runs. The extra objects are unreachable and gc'd.
    """
    base = commit_tree(cwd, tree_of(cwd, parent), [], "gatekit: replay base\n")
    ours = commit_tree(cwd, tree_of(cwd, onto), [base], "gatekit: replay ours\n")
    theirs = commit_tree(cwd, tree_of(cwd, commit), [base], "gatekit: replay theirs\n")
    return merge_tree(cwd, ours, theirs)


def index_tree(worktree: Path | str) -> str:
    """The tree recorded in a worktree's own index, computed on a copy (the index is not touched)."""
    with temporary_index(worktree, git_path(worktree, "index")) as copy:
        return copy.write_tree()


def read_blobs(cwd: Path | str, oids: Sequence[str]) -> dict[str, bytes]:
    """The contents of many blobs with one `git cat-file --batch` process."""
    wanted = list(dict.fromkeys(oid for oid in oids if not is_null_oid(oid)))
    if not wanted:
        return {}
    out = run(cwd, "cat-file", "--batch", input="".join(f"{oid}\n" for oid in wanted).encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if len(header) < 3:  # "<oid> missing"
            pos = header_end + 1
            continue
        size = int(header[2])
        blobs[oid] = out[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return blobs


def worktree_state_tree(worktree: Path | str, paths: Sequence[str] | None = None) -> str:
    """The tree of the worktree's tracked and untracked non-ignored files as they are now.

    Built on a copy of the worktree's index (GIT_INDEX_FILE), so the user's index, files and
    refs are untouched; only new objects are written. With paths, only those carry their
    uncommitted state (the rest is as staged): no walk of the whole worktree.
    """
    with temporary_index(worktree, git_path(worktree, "index")) as index:
        return index.add_all() if paths is None else index.stage_paths(paths)


def worktree_state_commit(
    worktree: Path | str, head: str | None, message: str, paths: Sequence[str] | None = None
) -> str:
    """A commit of worktree_state_tree (of paths, when given), parented on head (no ref moves)."""
    return commit_tree(worktree, worktree_state_tree(worktree, paths), [head] if head else [], message)


def dangling_commits(cwd: Path | str) -> list[str]:
    """Commits nothing points at, not even a reflog (lost work that `gc` will delete)."""
    code, out = run_rc(cwd, "fsck", "--connectivity-only", "--no-progress", "--dangling")
    lines = os.fsdecode(out).splitlines()
    return [line.split()[2] for line in lines if line.startswith("dangling commit ")]


def tree_blobs(cwd: Path | str, treeish: str, paths: Sequence[str] = ()) -> dict[str, tuple[str, str]]:
    """{path: (mode, blob id)} for the files of a tree (limited to paths when given)."""
    if not paths:
        out = run(cwd, "ls-tree", "-r", "-z", "--full-tree", treeish)
    else:
        literal = [":(literal)" + p for p in paths]
        out = run(cwd, "ls-tree", "-r", "-z", "--full-tree", treeish, "--", *literal)
    result: dict[str, tuple[str, str]] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        if kind == "blob":
            result[os.fsdecode(path)] = (mode, oid)
    return result


def unreachable_commits(cwd: Path | str, candidates: Sequence[str]) -> list[str]:
    """The candidates no ref reaches (refs/gatekit/ snapshots do not count as keeping them)."""
    if not candidates:
        return []
    out = run(
        cwd,
        "rev-list",
        "--ignore-missing",
        "--stdin",
        "--not",
        "--exclude=refs/gatekit/*",
        "--all",
        input="\n".join(candidates).encode() + b"\n",
    )
    lost = set(text(out).split())
    return [c for c in candidates if c in lost]


def cat_blob(cwd: Path | str, oid: str) -> bytes:
    return run(cwd, "cat-file", "blob", oid)


def committed_files(cwd: Path | str, commit: str, paths: Sequence[str]) -> dict[str, bytes]:
    """The content of those of paths that are files in commit's tree (top level), in one call."""
    found = {path: oid for path, (_mode, oid) in tree_blobs(cwd, commit, paths).items()}
    blobs = read_blobs(cwd, list(found.values()))
    return {path: blobs[oid] for path, oid in found.items() if oid in blobs}


def object_type(cwd: Path | str, rev: str) -> str | None:
    code, out = run_rc(cwd, "cat-file", "-t", rev)
    return text(out) if code == 0 else None


def dangling_blobs(cwd: Path | str) -> list[str]:
    """Blobs no tree, ref, index or reflog reaches: content once staged, then wiped."""
    code, out = run_rc(cwd, "fsck", "--dangling", "--no-reflogs", "--no-progress")
    if code not in (0, 1):
        return []
    blobs = []
    for line in text(out).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "dangling" and parts[1] == "blob":
            blobs.append(parts[2])
    return blobs


def unreachable_commit_tips(cwd: Path | str) -> list[str]:
    """Commits no ref reaches and no other such commit has as an ancestor (reflogs not counted)."""
    code, out = run_rc(cwd, "fsck", "--connectivity-only", "--no-progress", "--dangling", "--no-reflogs")
    lines = os.fsdecode(out).splitlines()
    return [line.split()[2] for line in lines if line.startswith("dangling commit ")]


def reflog_only_commits(cwd: Path | str) -> set[str]:
    """Commits some reflog (of any ref, any worktree's HEAD) reaches but no ref does."""
    code, out = run_rc(cwd, "rev-list", "--reflog", "--not", "--all")
    return set(text(out).split()) if code == 0 else set()


@dataclass(frozen=True)
class CommitHeader:
    oid: str
    tree: str
    subject: str
    committer_email: str
    committer_time: int


def commit_headers(cwd: Path | str, oids: Sequence[str]) -> dict[str, CommitHeader]:
    """Tree, subject and committer of many commits from one `git cat-file --batch`."""
    found: dict[str, CommitHeader] = {}
    for oid, raw in read_blobs(cwd, oids).items():
        head, _, message = raw.partition(b"\n\n")
        fields = dict(line.split(b" ", 1) for line in head.split(b"\n") if b" " in line)
        committer = fields.get(b"committer", b"").decode("utf-8", "replace")
        email = committer[committer.find("<") + 1 : committer.rfind(">")] if "<" in committer else ""
        stamp = committer.rsplit(" ", 2)[-2] if committer.count(" ") >= 2 else "0"
        subject = message.split(b"\n", 1)[0].decode("utf-8", "replace")
        tree = fields.get(b"tree", b"").decode()
        found[oid] = CommitHeader(oid, tree, subject, email, int(stamp) if stamp.isdigit() else 0)
    return found


def committer_email(cwd: Path | str) -> str | None:
    """The email this repository's new commits are committed with (None: no identity)."""
    code, out = run_rc(cwd, "var", "GIT_COMMITTER_IDENT")
    ident = text(out) if code == 0 else ""
    return ident[ident.find("<") + 1 : ident.rfind(">")] if "<" in ident else None


def noted_objects(cwd: Path | str, notes_ref: str) -> set[str]:
    """The objects that carry a note under notes_ref."""
    code, out = run_rc(cwd, "notes", f"--ref={notes_ref}", "list")
    return (
        {line.split()[1] for line in text(out).splitlines() if len(line.split()) == 2} if code == 0 else set()
    )

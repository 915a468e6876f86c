"""The working trees: status, the worktree list, and updating a checkout from one tree to another."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from gatekit.errors import CommandError, ToolMissing
from gatekit.git.location import locate
from gatekit.git.memo import remember
from gatekit.git.refs import ref_in_files
from gatekit.git.runner import git_env, is_object_id, pinned_layout, run, run_rc, text
from gatekit.system.files import has_entries
from gatekit.system.processes import start_captured


@dataclass(frozen=True)
class StatusEntry:
    """One path from `git status --porcelain=v2 -z`."""

    path: str
    xy: str  # two status letters (index, worktree); "??" untracked, "!!" ignored
    orig_path: str | None = None

    @property
    def untracked(self) -> bool:
        return self.xy == "??"

    @property
    def staged(self) -> bool:
        return self.xy[0] not in ".?!"

    @property
    def unstaged(self) -> bool:
        return self.xy[1] not in "."


def status(
    cwd: Path | str, *, untracked: str = "all", extra: Sequence[str] = (), paths: Sequence[str] | None = None
) -> list[StatusEntry]:
    """Dirty paths of the worktree at cwd (porcelain v2, parsed from NUL-separated records).

    paths limits the question (and git's walk of the worktree) to those literal paths.
    """
    pathspec = ("--", *(":(literal)" + path for path in paths)) if paths is not None else ()
    out = run(
        cwd,
        "--no-optional-locks",
        "status",
        "--porcelain=v2",
        "-z",
        f"--untracked-files={untracked}",
        *extra,
        *pathspec,
    )
    return list(parse_status_v2(out))


def parse_status_v2(out: bytes) -> Iterator[StatusEntry]:
    records = out.split(b"\0")
    i = 0
    while i < len(records):
        record = records[i]
        i += 1
        if not record:
            continue
        kind = record[:1]
        if kind == b"1":
            fields = record.split(b" ", 8)
            yield StatusEntry(os.fsdecode(fields[8]), fields[1].decode())
        elif kind == b"2":
            fields = record.split(b" ", 9)
            orig = os.fsdecode(records[i])
            i += 1
            yield StatusEntry(os.fsdecode(fields[9]), fields[1].decode(), orig)
        elif kind == b"u":
            fields = record.split(b" ", 10)
            yield StatusEntry(os.fsdecode(fields[10]), fields[1].decode())
        elif kind in (b"?", b"!"):
            yield StatusEntry(os.fsdecode(record[2:]), kind.decode() * 2)


@dataclass(frozen=True)
class Worktree:
    """One entry of `git worktree list --porcelain -z`."""

    path: Path
    head: str | None
    branch: str | None  # full ref name, e.g. refs/heads/main
    bare: bool = False
    detached: bool = False
    locked: str | None = None  # the reason ("" when locked without one)
    prunable: str | None = None

    @property
    def branch_name(self) -> str | None:
        if self.branch and self.branch.startswith("refs/heads/"):
            return self.branch[len("refs/heads/") :]
        return self.branch


@remember  # inside one hook the worktrees do not change: overlap and check ask once
def list_worktrees(cwd: Path | str) -> list[Worktree]:
    alone = _only_worktree(cwd)
    if alone is not None:
        return [alone]
    out = run(cwd, "worktree", "list", "--porcelain", "-z")
    worktrees: list[Worktree] = []
    fields: dict[str, str] = {}
    for item in out.split(b"\0"):
        if item:
            key, _, value = os.fsdecode(item).partition(" ")
            fields[key] = value
            continue
        if fields:
            worktrees.append(
                Worktree(
                    path=Path(fields["worktree"]),
                    head=fields.get("HEAD"),
                    branch=fields.get("branch"),
                    bare="bare" in fields,
                    detached="detached" in fields,
                    locked=fields.get("locked"),
                    prunable=fields.get("prunable"),
                )
            )
        fields = {}
    return _main_worktree_located(cwd, worktrees)


def _only_worktree(cwd: Path | str) -> Worktree | None:
    """The repository's only worktree, as `git worktree list` gives it, read from files where
    that is certain; None (git lists them) anywhere else.

    Certain: cwd holds the repository's own git directory (`.git` is a directory, not a linked
    worktree's file or a symlink, and no GIT_DIR points elsewhere), that directory has no
    linked worktree registered, and HEAD and the branch it names are files of the files
    backend (loose, or in packed-refs): no git process at all.
    """
    if pinned_layout(cwd):
        return None
    root = os.path.realpath(cwd)
    git_dir = os.path.join(root, ".git")
    if os.path.realpath(git_dir) != git_dir or not os.path.isdir(git_dir):
        return None
    if any(os.path.lexists(os.path.join(git_dir, name)) for name in ("commondir", "reftable")):
        return None
    if has_entries(os.path.join(git_dir, "worktrees")) is not False:
        return None
    try:
        with open(os.path.join(git_dir, "HEAD"), "rb") as file:
            content = os.fsdecode(file.read().rstrip(b"\n"))
    except OSError:
        return None
    branch = content[5:] if content.startswith("ref: refs/") else None
    head = ref_in_files(Path(git_dir), branch) if branch is not None else content
    if not head or not is_object_id(head):
        return None  # an unborn branch (git writes a null id of its own length), a symbolic ref
    return Worktree(path=Path(root), head=head, branch=branch, detached=branch is None)


def _main_worktree_located(cwd: Path | str, worktrees: list[Worktree]) -> list[Worktree]:
    """git 2.39 lists a --separate-git-dir repository's main worktree at its git dir.

    From inside that worktree its real place is known (the toplevel); from a linked worktree it
    is not, and the entry is treated like a bare repository's: no files to look at.
    """
    if not worktrees:
        return worktrees
    if worktrees[0].bare:
        return _pinned_work_tree_located(cwd, worktrees)
    main = worktrees[0]
    if not (main.path / "HEAD").is_file() or not (main.path / "objects").is_dir():
        return worktrees  # an ordinary worktree directory, not a git dir
    toplevel, git_dir, common_dir = locate(cwd)
    if git_dir.resolve() == common_dir.resolve():
        return [replace(main, path=toplevel), *worktrees[1:]]
    return [replace(main, bare=True), *worktrees[1:]]


def _pinned_work_tree_located(cwd: Path | str, worktrees: list[Worktree]) -> list[Worktree]:
    """A bare repository with a GIT_WORK_TREE (the dotfiles layout) is listed as bare; the work
    tree the user named is its main worktree, with the repository's HEAD."""
    if "GIT_WORK_TREE" not in pinned_layout(cwd):
        return worktrees
    toplevel, git_dir, common_dir = locate(cwd)
    if git_dir.resolve() != common_dir.resolve():
        return worktrees  # the pinned worktree is a linked one: it is listed already
    head_code, head = run_rc(cwd, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    branch_code, branch = run_rc(cwd, "symbolic-ref", "--quiet", "HEAD")
    main = Worktree(
        path=toplevel,
        head=text(head) if head_code == 0 else None,
        branch=os.fsdecode(branch).rstrip("\n") if branch_code == 0 else None,
        detached=branch_code != 0,
    )
    return [main, *worktrees[1:]]


def ignored_files(worktree: Path | str) -> list[str]:
    """Ignored files present in a worktree (.env, local notes); wholly ignored directories (build
    outputs such as target/ or node_modules/) are left out: they are rebuilt, not written."""
    out = run(
        worktree,
        "ls-files",
        "-z",
        "--others",
        "--ignored",
        "--exclude-standard",
        "--directory",
        "--no-empty-directory",
    )
    return [path for path in os.fsdecode(out).split("\0") if path and not path.endswith("/")]


def worktree_dirty_paths(worktree: Path | str) -> list[str]:
    """Tracked paths of a worktree with staged or unstaged changes (untracked files ignored)."""
    return [entry.path for entry in status(worktree, untracked="no")]


def add_worktree(cwd: Path | str, path: Path, branch: str, start: str) -> None:
    """A new branch at start, checked out in a new linked worktree at path."""
    run(cwd, "worktree", "add", "-q", "-b", branch, "--", str(path), start)


def remove_worktree(cwd: Path | str, path: Path, *, locked: bool) -> None:
    """Remove a linked worktree and its files, changes and all (the caller saved them)."""
    force = ["--force", "--force"] if locked else ["--force"]  # git wants it twice when locked
    run(cwd, "worktree", "remove", *force, "--", str(path))


@dataclass(frozen=True)
class BranchStatus:
    """`git status --porcelain=v2 --branch`: HEAD's commit and branch plus the dirty paths."""

    head: str | None  # None on an unborn branch
    branch: str | None  # short name; None when detached
    entries: tuple[StatusEntry, ...]


_BRANCH_STATUS = (
    "git",
    "--no-optional-locks",
    "status",
    "--porcelain=v2",
    "-z",
    "--branch",
    "--untracked-files=all",
)


def branch_status(cwd: Path | str) -> BranchStatus:
    """One status call that also answers "where is HEAD" (saves a rev-parse on the hot path)."""
    return parse_branch_status(run(cwd, *_BRANCH_STATUS[1:]))


class PendingStatus:
    """`branch_status` started in the background: on the hook path git walks the worktree while
    Python is still importing and asking its other questions. Paths in porcelain output are
    relative to the worktree root, so any directory inside the worktree will do as cwd."""

    def __init__(self, cwd: Path | str) -> None:
        try:
            self._proc = start_captured(_BRANCH_STATUS, cwd, git_env(cwd=cwd))
        except FileNotFoundError as exc:
            raise ToolMissing("git") from exc
        self._result: BranchStatus | None = None

    def result(self) -> BranchStatus:
        if self._result is None:
            out, err = self._proc.communicate()
            if self._proc.returncode != 0:
                raise CommandError(_BRANCH_STATUS, self._proc.returncode, err)
            self._result = parse_branch_status(out)
        return self._result

    def close(self) -> None:
        """Reap the process when its answer is no longer wanted (an error came first)."""
        if self._proc.returncode is None:
            self._proc.communicate()


def parse_branch_status(out: bytes) -> BranchStatus:
    head: str | None = None
    branch: str | None = None
    for record in out.split(b"\0"):
        if not record.startswith(b"# branch."):
            if record and not record.startswith(b"#"):
                break
            continue
        key, _, value = os.fsdecode(record[2:]).partition(" ")
        if key == "branch.oid" and value != "(initial)":
            head = value
        elif key == "branch.head" and value != "(detached)":
            branch = value
    return BranchStatus(head, branch, tuple(parse_status_v2(out)))


def prune_worktrees(cwd: Path | str) -> None:
    """Forget the linked worktrees whose directories are gone (`git worktree prune`)."""
    run(cwd, "worktree", "prune")

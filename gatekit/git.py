"""Every git call gatekit makes. One small function per question.

Paths are always listed with -z and decoded with os.fsdecode, so names with spaces, newlines,
a leading dash or bytes that are not UTF-8 round-trip exactly. GitPython is never imported here:
this module sits on the hook hot path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.errors import CommandError, ToolMissing, UsageError
from gatekit.proc import run_captured

# Variables a hook (or an outer git) exports that pin git to *a* repository. They must not leak
# into a git call that works on another repository or worktree (pre-commit strips them too).
_REPO_LOCATING_VARS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
)

NULL_OID = "0" * 40


def without_repo_vars() -> dict[str, str]:
    """This process's environment minus the variables that pin git to one repository."""
    return {k: v for k, v in os.environ.items() if k not in _REPO_LOCATING_VARS}


def git_env(extra: Mapping[str, str] | None = None, *, keep_index: bool = False) -> dict[str, str]:
    """The environment for a git call: no repository-locating variables, never a prompt."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_LOCATING_VARS}
    if keep_index and "GIT_INDEX_FILE" in os.environ:
        env["GIT_INDEX_FILE"] = os.environ["GIT_INDEX_FILE"]
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run(
    cwd: Path | str,
    *args: str,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok_codes: Sequence[int] = (0,),
) -> bytes:
    """Run `git args` in cwd and return its stdout; a failure raises CommandError."""
    result = run_captured(
        ("git", *args),
        cwd,
        env=env if env is not None else git_env(),
        input=input,
        ok_codes=ok_codes,
    )
    return result.stdout


def run_rc(cwd: Path | str, *args: str, env: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    """Run `git args` and return (exit code, stdout) without raising on a non-zero exit."""
    result = run_captured(("git", *args), cwd, env=env or git_env(), check=False)
    return result.returncode, result.stdout


def zsplit(data: bytes) -> list[str]:
    """Split NUL-terminated git output into file-system strings."""
    return [os.fsdecode(part) for part in data.split(b"\0") if part]


def text(data: bytes) -> str:
    return data.decode("utf-8", "replace").strip()


# -- where am I -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoPaths:
    """The three directories every command needs, resolved with one git call."""

    toplevel: Path
    git_dir: Path
    common_dir: Path


def get_repo_paths(cwd: Path | str = ".") -> RepoPaths:
    """Resolve the worktree root, its git dir and the common git dir, or explain why not."""
    cwd = Path(cwd)
    if not cwd.is_dir():
        raise UsageError(f"{cwd} is not a directory")
    try:
        out = run_captured(
            (
                "git",
                "rev-parse",
                "--path-format=absolute",
                "--show-toplevel",
                "--git-dir",
                "--git-common-dir",
            ),
            cwd,
            env=git_env(keep_index=True),
        ).stdout
    except ToolMissing as exc:
        raise UsageError("git was not found on PATH. Is it installed?") from exc
    except CommandError as exc:
        raise UsageError(
            f"{cwd.resolve()} is not inside a git repository with a working tree "
            f"(git said: {exc.stderr or 'nothing'})"
        ) from exc
    lines = os.fsdecode(out).splitlines()
    if len(lines) != 3:
        raise UsageError(f"{cwd.resolve()} is not inside a git working tree")
    top, git_dir, common = (Path(line) for line in lines)
    return RepoPaths(top, git_dir, common)


def git_path(cwd: Path | str, name: str) -> Path:
    """The per-worktree location of a git-dir file (e.g. logs/HEAD, index.lock)."""
    out = run(cwd, "rev-parse", "--path-format=absolute", "--git-path", name)
    return Path(os.fsdecode(out).rstrip("\n"))


# -- revisions --------------------------------------------------------------------------------


def rev_parse(cwd: Path | str, rev: str) -> str | None:
    """The object id rev names, or None when it names nothing."""
    code, out = run_rc(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", rev)
    return text(out) if code == 0 else None


def resolve_commit(cwd: Path | str, rev: str) -> str:
    """The commit id rev names; a clear UsageError when it names no commit."""
    if rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a revision")
    oid = rev_parse(cwd, f"{rev}^{{commit}}")
    if oid is None:
        raise UsageError(f"{rev!r} does not name a commit in this repository")
    return oid


def tree_of(cwd: Path | str, rev: str) -> str:
    """The tree id of a commit-ish."""
    oid = rev_parse(cwd, f"{rev}^{{tree}}")
    if oid is None:
        raise UsageError(f"{rev!r} does not name a commit or tree in this repository")
    return oid


def current_branch(cwd: Path | str) -> str | None:
    """The short name of the checked-out branch, or None in detached HEAD."""
    code, out = run_rc(cwd, "symbolic-ref", "--quiet", "--short", "HEAD")
    return text(out) if code == 0 else None


def head_commit(cwd: Path | str) -> str | None:
    """HEAD's commit id, or None on an unborn branch."""
    return rev_parse(cwd, "HEAD^{commit}")


def branch_exists(cwd: Path | str, branch: str) -> bool:
    return rev_parse(cwd, f"refs/heads/{branch}") is not None


def is_ancestor(cwd: Path | str, ancestor: str, descendant: str) -> bool:
    code, _ = run_rc(cwd, "merge-base", "--is-ancestor", ancestor, descendant)
    return code == 0


def merge_base(cwd: Path | str, a: str, b: str) -> str | None:
    code, out = run_rc(cwd, "merge-base", a, b)
    return text(out) if code == 0 else None


def commit_parents(cwd: Path | str, commit: str) -> list[str]:
    out = run(cwd, "rev-list", "--parents", "-n", "1", commit)
    return text(out).split()[1:]


# -- trees and paths --------------------------------------------------------------------------


def changed_paths(cwd: Path | str, base: str, head: str) -> list[str]:
    """Paths that differ between two tree-ish objects; a rename yields both of its paths."""
    out = run(
        cwd,
        "diff-tree",
        "-r",
        "-z",
        "--name-only",
        "--no-renames",
        "--no-ext-diff",
        base,
        head,
        "--",
    )
    return zsplit(out)


def staged_tree(cwd: Path | str) -> str:
    """The tree of the index about to be committed, without writing to the index.

    `git write-tree` may rewrite the index file (to store its cache-tree); running it on a copy
    leaves the user's index byte-for-byte untouched. Inside a hook git points GIT_INDEX_FILE at
    the index being committed (e.g. for `git commit -a`), so that one is copied when set.
    """
    index = os.environ.get("GIT_INDEX_FILE")
    source = Path(cwd, index) if index else git_path(cwd, "index")
    with tempfile.TemporaryDirectory(prefix="gatekit-index-") as tmp:
        copy = Path(tmp, "index")
        if source.exists():
            shutil.copyfile(source, copy)
        out = run(cwd, "write-tree", env=git_env({"GIT_INDEX_FILE": str(copy)}))
    return text(out)


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


def merge_tree(cwd: Path | str, ours: str, theirs: str) -> MergeResult:
    """Merge two commits without touching any worktree, index or ref (git >= 2.38)."""
    result = run_captured(
        ("git", "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", ours, theirs),
        cwd,
        env=git_env(),
        check=False,
    )
    if result.returncode not in (0, 1):
        raise CommandError(
            ("git", "merge-tree", "--write-tree", ours, theirs), result.returncode, result.stderr
        )
    parts = zsplit(result.stdout)
    tree, conflicts = parts[0], parts[1:]
    return MergeResult(tree, tuple(dict.fromkeys(conflicts)))


# -- refs -------------------------------------------------------------------------------------


def update_ref(cwd: Path | str, ref: str, new: str, old: str | None, message: str) -> bool:
    """Compare-and-swap ref from old to new (old=None: must not exist). False if it moved."""
    expected = old if old is not None else NULL_OID
    code, _ = run_rc(cwd, "update-ref", "-m", message, ref, new, expected)
    return code == 0


def for_each_ref(cwd: Path | str, pattern: str, fmt: str = "%(refname)%00%(objectname)") -> list[list[str]]:
    """Rows of for-each-ref output, fields split on NUL (use %00 between fields in fmt)."""
    out = run(cwd, "for-each-ref", f"--format={fmt}", pattern)
    return [line.split("\0") for line in os.fsdecode(out).splitlines() if line]


# -- status and worktrees ---------------------------------------------------------------------


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


def status(cwd: Path | str, *, untracked: str = "all", extra: Sequence[str] = ()) -> list[StatusEntry]:
    """Dirty paths of the worktree at cwd (porcelain v2, parsed from NUL-separated records)."""
    out = run(
        cwd,
        "--no-optional-locks",
        "status",
        "--porcelain=v2",
        "-z",
        f"--untracked-files={untracked}",
        *extra,
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


def list_worktrees(cwd: Path | str) -> list[Worktree]:
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
    return worktrees


# -- check ------------------------------------------------------------------------------------


def worktree_changed_paths(cwd: Path | str, base: str) -> list[str]:
    """Tracked paths whose working-tree content differs from base, plus untracked files."""
    tracked = zsplit(run(cwd, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, "--"))
    untracked = zsplit(run(cwd, "ls-files", "-z", "--others", "--exclude-standard"))
    return sorted(set(tracked) | set(untracked))


# -- land -------------------------------------------------------------------------------------
# Questions asked by protect, verify-push, land and the verdict cache (issue 4).


def notes_show(cwd: Path | str, notes_ref: str, obj: str) -> str | None:
    """The note attached to obj under notes_ref, or None when there is none."""
    code, out = run_rc(cwd, "notes", f"--ref={notes_ref}", "show", obj)
    return out.decode("utf-8", "replace") if code == 0 else None


def notes_write(
    cwd: Path | str, notes_ref: str, obj: str, content: str, env: Mapping[str, str] | None = None
) -> None:
    """Attach content as the note of obj under notes_ref, replacing the previous note.

    `git notes` moves the notes ref without a compare-and-swap, so callers serialise writers
    (verdicts.py holds a lock around read-modify-write).
    """
    run(
        cwd,
        "notes",
        f"--ref={notes_ref}",
        "add",
        "-f",
        "-F",
        "-",
        obj,
        input=content.encode("utf-8"),
        env=git_env(env),
    )


def has_identity(cwd: Path | str) -> bool:
    """True when git can name a committer here (commits and notes need one)."""
    code, _ = run_rc(cwd, "var", "GIT_COMMITTER_IDENT")
    return code == 0


def is_valid_branch_name(cwd: Path | str, name: str) -> bool:
    code, _ = run_rc(cwd, "check-ref-format", "--branch", name)
    return code == 0 and not name.startswith("-")


def commit_meta(cwd: Path | str, commit: str) -> dict[str, str]:
    """Author name, email and raw date, and the full message of a commit."""
    out = run(
        cwd,
        "log",
        "-1",
        "--no-show-signature",
        "--date=raw",
        "--format=%an%x00%ae%x00%ad%x00%B",
        commit,
        "--",
    )
    name, email, date, message = out.decode("utf-8", "replace").split("\0", 3)
    return {"name": name, "email": email, "date": date, "message": message.rstrip("\n") + "\n"}


def commit_subject(cwd: Path | str, commit: str) -> str:
    return text(run(cwd, "log", "-1", "--no-show-signature", "--format=%s", commit, "--"))


def rev_list(cwd: Path | str, *args: str) -> list[str]:
    """Commit ids from `git rev-list args` (callers pass --reverse, --first-parent, ranges)."""
    return text(run(cwd, "rev-list", *args, "--")).split()


def new_commits(cwd: Path | str, tip: str, exclude: Sequence[str]) -> list[str]:
    """First-parent commits reachable from tip and from none of exclude, oldest first."""
    return rev_list(cwd, "--reverse", "--first-parent", tip, *(f"^{oid}" for oid in exclude))


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


def worktree_dirty_paths(worktree: Path | str) -> list[str]:
    """Tracked paths of a worktree with staged or unstaged changes (untracked files ignored)."""
    return [entry.path for entry in status(worktree, untracked="no")]


def read_tree_update(worktree: Path | str, old: str, new: str, *, dry_run: bool = False) -> tuple[bool, str]:
    """Carry a worktree's index and files from tree old to tree new (a two-way merge).

    Refuses, like `git merge --ff-only`, to overwrite local changes or untracked files in the
    way. Returns (ok, git's message).
    """
    args = ["read-tree", "-m", "-u"]
    if dry_run:
        args.append("-n")
    result = run_captured(("git", *args, old, new), worktree, env=git_env(), check=False)
    return result.returncode == 0, result.stderr.decode("utf-8", "replace").strip()


def checkout_tree_into(cwd: Path | str, tree: str, directory: Path) -> None:
    """Write the files of tree into directory through a throwaway index (no worktree touched)."""
    with tempfile.TemporaryDirectory(prefix="gatekit-index-") as tmp:
        env = git_env({"GIT_INDEX_FILE": str(Path(tmp, "index"))})
        run(cwd, "read-tree", tree, env=env)
        run(cwd, "checkout-index", "-a", "-f", f"--prefix={directory}{os.sep}", env=env)


def index_tree(worktree: Path | str) -> str:
    """The tree recorded in a worktree's own index, computed on a copy (the index is not touched)."""
    source = git_path(worktree, "index")
    with tempfile.TemporaryDirectory(prefix="gatekit-index-") as tmp:
        copy = Path(tmp, "index")
        if source.exists():
            shutil.copyfile(source, copy)
        return text(run(worktree, "write-tree", env=git_env({"GIT_INDEX_FILE": str(copy)})))

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
    return RepoPaths(*locate(cwd))


def locate(cwd: Path | str, git_paths: Sequence[str] = ()) -> list[Path]:
    """[toplevel, git dir, common dir, *per-worktree git paths] from one `git rev-parse`.

    Anything but a worktree of a repository becomes one clear UsageError (exit 2).
    """
    cwd = Path(cwd)
    if not cwd.is_dir():
        raise UsageError(f"{cwd} is not a directory")
    args = ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-dir", "--git-common-dir"]
    for name in git_paths:
        args += ["--git-path", name]
    try:
        out = run_captured(("git", *args), cwd, env=git_env()).stdout
    except ToolMissing as exc:
        raise UsageError("git was not found on PATH. Is it installed?") from exc
    except CommandError as exc:
        raise UsageError(
            f"{cwd.resolve()} is not inside a git repository with a working tree "
            f"(git said: {exc.stderr or 'nothing'})"
        ) from exc
    lines = [Path(line) for line in os.fsdecode(out).splitlines()]
    if len(lines) != 3 + len(git_paths):
        raise UsageError(f"{cwd.resolve()} is not inside a git working tree")
    return lines


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
    """Compare-and-swap ref from old to new (old=None: must not exist).

    False only when the ref really moved (or already exists). Any other failure -- above all
    a `<ref>.lock` left by a git process that was killed -- raises CommandError with git's
    message: reporting it as "moved" would send a caller into a retry loop it cannot win.
    """
    expected = old if old is not None else NULL_OID
    argv = ("git", "update-ref", "-m", message, ref, new, expected)
    result = run_captured(argv, cwd, env=git_env(), check=False)
    if result.returncode == 0:
        return True
    if rev_parse(cwd, ref) != old:
        return False
    raise CommandError(argv, result.returncode, result.stderr)


def ref_lock_paths(common_dir: Path, ref: str) -> list[Path]:
    """The lock files the files backend takes to update `ref` (a branch, in common_dir).

    Besides `<ref>.lock`, git locks the HEAD of every worktree that has the branch checked out
    (HEAD's reflog is written too), so a killed update can leave `HEAD.lock` behind as well.
    """
    locks = [common_dir / (ref + ".lock")]
    linked = common_dir / "worktrees"
    admin_dirs = [common_dir, *(sorted(linked.iterdir()) if linked.is_dir() else [])]
    for admin in admin_dirs:
        try:
            head = (admin / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        if head == f"ref: {ref}":
            locks.append(admin / "HEAD.lock")
    return locks


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


# -- fleet ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileDiff:
    """One path's change between two trees: blob ids and the -U0 hunks (old and new ranges)."""

    path: str
    status: str  # A, M, D, T ...
    old_oid: str
    new_oid: str
    # (old_start, old_count, new_start, new_count), 1-based as in the @@ header
    hunks: tuple[tuple[int, int, int, int], ...] = ()


_HUNK_PREFIX = b"@@ -"


def _parse_hunk(line: bytes) -> tuple[int, int, int, int]:
    old, new = line[4:].split(b" @@", 1)[0].split(b" +")

    def side(spec: bytes) -> tuple[int, int]:
        start, _, count = spec.partition(b",")
        return int(start), int(count) if count else 1

    return (*side(old), *side(new))


def diff_hunks(cwd: Path | str, base: str, head: str) -> list[FileDiff]:
    """Every changed path between two tree-ish objects with its zero-context hunks, in one call.

    Paths come from the -z raw records (exact bytes); the patch sections follow in the same
    order, one `diff --git` header per raw record, so no quoted header is ever parsed.
    """
    out = run(
        cwd,
        "diff-tree",
        "-r",
        "--raw",
        "-p",
        "-U0",
        "-z",
        "--no-abbrev",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        base,
        head,
        "--",
    )
    records: list[tuple[str, str, str, str]] = []
    pos = 0
    while pos < len(out) and out[pos : pos + 1] == b":":
        meta_end = out.index(b"\0", pos)
        path_end = out.index(b"\0", meta_end + 1)
        meta = out[pos + 1 : meta_end].decode().split()
        records.append((os.fsdecode(out[meta_end + 1 : path_end]), meta[4][:1], meta[2], meta[3]))
        pos = path_end + 1
    sections = out[pos:].split(b"\ndiff --git ")
    hunks: list[list[tuple[int, int, int, int]]] = []
    for section in sections:
        if not section.strip(b"\0\n"):
            continue
        lines = section.split(b"\n")
        hunks.append([_parse_hunk(line) for line in lines if line.startswith(_HUNK_PREFIX)])
    if len(hunks) != len(records):  # a git whose output we do not understand: say so plainly
        raise CommandError(("git", "diff-tree", "-p", base, head), 0, "unexpected patch layout")
    return [FileDiff(p, s, o, n, tuple(h)) for (p, s, o, n), h in zip(records, hunks)]


def read_blobs(cwd: Path | str, oids: Sequence[str]) -> dict[str, bytes]:
    """The contents of many blobs with one `git cat-file --batch` process."""
    wanted = list(dict.fromkeys(oid for oid in oids if oid != NULL_OID))
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


def ahead_behind(cwd: Path | str, target: str, head: str) -> tuple[int, int]:
    """(commits in head not in target, commits in target not in head)."""
    out = text(run(cwd, "rev-list", "--left-right", "--count", f"{head}...{target}", "--"))
    ahead, behind = out.split()
    return int(ahead), int(behind)


@dataclass(frozen=True)
class BranchInfo:
    """A local branch with its tip and upstream tracking state."""

    name: str
    commit: str
    upstream: str  # "" when the branch has none
    track: str  # "[ahead 1, behind 2]", "[gone]" or ""


def list_branches(cwd: Path | str) -> list[BranchInfo]:
    """Every local branch, with upstream and tracking, from one for-each-ref call."""
    rows = for_each_ref(
        cwd,
        "refs/heads/",
        "%(refname:lstrip=2)%00%(objectname)%00%(upstream:short)%00%(upstream:track)",
    )
    return [BranchInfo(*row) for row in rows if len(row) == 4]


def ref_dates(cwd: Path | str, pattern: str) -> list[tuple[str, int]]:
    """(refname, committer epoch) of every ref under pattern, newest first."""
    rows = for_each_ref(cwd, pattern, "%(refname)%00%(committerdate:unix)")
    dated = [(row[0], int(row[1] or 0)) for row in rows if len(row) == 2]
    return sorted(dated, key=lambda item: -item[1])


def commit_date(cwd: Path | str, rev: str) -> int:
    return int(text(run(cwd, "log", "-1", "--format=%ct", rev, "--")))


def worktree_state_commit(worktree: Path | str, head: str | None, message: str) -> str:
    """A commit of the worktree's tracked and untracked non-ignored files, parented on head.

    Built on a copy of the worktree's index (GIT_INDEX_FILE), so the user's index, files and
    refs are untouched; only new objects are written.
    """
    source = git_path(worktree, "index")
    with tempfile.TemporaryDirectory(prefix="gatekit-state-") as tmp:
        index = Path(tmp, "index")
        if source.exists():
            shutil.copyfile(source, index)
        tree = add_all_to_index(worktree, index)
    return commit_tree(worktree, tree, [head] if head else [], message)


def unmerged_commit_count(cwd: Path | str, head: str, exclude_branch: str | None) -> int:
    """How many commits reachable from head are on no other local branch and no remote."""
    args = ["rev-list", "--count", head, "--not"]
    if exclude_branch:
        args.append(f"--exclude={exclude_branch}")
    args += ["--branches", "--remotes", "--"]
    return int(text(run(cwd, *args)))


def first_parent_paths(cwd: Path | str, rev: str, since: int) -> list[list[str]]:
    """Paths changed by each first-parent commit of rev since an epoch (a merge vs its 1st parent).

    The window is filtered here rather than with --since, whose approxidate parsing of a bare
    epoch is unreliable; the walk stops at the first commit older than the window. A root
    commit (an import of everything) is not a change to any one file and is left out.
    """
    out = run(
        cwd,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--name-only",
        "-z",
        "--format=%x01%ct %P",
        rev,
        "--",
    )
    changes: list[list[str]] = []
    for chunk in out.split(b"\x01")[1:]:
        header, _, names = chunk.partition(b"\0")
        stamp, *parents = header.split()
        if int(stamp) < since:
            break
        if parents:
            changes.append(zsplit(names.lstrip(b"\n")))
    return changes


def stash_entries(cwd: Path | str) -> list[tuple[str, int, str]]:
    """(stash@{n}, epoch, subject) of every stash entry."""
    code, out = run_rc(cwd, "log", "-g", "--format=%gd%x00%ct%x00%gs", "refs/stash", "--")
    if code != 0:
        return []
    rows = [line.split("\0") for line in os.fsdecode(out).splitlines() if line]
    return [(row[0], int(row[1]), row[2]) for row in rows if len(row) == 3]


def dangling_commits(cwd: Path | str) -> list[str]:
    """Commits nothing points at, not even a reflog (lost work that `gc` will delete)."""
    code, out = run_rc(cwd, "fsck", "--connectivity-only", "--no-progress", "--dangling")
    lines = os.fsdecode(out).splitlines()
    return [line.split()[2] for line in lines if line.startswith("dangling commit ")]


# -- guard (clobber signals, sessions, snapshots, rescue) -------------------------------------


@dataclass(frozen=True)
class GuardPaths:
    """Everything the clobber check needs to locate, from one `git rev-parse` call."""

    repo: RepoPaths
    head_log: Path  # per-worktree reflog of HEAD
    stash_log: Path  # shared reflog of refs/stash
    index_lock: Path
    index: Path


def guard_paths(cwd: Path | str = ".") -> GuardPaths:
    """Resolve worktree, git dirs and the per-worktree reflog and lock paths in one git call."""
    lines = locate(cwd, ("logs/HEAD", "logs/refs/stash", "index.lock", "index"))
    return GuardPaths(RepoPaths(*lines[:3]), *lines[3:])


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
        import subprocess

        try:
            self._proc = subprocess.Popen(
                _BRANCH_STATUS,
                cwd=cwd,
                env=git_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
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


def reflog_entries_raw(cwd: Path | str, ref: str) -> bytes:
    """A reflog in file format, through git (for refs that are not files, e.g. reftable)."""
    code, out = run_rc(
        cwd, "log", "-g", "-z", "--no-abbrev", "--date=unix", "--format=%H %gd%x09%gs", ref, "--"
    )
    return out if code == 0 else b""


def staged_paths(cwd: Path | str, head: str | None) -> list[str]:
    """Paths staged for the next commit on top of head (None: unborn, compared to nothing).

    Honours GIT_INDEX_FILE as a commit hook sets it (`git commit -a`, `git commit PATH`).
    """
    base = head if head is not None else "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # empty tree
    out = run(
        cwd,
        "diff-index",
        "--cached",
        "-z",
        "--name-only",
        "--no-renames",
        base,
        "--",
        env=git_env(keep_index=True),
    )
    return zsplit(out)


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


def add_all_to_index(cwd: Path | str, index_file: Path) -> str:
    """Stage every tracked change and untracked, non-ignored file into index_file; its tree.

    Only the given index file is written (plus objects): the user's own index is never read
    for writing, because GIT_INDEX_FILE points git at the copy.
    """
    env = git_env({"GIT_INDEX_FILE": str(index_file)})
    run(cwd, "add", "-A", "--", ":/", env=env)
    return text(run(cwd, "write-tree", env=env))


def update_refs(cwd: Path | str, commands: Sequence[str]) -> None:
    """Apply `git update-ref --stdin -z` commands (one transaction)."""
    if commands:
        payload = b"".join(c.encode() + b"\0" for c in commands)
        run(cwd, "update-ref", "--stdin", "-z", input=payload)


def cat_blob(cwd: Path | str, oid: str) -> bytes:
    return run(cwd, "cat-file", "blob", oid)


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


def numstat(cwd: Path | str, base: str, head: str) -> list[tuple[str, int, int]]:
    """(path, added, deleted) between two tree-ish objects; binary files count 0/0."""
    out = run(cwd, "diff-tree", "-r", "-z", "--numstat", "--no-renames", "--no-ext-diff", base, head, "--")
    rows: list[tuple[str, int, int]] = []
    parts = out.split(b"\0")
    for record in parts:
        if not record:
            continue
        added, deleted, path = record.split(b"\t", 2)
        plus = int(added) if added != b"-" else 0
        minus = int(deleted) if deleted != b"-" else 0
        rows.append((os.fsdecode(path), plus, minus))
    return rows

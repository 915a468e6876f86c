"""Commits and their history: resolving names, ancestry, metadata."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from gatekit.errors import UsageError
from gatekit.git.memo import active, remember, tell
from gatekit.git.runner import git_env, run, run_rc, text, zsplit
from gatekit.system.processes import run_captured


def rev_parse(cwd: Path | str, rev: str) -> str | None:
    """The object id rev names, or None when it names nothing."""
    code, out = run_rc(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", rev)
    return text(out) if code == 0 else None


@remember
def branch_commit(cwd: Path | str, name: str) -> str | None:
    """The commit a target branch names, by full ref name first: refs/heads/<name>, then
    refs/remotes/origin/<name> (in CI clones only that may exist), and only then any other
    revision (a commit id, a tag); None when name names no commit.

    git's own lookup of a bare name tries refs/tags/ before refs/heads/, so a tag called `main`
    would otherwise stand in for the branch. A full ref name (refs/...) is taken as it is.
    """
    if name.startswith("refs/"):
        candidates: tuple[str, ...] = (name,)
    else:
        candidates = (f"refs/heads/{name}", f"refs/remotes/origin/{name}", name)
    for candidate in candidates:
        if not candidate.startswith("-"):
            oid = rev_parse(cwd, f"{candidate}^{{commit}}")
            if oid:
                return oid
    return None


def resolve_commit(cwd: Path | str, rev: str) -> str:
    """The commit id rev names; a clear UsageError when it names no commit."""
    if rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a revision")
    oid = rev_parse(cwd, f"{rev}^{{commit}}")
    if oid is None:
        raise UsageError(f"{rev!r} does not name a commit in this repository")
    return oid


def commit_tree_parents(cwd: Path | str, rev: str) -> tuple[str, str, list[str]]:
    """(commit, tree, parents) of the commit rev names, in one call; a clear UsageError else."""
    if not rev.startswith("-"):
        result = run_captured(
            ("git", "rev-list", "-n1", "--no-commit-header", "--format=%H %T %P", f"{rev}^{{commit}}", "--"),
            cwd,
            env=git_env(cwd=cwd),
            check=False,
        )
        if b"is ambiguous" in result.stderr:
            # git only warns and picks the tag; verifying a different commit than meant is worse.
            raise UsageError(
                f"{rev!r} is ambiguous (a branch and a tag, or another ref, share the name): "
                f"say refs/heads/{rev} or refs/tags/{rev}"
            )
        fields = text(result.stdout).split() if result.returncode == 0 else []
        if len(fields) >= 2:
            return fields[0], fields[1], fields[2:]
    resolve_commit(cwd, rev)  # names the problem
    raise UsageError(f"{rev!r} does not name a commit in this repository")


def tree_of(cwd: Path | str, rev: str) -> str:
    """The tree id of a commit-ish."""
    oid = rev_parse(cwd, f"{rev}^{{tree}}")
    if oid is None:
        raise UsageError(f"{rev!r} does not name a commit or tree in this repository")
    return oid


@remember
def current_branch(cwd: Path | str) -> str | None:
    """The short name of the checked-out branch, or None in detached HEAD."""
    code, out = run_rc(cwd, "symbolic-ref", "--quiet", "--short", "HEAD")
    return text(out) if code == 0 else None


@remember
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


def merge_bases(cwd: Path | str, target: str, heads: Sequence[str]) -> dict[str, str | None]:
    """merge_base(target, head) for many heads, mostly from one `git rev-list`.

    rev-list lists every commit the heads reach and target does not, with its parents. From a
    head, walking those commits ends at parents target reaches: when exactly one such boundary
    commit is found it is the merge base (all other common ancestors lie behind it). A head
    target already reaches is its own merge base. Several boundary commits (main merged into the
    branch) or none (unrelated history) are asked of `git merge-base` itself.
    """
    wanted = list(dict.fromkeys(heads))
    if not wanted:
        return {}
    out = text(run(cwd, "rev-list", "--parents", *wanted, "--not", target, "--"))
    parents = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line}
    bases: dict[str, str | None] = {}
    for head in wanted:
        if head not in parents:
            bases[head] = head
            continue
        boundary: set[str] = set()
        seen, todo = {head}, [head]
        while todo:
            for parent in parents[todo.pop()]:
                if parent not in parents:
                    boundary.add(parent)
                elif parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        bases[head] = boundary.pop() if len(boundary) == 1 else merge_base(cwd, target, head)
    return bases


def independent_commits(cwd: Path | str, commits: Sequence[str]) -> list[str]:
    """commits without those another of them already contains, in the order given."""
    if len(commits) < 2:
        return list(commits)
    kept = set(text(run(cwd, "merge-base", "--independent", *commits)).split())
    return [c for c in dict.fromkeys(commits) if c in kept]


def commit_parents(cwd: Path | str, commit: str) -> list[str]:
    out = run(cwd, "rev-list", "--parents", "-n", "1", commit)
    return text(out).split()[1:]


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


def ahead_behind(cwd: Path | str, target: str, head: str) -> tuple[int, int]:
    """(commits in head not in target, commits in target not in head)."""
    out = text(run(cwd, "rev-list", "--left-right", "--count", f"{head}...{target}", "--"))
    ahead, behind = out.split()
    return int(ahead), int(behind)


def commit_date(cwd: Path | str, rev: str) -> int:
    return int(text(run(cwd, "log", "-1", "--format=%ct", rev, "--")))


def unmerged_commit_count(cwd: Path | str, head: str, exclude_branch: str | None) -> int:
    """How many commits reachable from head are on no other local branch and no remote."""
    args = ["rev-list", "--count", head, "--not"]
    if exclude_branch:
        args.append(f"--exclude={exclude_branch}")
    args += ["--branches", "--remotes", "--"]
    return int(text(run(cwd, *args)))


def first_parent_paths(cwd: Path | str, rev: str, since: int) -> list[list[str]]:
    """Paths changed by each first-parent commit of rev since an epoch (a merge vs its 1st parent).

    --max-age takes the raw epoch (--since parses approxidate, unreliable for a bare epoch) and
    stops git's walk at the window's edge: only the window's history is read, not the whole of
    it (issue 13: 1.6 s against 0.09 s on cargo). A root commit (an import of everything) is
    not a change to any one file and is left out.
    """
    out = run(
        cwd,
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--name-only",
        "-z",
        f"--max-age={since}",
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


USUAL_DEFAULT_BRANCHES = ("main", "master", "trunk")
_ORIGIN = "refs/remotes/origin/"


@remember
def default_branch(cwd: Path | str) -> str | None:
    """The repository's default branch: origin/HEAD, else init.defaultBranch, else the first of
    main, master and trunk that exists (locally or on origin); None when none of them does.

    Every hook asks it. One git call where origin/HEAD answers (a clone): a for-each-ref over
    origin/HEAD and the usual names. Otherwise the config too, and one more for-each-ref for a
    branch it names beyond the usual ones. That for-each-ref lists every local branch too, and
    tells branch_commit and local_branch_tips what it read (the hook's overlap asks them next).
    """
    commits, origin_head = _candidate_refs(cwd, USUAL_DEFAULT_BRANCHES, with_origin_head=True)
    if origin_head and not origin_head.startswith("-"):
        return origin_head  # origin/HEAD names a commit: that branch exists on origin
    code, out = run_rc(cwd, "config", "--get", "init.defaultBranch")
    configured = text(out) if code == 0 else ""
    names = [n for n in dict.fromkeys((configured, *USUAL_DEFAULT_BRANCHES)) if n and not n.startswith("-")]
    if names[0] not in USUAL_DEFAULT_BRANCHES:
        commits |= _candidate_refs(cwd, names[:1], with_origin_head=False)[0]
    for name in names:
        if f"refs/heads/{name}" in commits or f"{_ORIGIN}{name}" in commits:
            return name
    return None


def _candidate_refs(cwd: Path | str, names: Sequence[str], *, with_origin_head: bool) -> tuple[set[str], str]:
    """(the refs of names, local or on origin, that name a commit; the branch origin/HEAD names
    when it names a commit, else ""), from one for-each-ref.

    The first call (with_origin_head) lists every local branch, not only the candidates: what
    local_branch_tips would ask, answered by the same git process.
    """
    wanted = {f"{where}{n}" for n in names for where in ("refs/heads/", _ORIGIN)}
    patterns = sorted(wanted)
    if with_origin_head:
        wanted.add(f"{_ORIGIN}HEAD")
        patterns = ["refs/heads/", f"{_ORIGIN}HEAD", *(p for p in patterns if p.startswith(_ORIGIN))]
    rows = _ref_rows_from_files(cwd, wanted) if with_origin_head and active() else None
    if rows is None:
        out = run(
            cwd,
            "for-each-ref",
            "--format=%(refname)%00%(symref)%00%(*objecttype)%00%(objecttype)%00%(objectname)",
            *patterns,
        )
        # a branch's name need not be UTF-8
        rows = [(line.split("\0") + ["", "", "", ""])[:5] for line in os.fsdecode(out).splitlines()]
    commits: set[str] = set()  # refs (of the candidates, exactly) that name a commit
    tips: dict[str, str] = {}
    origin_head = ""
    for ref, symref, peeled, kind, oid in rows:
        if ref.startswith("refs/heads/"):
            tips[ref.removeprefix("refs/heads/")] = oid
        if ref not in wanted or (peeled or kind) != "commit":
            continue  # a broken origin/HEAD is not listed at all
        if ref == f"{_ORIGIN}HEAD" and symref.startswith(_ORIGIN):
            origin_head = symref.removeprefix(_ORIGIN)
        commits.add(ref)
        if ref.startswith("refs/heads/") and kind == "commit":
            tell(branch_commit, cwd, ref.removeprefix("refs/heads/"), answer=oid)
    if with_origin_head:
        tell(local_branch_tips, cwd, answer=tips)
    return commits, origin_head


def _ref_rows_from_files(cwd: Path | str, wanted: set[str]) -> list[list[str]] | None:
    """What the for-each-ref of _candidate_refs lists (refname, symref, peeled type, type, object
    id; every local branch, and the wanted refs of origin), read from the files backend, the
    types asked of the hook's shared object reader; None when only git can tell."""
    from gatekit.git.borrowing import refs_in_files
    from gatekit.git.location import get_repo_paths
    from gatekit.git.object_reader import object_reader
    from gatekit.git.refs import ref_in_files

    common = get_repo_paths(cwd).common_dir
    listed = refs_in_files(common, ("refs/heads/",))
    if listed is None:
        return None
    symrefs: dict[str, str] = {}
    for ref in sorted(r for r in wanted if r.startswith(_ORIGIN)):
        value = ref_in_files(common, ref)
        if value is None:  # a symbolic ref (origin/HEAD): its target's value, and its name
            target = _symbolic_target(common / ref)
            value = ref_in_files(common, target) if target else None
            if value is None:
                return None
            symrefs[ref] = target
        if value:
            listed[ref] = value
    rows = []
    with object_reader(cwd) as reader:
        for ref, oid in sorted(listed.items()):
            kind = peeled = ""
            if ref in wanted:
                fact = reader.fact(oid)
                if fact is None:
                    return None  # a ref to a missing object: git says what it makes of it
                kind, _, peeled = fact.partition(" ")
                peeled = peeled if kind == "tag" and peeled != "-" else ""
            rows.append([ref, symrefs.get(ref, ""), peeled, kind, oid])
    return rows


def _symbolic_target(path: Path) -> str:
    """The ref a symbolic ref's file names ("" when it is not one)."""
    try:
        content = os.fsdecode(path.read_bytes().rstrip(b"\n"))
    except OSError:
        return ""
    return content[5:] if content.startswith("ref: refs/") else ""


@remember
def local_branch_tips(cwd: Path | str) -> dict[str, str]:
    """Every local branch and the object it names, from one for-each-ref (in a hook,
    default_branch's answers this too)."""
    out = run(cwd, "for-each-ref", "--format=%(refname)%00%(objectname)", "refs/heads/")
    tips = {}
    for line in os.fsdecode(out).splitlines():
        ref, _, oid = line.partition("\0")
        tips[ref.removeprefix("refs/heads/")] = oid
    return tips


def first_parent_trees(cwd: Path | str, rev: str, limit: int) -> list[tuple[str, str]]:
    """(commit, tree) along rev's first-parent history, newest first, at most limit."""
    code, out = run_rc(cwd, "log", "--first-parent", f"--max-count={limit}", "--format=%H %T", rev, "--")
    if code != 0:
        return []
    return [
        (parts[0], parts[1]) for parts in (line.split() for line in text(out).splitlines()) if len(parts) == 2
    ]

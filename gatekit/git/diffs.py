"""What changed between two trees (or a tree and the worktree): paths, hunks, counts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit.errors import CommandError
from gatekit.git.runner import git_env, run, zsplit


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


def worktree_changed_paths(cwd: Path | str, base: str) -> list[str]:
    """Tracked paths whose working-tree content differs from base, plus untracked files."""
    tracked = zsplit(run(cwd, "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, "--"))
    untracked = zsplit(run(cwd, "ls-files", "-z", "--others", "--exclude-standard"))
    return sorted(set(tracked) | set(untracked))


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


def parse_hunk(line: bytes) -> tuple[int, int, int, int]:
    old, new = line[4:].split(b" @@", 1)[0].split(b" +")

    def side(spec: bytes) -> tuple[int, int]:
        start, _, count = spec.partition(b",")
        return int(start), int(count) if count else 1

    return (*side(old), *side(new))


_DIFF_OPTIONS = (
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
)


def diff_hunks(cwd: Path | str, base: str, head: str) -> list[FileDiff]:
    """Every changed path between two tree-ish objects with its zero-context hunks, in one call."""
    out = run(cwd, "diff-tree", *_DIFF_OPTIONS, base, head, "--")
    diffs, end = _parse_diff(out, 0, (base, head))
    if end != len(out):
        raise CommandError(("git", "diff-tree", "-p", base, head), 0, "unexpected patch layout")
    return diffs


def diff_hunks_many(
    cwd: Path | str, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[FileDiff]]:
    """diff_hunks for many (base, head) commit pairs with one `git diff-tree --stdin`.

    Each input line is "HEAD BASE" (a commit and the parent to diff it against); git echoes
    HEAD, NUL-terminated, before each non-empty result, in input order. Patch text never holds
    a NUL (binary files are summarised), so the next echoed id is found by the next NUL.
    """
    wanted = list(dict.fromkeys(pairs))
    result: dict[tuple[str, str], list[FileDiff]] = {pair: [] for pair in wanted}
    if not wanted:
        return result
    payload = "".join(f"{head} {base}\n" for base, head in wanted).encode()
    out = run(cwd, "diff-tree", "--stdin", *_DIFF_OPTIONS, input=payload)
    pending = iter(wanted)
    pos = 0
    while pos < len(out):
        id_end = out.index(b"\0", pos)
        head = out[pos:id_end].decode()
        pair = next((p for p in pending if p[1] == head), None)
        if pair is None:
            raise CommandError(("git", "diff-tree", "--stdin"), 0, f"unexpected result for {head[:12]}")
        result[pair], pos = _parse_diff(out, id_end + 1, pair)
    return result


def _parse_diff(out: bytes, pos: int, pair: tuple[str, str]) -> tuple[list[FileDiff], int]:
    """One result of diff-tree with _DIFF_OPTIONS starting at pos; returns it and where it ends.

    Paths come from the -z raw records (exact bytes); the patch sections follow in the same
    order, one `diff --git` header per raw record, so no quoted header is ever parsed.
    """
    records: list[tuple[str, str, str, str]] = []
    while out[pos : pos + 1] == b":":
        meta_end = out.index(b"\0", pos)
        path_end = out.index(b"\0", meta_end + 1)
        meta = out[pos + 1 : meta_end].decode().split()
        records.append((os.fsdecode(out[meta_end + 1 : path_end]), meta[4][:1], meta[2], meta[3]))
        pos = path_end + 1
    if out[pos : pos + 1] == b"\0":
        pos += 1  # -z puts a NUL between the raw records and the patch
    next_nul = out.find(b"\0", pos)
    # The patch ends where the next result's echoed id begins (the line holding the next NUL).
    end = len(out) if next_nul < 0 else out.rfind(b"\n", pos, next_nul) + 1
    hunks: list[list[tuple[int, int, int, int]]] = []
    for section in out[pos:end].split(b"\ndiff --git "):
        if not section.strip(b"\0\n"):
            continue
        lines = section.split(b"\n")
        hunks.append([parse_hunk(line) for line in lines if line.startswith(_HUNK_PREFIX)])
    if len(hunks) != len(records):  # a git whose output we do not understand: say so plainly
        raise CommandError(("git", "diff-tree", "-p", *pair), 0, "unexpected patch layout")
    return [FileDiff(p, s, o, n, tuple(h)) for (p, s, o, n), h in zip(records, hunks)], end


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


def patch_ids(cwd: Path | str, pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """head -> the stable patch id of base..head, for many (base, head) pairs in two processes.

    Equal ids mean the same change, whatever the commits (a rebased copy, a cherry-pick).
    A pair with an empty diff has no id.
    """
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return {}
    payload = "".join(f"{head} {base}\n" for base, head in wanted).encode()
    patches = run(
        cwd, "diff-tree", "--stdin", "-p", "--no-ext-diff", "--no-textconv", "--no-color", input=payload
    )
    found: dict[str, str] = {}
    for line in run(cwd, "patch-id", "--stable", input=patches).decode().splitlines():
        patch_id, _, head = line.partition(" ")
        found[head] = patch_id
    return found


def renames(cwd: Path | str, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """{(base, head): {old path: new path}} of the files git's rename detection pairs up, for
    many commit pairs with one `git diff-tree --stdin -M`."""
    wanted = list(dict.fromkeys(pairs))
    found: dict[tuple[str, str], dict[str, str]] = {pair: {} for pair in wanted}
    if not wanted:
        return found
    payload = "".join(f"{head} {base}\n" for base, head in wanted).encode()
    out = run(cwd, "diff-tree", "--stdin", "-r", "-M", "--name-status", "-z", "--no-ext-diff", input=payload)
    fields = out.split(b"\0")
    by_head = {head: (base, head) for base, head in wanted}
    current: dict[str, str] | None = None
    index = 0
    while index < len(fields):
        item = fields[index].strip(b"\n")
        if item in (b"", b"\n"):
            index += 1
        elif len(item) in (40, 64) and item.decode(errors="replace") in by_head:
            current = found[by_head[item.decode()]]
            index += 1
        elif item[:1] in (b"R", b"C"):
            if item[:1] == b"R" and current is not None:
                current[os.fsdecode(fields[index + 1])] = os.fsdecode(fields[index + 2])
            index += 3
        else:
            index += 2
    return found


def blob_hunks(cwd: Path | str, old: str, new: str) -> tuple[tuple[int, int, int, int], ...]:
    """The -U0 hunks between two blobs."""
    out = run(cwd, "diff", "-U0", "--no-ext-diff", "--no-textconv", "--no-color", old, new)
    return tuple(parse_hunk(line) for line in out.split(b"\n") if line.startswith(_HUNK_PREFIX))

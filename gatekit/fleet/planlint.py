"""`gatekit plan lint`: task files that dispatch parallel workers must say how they avoid
clobbering.

A task file is Markdown with YAML frontmatter. Tasks sharing a `wave:` value run in parallel;
each must declare a dispatch policy (`commit-as-you-go`, `sequential` or `worktree`) in its
frontmatter or in a "parallelization strategy" section, and siblings sharing a worktree must not
list overlapping `files_modified` (two parallel workers editing one file in one worktree
clobber each other; see docs/fleet.md).
"""

from __future__ import annotations

import fnmatch
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekit.errors import UsageError

POLICIES = ("commit-as-you-go", "sequential", "worktree")
POLICY_KEYS = (
    "dispatch",
    "dispatch_policy",
    "dispatch-policy",
    "policy",
    "parallelization",
    "isolation",
)
ISOLATING = {"worktree", "sequential"}
HIGH = "HIGH"
MEDIUM = "MEDIUM"
_STRATEGY_HEADING = re.compile(r"^#{1,6}\s*parallel(?:i[sz]ation)?[\s_-]*strategy\b.*$", re.I | re.M)
_HEADING = re.compile(r"^#{1,6}\s", re.M)


@dataclass
class Task:
    path: Path
    wave: str | None
    policy: str | None  # None: none declared; otherwise as written (may be invalid)
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Advisory:
    path: str
    severity: str
    message: str


def split_frontmatter(text: str, path: Path) -> tuple[dict[str, Any], str]:
    """(frontmatter mapping, body); a file without frontmatter has an empty mapping."""
    import yaml

    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            raw = "".join(lines[1:index])
            try:
                data = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" line {mark.line + 2}" if mark is not None else ""
                raise UsageError(
                    f"{path}:{where} invalid YAML frontmatter: {getattr(exc, 'problem', exc)}"
                ) from exc
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise UsageError(f"{path}: frontmatter must be a mapping of keys, got {type(data).__name__}")
            return data, "".join(lines[index + 1 :])
    raise UsageError(f"{path}: frontmatter starts with --- but never ends")


def _policy_in_body(body: str) -> str | None:
    match = _STRATEGY_HEADING.search(body)
    if match is None:
        return None
    rest = body[match.end() :]
    following = _HEADING.search(rest)
    section = rest[: following.start()] if following else rest
    lowered = section.lower()
    for policy in POLICIES:
        if policy in lowered or policy.replace("-", " ") in lowered:
            return policy
    return section.strip() or "(empty)"


def load_task(path: Path) -> Task:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from exc
    meta, body = split_frontmatter(text, path)
    wave = meta.get("wave")
    policy = next((meta[k] for k in POLICY_KEYS if meta.get(k) is not None), None)
    if policy is None:
        policy = _policy_in_body(body)
    files = meta.get("files_modified") or []
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list):
        raise UsageError(f"{path}: files_modified must be a list of paths")
    return Task(
        path,
        None if wave is None else str(wave),
        None if policy is None else str(policy).strip().lower(),
        [str(f) for f in files],
    )


def _overlap(a: list[str], b: list[str]) -> list[str]:
    """Paths (or globs) of a that meet one of b."""
    hits = []
    for left in a:
        if any(left == right or fnmatch.fnmatch(left, right) or fnmatch.fnmatch(right, left) for right in b):
            hits.append(left)
    return hits


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; directories become their *.md files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.md"))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return files


def lint(paths: list[Path]) -> list[Advisory]:
    """Advisories for the named task files, judged together with their siblings.

    Siblings are the other task files given and the other Markdown files in the same folders,
    so linting one task still sees the rest of its wave.
    """
    named = expand(paths)
    neighbours = {p.resolve(): p for folder in {p.parent for p in named} for p in sorted(folder.glob("*.md"))}
    for p in named:
        neighbours[p.resolve()] = p
    tasks = {key: _try_load(p, key in {n.resolve() for n in named}) for key, p in neighbours.items()}
    reported = {p.resolve() for p in named}
    waves: dict[str, list[Task]] = {}
    for task in tasks.values():
        if task is not None and task.wave is not None:
            waves.setdefault(task.wave, []).append(task)
    advisories: list[Advisory] = []
    for wave, members in sorted(waves.items()):
        if len(members) < 2:
            continue
        siblings = len(members) - 1
        for task in members:
            if task.path.resolve() not in reported:
                continue
            if task.policy is None:
                advisories.append(
                    Advisory(
                        str(task.path),
                        HIGH,
                        f"wave {wave} has {siblings} sibling task(s) but no dispatch policy "
                        "is declared (frontmatter `dispatch:` or a Parallelization strategy "
                        f"section: {', '.join(POLICIES)})",
                    )
                )
            elif task.policy not in POLICIES:
                advisories.append(
                    Advisory(
                        str(task.path),
                        HIGH,
                        f"unknown dispatch policy {task.policy!r}; use one of {', '.join(POLICIES)}",
                    )
                )
        for a, b in itertools.combinations(members, 2):
            if not ({a.path.resolve(), b.path.resolve()} & reported):
                continue
            if a.policy in ISOLATING and b.policy in ISOLATING:
                continue
            shared = _overlap(a.files, b.files)
            if shared:
                advisories.append(
                    Advisory(
                        str(a.path),
                        HIGH,
                        f"shares a worktree with {b.path} in wave {wave} and both modify "
                        f"{', '.join(shared)}; use `worktree` or `sequential`",
                    )
                )
    return advisories


def _try_load(path: Path, required: bool) -> Task | None:
    try:
        return load_task(path)
    except UsageError:
        if required:
            raise
        return None  # a broken neighbour the user did not name is not their question

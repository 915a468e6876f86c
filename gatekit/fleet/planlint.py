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
    phase: str | None = None  # frontmatter `phase:`; else the task's folder is its phase

    @property
    def group(self) -> tuple[str, str]:
        """Tasks run in parallel only with their own phase's wave."""
        return (self.phase or str(self.path.resolve().parent), self.wave or "")


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


_POLICY_MENTIONS = {
    "commit-as-you-go": re.compile(r"commit[\s_-]*as[\s_-]*you[\s_-]*go", re.I),
    "sequential": re.compile(r"\bsequential(?:ly)?\b|\bone (?:task )?at a time\b", re.I),
    "worktree": re.compile(r"\bworktrees?\b", re.I),
}
# A mention preceded, in its own clause, by one of these is the policy *not* chosen.
_NEGATION = re.compile(
    r"\b(?:not|no|never|without|avoid|instead of|rather than|don't|do not|isn't|is not|nor|neither)\b",
    re.I,
)
_CLAUSE_END = re.compile(r"[.;:,!?()\n]|\bbut\b", re.I)
NEGATION_WINDOW = 4  # words before a mention that can negate it


def _negated(text: str, start: int) -> bool:
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    before = text[clause_start:start].split()[-NEGATION_WINDOW:]
    return bool(_NEGATION.search(" ".join(before)))


def policy_in_text(text: str) -> str | None:
    """The dispatch policy a sentence chooses, reading negations: "not sequential, no worktree
    isolation" chooses none. The first chosen mention wins."""
    chosen = [
        (match.start(), policy)
        for policy, pattern in _POLICY_MENTIONS.items()
        for match in pattern.finditer(text)
        if not _negated(text, match.start())
    ]
    return min(chosen)[1] if chosen else None


def _policy_in_body(body: str) -> str | None:
    match = _STRATEGY_HEADING.search(body)
    if match is None:
        return None
    rest = body[match.end() :]
    following = _HEADING.search(rest)
    section = rest[: following.start()] if following else rest
    return policy_in_text(section)


def load_task(path: Path) -> Task | None:
    """The task a file describes; None for Markdown without frontmatter (notes, a README)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from exc
    meta, body = split_frontmatter(text, path)
    if not meta:
        return None
    wave = meta.get("wave")
    policy = next((meta[k] for k in POLICY_KEYS if meta.get(k) is not None), None)
    if policy is None:
        policy = _policy_in_body(body)
    files = meta.get("files_modified") or []
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list):
        raise UsageError(f"{path}: files_modified must be a list of paths")
    phase = meta.get("phase")
    return Task(
        path,
        None if wave is None else str(wave),
        None if policy is None else str(policy).strip().lower(),
        [str(f) for f in files],
        str(phase) if phase is not None else None,
    )


_WILDCARDS = re.compile(r"[*?\[]")


def _literal_prefix(pattern: str) -> str:
    match = _WILDCARDS.search(pattern)
    return pattern if match is None else pattern[: match.start()]


def _normal(entry: str) -> str:
    entry = entry.strip()
    while entry.startswith("./"):
        entry = entry[2:]
    return entry.rstrip("/")


def _is_folder(entry: str) -> bool:
    """A directory entry: written with a trailing slash, or a last part without an extension."""
    entry = entry.strip()
    return entry.endswith("/") or "." not in entry.rstrip("/").rsplit("/", 1)[-1]


def _meets(left: str, right: str) -> bool:
    """Can two files_modified entries name a common file? Paths, directories (a path is inside
    a directory entry) and globs (either way; two globs when one's literal prefix contains the
    other's)."""
    a, b = _normal(left), _normal(right)
    if a == b or b.startswith(a + "/") or a.startswith(b + "/"):
        return True
    glob_a, glob_b = bool(_WILDCARDS.search(a)), bool(_WILDCARDS.search(b))
    if glob_a != glob_b:
        pattern, path, raw = (a, b, right) if glob_a else (b, a, left)
        if fnmatch.fnmatchcase(path, pattern):
            return True
        folder = path + "/"  # a directory entry holds files the glob may name
        prefix = _literal_prefix(pattern)
        return _is_folder(raw) and (folder.startswith(prefix) or prefix.startswith(folder))
    if glob_a and glob_b:
        pa, pb = _literal_prefix(a), _literal_prefix(b)
        return pa.startswith(pb) or pb.startswith(pa)
    return False


def _overlap(a: list[str], b: list[str]) -> list[str]:
    """Entries of a that meet one of b."""
    return [left for left in a if any(_meets(left, right) for right in b)]


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


@dataclass
class LintResult:
    plan_files: int  # named files that are task files (Markdown with frontmatter)
    advisories: list[Advisory]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def lint(paths: list[Path]) -> LintResult:
    """Advisories for the named task files, judged together with their siblings.

    Siblings are the other task files given and the other Markdown files in the same folders,
    so linting one task still sees the rest of its wave. A named file that cannot be read as a
    task is one finding; its siblings are still linted.
    """
    named = expand(paths)
    reported = {p.resolve() for p in named}
    plan_files = 0  # named task files, broken ones included
    neighbours = {p.resolve(): p for folder in {p.parent for p in named} for p in sorted(folder.glob("*.md"))}
    for p in named:
        neighbours[p.resolve()] = p
    advisories: list[Advisory] = []
    tasks: list[Task] = []
    for key, path in neighbours.items():
        try:
            task = load_task(path)
        except UsageError as exc:
            if key in reported:  # a broken neighbour the user did not name is not their question
                advisories.append(Advisory(str(path), HIGH, exc.message.removeprefix(f"{path}: ")))
                plan_files += 1
            continue
        if task is not None and key in reported:
            plan_files += 1
        if task is not None:
            tasks.append(task)
    waves: dict[tuple[str, str], list[Task]] = {}
    for task in tasks:
        if task.wave is not None:
            waves.setdefault(task.group, []).append(task)
    for (_, wave), members in sorted(waves.items()):
        if len(members) > 1:
            advisories += _wave_advisories(wave, members, reported)
    return LintResult(plan_files, advisories)


def _wave_advisories(wave: str, members: list[Task], reported: set[Path]) -> list[Advisory]:
    found: list[Advisory] = []
    where = f"wave {wave}" + (f" of phase {members[0].phase}" if members[0].phase else "")
    siblings = _plural(len(members) - 1, "sibling task")
    for task in members:
        if task.path.resolve() not in reported:
            continue
        if task.policy is None:
            found.append(
                Advisory(
                    str(task.path),
                    HIGH,
                    f"{where} has {siblings} but no dispatch policy is declared (frontmatter "
                    f"`dispatch:` or a Parallelization strategy section: {', '.join(POLICIES)})",
                )
            )
        elif task.policy not in POLICIES:
            found.append(
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
            found.append(
                Advisory(
                    str(a.path),
                    HIGH,
                    f"shares a worktree with {b.path} in {where} and both modify "
                    f"{', '.join(shared)}; use `worktree` or `sequential`",
                )
            )
    return found

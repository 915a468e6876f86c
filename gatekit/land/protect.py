"""Protected branches: no commit lands on them except through `gatekit land` (docs/land.md).

`gatekit protect` runs as a pre-commit (and pre-merge-commit) hook. It is on the hook hot path,
so it imports nothing beyond gatekit.git and asks git one question.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.errors import Refused

# The documented escape hatch: `GATEKIT_ALLOW_PROTECTED=1 git commit ...`. Its use is printed.
ALLOW_ENV = "GATEKIT_ALLOW_PROTECTED"


def is_protected(branch: str, patterns: Iterable[str]) -> bool:
    """True when the short branch name matches one of the protected glob patterns."""
    # A plain name (the usual `main`) is compared, not compiled into a pattern on every commit.
    return any(
        branch == pattern if not _GLOB_CHARS & set(pattern) else fnmatch.fnmatchcase(branch, pattern)
        for pattern in patterns
    )


_GLOB_CHARS = frozenset("*?[")


def escape_hatch_open(environ: Mapping[str, str] | None = None) -> bool:
    value = (environ if environ is not None else os.environ).get(ALLOW_ENV, "")
    return value.strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class ProtectOutcome:
    branch: str | None
    protected: bool
    bypassed: bool  # protected (or detached), but the escape hatch let the commit through

    def notice(self) -> str | None:
        """The line printed when the escape hatch was used, so its use never goes unseen."""
        if not self.bypassed:
            return None
        where = f"protected branch {self.branch!r}" if self.branch else "detached HEAD"
        return f"gatekit: {ALLOW_ENV} is set: allowing a commit on {where} (bypassing `gatekit land`)"


def check_commit_allowed(
    cwd: Path, patterns: Iterable[str], target: Callable[[], str], merge: bool = False
) -> ProtectOutcome:
    """Refuse a commit (merge: a merge commit) on a protected branch or in detached HEAD, unless
    the hatch is open.

    target is asked only for the refusal message: finding the default branch costs git calls
    that the commit hook's usual path (an unprotected branch) should not pay.
    """
    patterns = tuple(patterns)
    branch = git.current_branch(cwd)
    if branch is None:
        if escape_hatch_open():
            return ProtectOutcome(None, True, True)
        raise Refused(
            "refusing to commit in detached HEAD: the commit would belong to no branch.\n"
            "  Create a branch first (`git switch -c NAME`), commit there, then land it with "
            f"`gatekit land NAME --onto {target()}`.\n"
            f"  To commit anyway: {ALLOW_ENV}=1 git commit ..."
        )
    if not is_protected(branch, patterns):
        return ProtectOutcome(branch, False, False)
    if escape_hatch_open():
        return ProtectOutcome(branch, True, True)
    action = "merge into" if merge else "commit directly on"
    raise Refused(
        f"refusing to {action} protected branch {branch!r} "
        f"(protected = {list(patterns)}).\n"
        f"  The way in is the merge queue: `git switch -c my-change`, commit there, then "
        f"`gatekit land my-change --onto {branch}`.\n"
        f"  To commit anyway (the bypass is reported): {ALLOW_ENV}=1 git commit ..."
    )

"""What is lost: the commits no ref reaches, each classified once for `doctor` and `rescue`.

- `lost`: the user's work that only `git gc`'s grace period still keeps (no ref, no reflog).
- `reflog`: no ref reaches it but a reflog does (a reset, an amended commit): safe for now;
  `rescue` lists it, `doctor` does not call it lost.
- `fetched`: committed by someone else and dropped (a fetched `refs/pull/*`, upstream history
  rewritten by a force push): not the user's work.
- `gatekit`: gatekit's own throwaway commits (overlap's state commits, the check's staged and
  merge subjects, replay bases, pruned snapshots) and the merge/squash commits `land` built and
  verified (land's message, and a verdict note on the tree) but did not land.

Everything is read with a fixed number of git calls, whatever the number of commits.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gatekit import git
from gatekit.state_dirs import NOTES_REF

KINDS = ("lost", "reflog", "fetched", "gatekit")
# Subjects gatekit itself writes on commits nobody is meant to keep. Matched whole, so the
# user's own "gatekit: fix the docs" stays the user's.
_GATEKIT_SUBJECT = re.compile(
    r"gatekit: (?:fleet state|staged changes|replay (?:base|ours|theirs)|merge \S+ into \S+)"
    r"|gatekit snapshot: .*"
)
# The messages `land` gives the commits it builds (gatekit.land.integrate).
_INTEGRATION_SUBJECT = re.compile(r"(?:Merge branch(?:es)? .+|Squashed branch '.+') into \S+")


@dataclass(frozen=True)
class LostCommit:
    commit: str
    subject: str
    time: int
    committer: str
    kind: str  # one of KINDS


def is_gatekit_subject(subject: str) -> bool:
    return _GATEKIT_SUBJECT.fullmatch(subject) is not None


def lost_commits(cwd: Path | str) -> list[LostCommit]:
    """Every commit tip no ref reaches, classified, newest first."""
    tips = git.unreachable_commit_tips(cwd)
    if not tips:
        return []
    in_reflog = git.reflog_only_commits(cwd)
    headers = git.commit_headers(cwd, tips)
    mine = git.committer_email(cwd)
    verified = git.noted_objects(cwd, NOTES_REF)
    found = []
    for oid in tips:
        header = headers.get(oid)
        if header is None:
            continue
        found.append(
            LostCommit(
                oid,
                header.subject,
                header.committer_time,
                header.committer_email,
                _kind(header, in_reflog, mine, verified),
            )
        )
    return sorted(found, key=lambda c: (-c.time, c.commit))


def _kind(header: git.CommitHeader, in_reflog: set[str], mine: str | None, verified: set[str]) -> str:
    if header.oid in in_reflog:
        return "reflog"
    integration = header.tree in verified and _INTEGRATION_SUBJECT.fullmatch(header.subject)
    if is_gatekit_subject(header.subject) or integration:
        return "gatekit"
    if mine is not None and header.committer_email.lower() != mine.lower():
        return "fetched"
    return "lost"


def counts(commits: list[LostCommit]) -> dict[str, int]:
    tally = Counter(c.kind for c in commits)
    return {kind: tally.get(kind, 0) for kind in KINDS}

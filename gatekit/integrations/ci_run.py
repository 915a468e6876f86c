"""`gatekit ci`: pick the subject a CI pipeline must verify, make sure git has it, run check.

One place knows GitLab's and GitHub's variables, so the templates stay a one-line call:

- a GitLab merge request pipeline (detached, merged results or merge train) and a GitHub
  pull_request verify the merge of HEAD into the target branch. On a merged-results or
  refs/pull/N/merge checkout HEAD already is that merge, and merging the target into it again is
  a no-op, so one rule fits all of them;
- a GitHub merge_group (merge queue) commit already is the merge result: HEAD as it is;
- anything else (the default branch, a tag, a manual run): HEAD as it is.

It may fetch the target branch and unshallow a shallow clone: refs/remotes/origin/* in a CI
clone are the pipeline's own, and a merge needs the merge base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gatekit import git


@dataclass(frozen=True)
class CiSubject:
    """What the pipeline verifies: the platform, the event, and the check arguments."""

    platform: str  # gitlab | github | local
    event: str
    target: str | None  # the branch HEAD is merged into, when there is one

    def check_args(self) -> list[str]:
        args = ["--rev", "HEAD"]
        if self.target:
            args += ["--merge-into", self.target]
        return args + ["--stage", "ci"]


def detect_subject(env: Mapping[str, str]) -> CiSubject:
    """The subject for the CI run described by env (GitLab, GitHub, or neither)."""
    if env.get("GITLAB_CI") == "true" or env.get("CI_PIPELINE_SOURCE"):
        source = env.get("CI_PIPELINE_SOURCE", "")
        if source == "merge_request_event":
            event = env.get("CI_MERGE_REQUEST_EVENT_TYPE") or "detached"
            return CiSubject("gitlab", event, env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or None)
        return CiSubject("gitlab", source or "push", None)
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_EVENT_NAME"):
        event = env.get("GITHUB_EVENT_NAME", "")
        if event in ("pull_request", "pull_request_target"):
            return CiSubject("github", event, env.get("GITHUB_BASE_REF") or None)
        return CiSubject("github", event or "push", None)
    return CiSubject("local", "manual", None)


def prepare_history(root: Path, subject: CiSubject) -> list[str]:
    """Fetch what the merge needs (the target, full history); returns notes for the log."""
    notes: list[str] = []
    if subject.target is None:
        return notes
    if git.is_shallow(root):
        notes.append(
            "unshallowed the clone (set GIT_DEPTH: 0 / fetch-depth: 0 to skip this)"
            if git.fetch(root, "origin", unshallow=True)
            else "the clone is shallow and `git fetch --unshallow` failed: a merge base may be missing"
        )
    if not has_target(root, subject.target):
        refspec = f"+refs/heads/{subject.target}:refs/remotes/origin/{subject.target}"
        notes.append(
            f"fetched {subject.target} from origin"
            if git.fetch(root, "origin", refspec)
            else f"could not fetch {subject.target} from origin; the merge check will name what is missing"
        )
    return notes


def has_target(root: Path, target: str) -> bool:
    return any(
        git.rev_parse(root, f"{ref}^{{commit}}") is not None
        for ref in (f"refs/remotes/origin/{target}", f"refs/heads/{target}")
    )


def check_argv(
    subject: CiSubject, junit: Path | None, codequality: Path | None, extra: Sequence[str]
) -> list[str]:
    """The full `gatekit check` argument list for this run."""
    argv = ["check", *subject.check_args()]
    if junit is not None:
        argv += ["--junit", str(junit)]
    if codequality is not None:
        argv += ["--codequality", str(codequality)]
    return argv + list(extra)

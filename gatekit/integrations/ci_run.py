"""`gatekit ci`: pick the subject a CI pipeline must verify, make sure git has it, run check.

One place knows GitLab's and GitHub's variables, so the templates stay a one-line call:

- a GitLab merge request pipeline (detached, merged results or merge train) and a GitHub
  pull_request verify the merge of HEAD into the target branch *of the target project*, with the
  merge result's own gate list. On a merged-results, merge-train or refs/pull/N/merge checkout
  HEAD already is that merge, and merging the target into it again changes nothing;
- a fork's merge request pipeline that runs in the fork fetches the target branch from the
  target project (CI_MERGE_REQUEST_PROJECT_URL): the fork's own main is not what it merges into;
- a GitHub merge_group (merge queue) commit already is the merge result: HEAD as it is;
- pull_request_target is refused: it runs with a write token and secrets, and the gates are the
  pull request's code;
- anything else (the default branch, a tag, a manual run): HEAD as it is, the whole workspace.

The target is always named by its full ref (refs/remotes/origin/<target>, the local branch only
when the clone has no remote-tracking one), so a tag or a stale local branch named like the
target never stands in for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.errors import UsageError

ALLOW_PULL_REQUEST_TARGET = "GATEKIT_ALLOW_PULL_REQUEST_TARGET"
FORK_TARGET_REFS = "refs/gatekit/ci/target/"
MERGED_EVENTS = ("merged_result", "merge_train")

PULL_REQUEST_TARGET_REFUSAL = (
    "refusing to run on pull_request_target: that event runs with a write token and the "
    "repository's secrets, and gatekit's gates are the pull request's own code, so the pull "
    "request would get both (and the checkout is the base branch, so the pull request itself is "
    f"never verified). Trigger gatekit on pull_request instead, or set {ALLOW_PULL_REQUEST_TARGET}=true "
    "if this job checks out nothing from the pull request and holds no secrets."
)


@dataclass(frozen=True)
class CiSubject:
    """What the pipeline verifies: the platform, the event, and the branch it merges into."""

    platform: str  # gitlab | github | local
    event: str
    target: str | None = None  # the branch HEAD is merged into, when there is one
    target_url: str | None = None  # the target project, when it is not origin (a fork's MR)
    merged: bool = False  # HEAD already is the merge result (merged results, merge train)
    target_sha: str | None = None  # the target commit the platform merged HEAD onto, if it says


@dataclass(frozen=True)
class CiPlan:
    """The subject with its target resolved to a full ref, and what was done to get there."""

    subject: CiSubject
    target_ref: str | None
    notes: list[str] = field(default_factory=list)


def detect_subject(env: Mapping[str, str]) -> CiSubject:
    """The subject for the CI run described by env (GitLab, GitHub, or neither)."""
    if env.get("GITLAB_CI") == "true" or env.get("CI_PIPELINE_SOURCE"):
        return _gitlab_subject(env)
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_EVENT_NAME"):
        return _github_subject(env)
    return CiSubject("local", "manual")


def _gitlab_subject(env: Mapping[str, str]) -> CiSubject:
    source = env.get("CI_PIPELINE_SOURCE", "")
    if source != "merge_request_event":
        return CiSubject("gitlab", source or "push")
    event = env.get("CI_MERGE_REQUEST_EVENT_TYPE") or "detached"
    target_project = (env.get("CI_MERGE_REQUEST_PROJECT_URL") or "").rstrip("/")
    this_project = (env.get("CI_PROJECT_URL") or "").rstrip("/")
    is_fork_pipeline = bool(target_project) and target_project != this_project
    return CiSubject(
        "gitlab",
        event,
        env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or None,
        target_url=target_project if is_fork_pipeline else None,
        merged=event in MERGED_EVENTS,
        target_sha=env.get("CI_MERGE_REQUEST_TARGET_BRANCH_SHA") or None,
    )


def _github_subject(env: Mapping[str, str]) -> CiSubject:
    event = env.get("GITHUB_EVENT_NAME", "")
    if event == "pull_request_target" and env.get(ALLOW_PULL_REQUEST_TARGET, "").lower() not in (
        "1",
        "true",
        "yes",
    ):
        raise UsageError(PULL_REQUEST_TARGET_REFUSAL)
    if event in ("pull_request", "pull_request_target"):
        return CiSubject("github", event, env.get("GITHUB_BASE_REF") or None)
    return CiSubject("github", event or "push")


def resolve_target(root: Path, subject: CiSubject, *, fetch: bool) -> CiPlan:
    """Make the target branch present (fetching it when allowed) and name it by its full ref."""
    notes: list[str] = []
    if subject.target is None:
        return CiPlan(subject, None, notes)
    if fetch and git.is_shallow(root):
        ok, _ = git.fetch(root, "origin", unshallow=True)
        notes.append(
            "unshallowed the clone (set GIT_DEPTH: 0 / fetch-depth: 0 to skip this)"
            if ok
            else "the clone is shallow and `git fetch --unshallow` failed: a merge base may be missing"
        )
    if subject.target_url:
        return CiPlan(subject, _fetch_fork_target(root, subject, notes, fetch=fetch), notes)
    remote_ref = f"refs/remotes/origin/{subject.target}"
    if fetch and git.has_remote(root, "origin"):
        ok, error = git.fetch(root, "origin", f"+refs/heads/{subject.target}:{remote_ref}")
        notes.append(
            f"fetched {subject.target} from origin"
            if ok
            else f"could not fetch {subject.target} from origin ({error}); using the clone's own copy"
        )
    if _is_commit(root, remote_ref):
        return CiPlan(subject, remote_ref, notes)
    local_ref = f"refs/heads/{subject.target}"
    if _is_commit(root, local_ref):
        notes.append(f"no {remote_ref} in this clone: merging into the local branch {local_ref}")
        return CiPlan(subject, local_ref, notes)
    raise UsageError(
        f"the target branch {subject.target!r} is in neither {remote_ref} nor {local_ref}; "
        f"fetch it first (git fetch origin {subject.target}:{remote_ref})"
    )


def _fetch_fork_target(root: Path, subject: CiSubject, notes: list[str], *, fetch: bool) -> str:
    """The target branch of the target project, for a fork's pipeline that runs in the fork."""
    assert subject.target is not None and subject.target_url is not None
    ref = FORK_TARGET_REFS + subject.target
    if fetch:
        ok, error = git.fetch(root, subject.target_url, f"+refs/heads/{subject.target}:{ref}")
        if ok:
            notes.append(f"fetched {subject.target} from the target project {subject.target_url}")
            return ref
    else:
        error = "--no-fetch"
    if _is_commit(root, ref):
        notes.append(f"could not fetch the target project's {subject.target}; using {ref} as it is")
        return ref
    raise UsageError(
        f"this merge request comes from a fork, and the target project's {subject.target} could not "
        f"be fetched from {subject.target_url} ({error}); the fork's own {subject.target} is not what "
        "it merges into, so nothing was verified. Run fork pipelines in the parent project, or make "
        "the target project readable to this job."
    )


def _is_commit(root: Path, ref: str) -> bool:
    return git.rev_parse(root, f"{ref}^{{commit}}") is not None


def check_argv(
    plan: CiPlan,
    junit: Path | None,
    codequality: Path | None,
    extra: Sequence[str],
    *,
    explicit_config: bool = False,
) -> list[str]:
    """The full `gatekit check` argument list for this run; extra arguments come last and win."""
    subject = plan.subject
    argv = ["check", "--rev", "HEAD"]
    if plan.target_ref is not None:
        argv += ["--merge-into", plan.target_ref]
        if not explicit_config:  # the gate list is the merge result's, not the MR branch's
            argv.append("--subject-config")
    argv += ["--stage", "ci"]
    if junit is not None:
        argv += ["--junit", str(junit)]
    if codequality is not None:
        argv += ["--codequality", str(codequality)]
    extra = list(extra)
    if "--affected" in extra and not any(a == "--base" or a.startswith("--base=") for a in extra):
        base = plan.target_ref or (subject.target_sha if subject.merged else None)
        if base is None:
            # Affected mode compares with a base; a push to the default branch has none that
            # means anything (main against itself changes nothing), so everything is checked.
            extra = [a for a in extra if a != "--affected"]
            plan.notes.append("no merge request base in this pipeline: checking the whole workspace")
        else:
            extra += ["--base", base]
    return argv + extra


def parse_arg_list(text: str) -> list[str]:
    """Arguments given as a list: a JSON array (or {"args": [...]}, what the GitLab template
    passes from its `args` array input) or one argument per line (a GitHub multiline input)."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped[0] in "[{":
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            raise UsageError(f"--args: not a JSON list of strings: {exc}") from exc
        if isinstance(value, dict):
            value = value.get("args")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise UsageError('--args: expected a JSON list of strings, or {"args": [...]}')
        return value
    return [line.strip() for line in stripped.splitlines() if line.strip()]

"""`gatekit verify-push`: verify what is about to be pushed to a protected branch (docs/land.md).

Input comes from git's pre-push hook (stdin lines `<local ref> <local sha> <remote ref>
<remote sha>`) or from the pre-commit framework, which consumes stdin itself and exports
PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF / PRE_COMMIT_REMOTE_BRANCH instead.

Deletions (local sha all zeros), tags and unprotected branches pass without a build. Every other
update is verified on the commit that the remote branch will point at, with the verdict cache:
a tree `gatekit land` just verified costs nothing to push.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gatekit import git
from gatekit.app import App
from gatekit.check.gates import GateStatus
from gatekit.config import Config
from gatekit.errors import UsageError
from gatekit.git.pushes import PushUpdate, parse_pre_push
from gatekit.land.protect import is_protected


def from_pre_commit_env(environ: Mapping[str, str]) -> list[PushUpdate] | None:
    """The update pre-commit describes in its environment, or None when not run by pre-commit."""
    to_ref = environ.get("PRE_COMMIT_TO_REF")
    if not to_ref:
        return None
    remote_branch = environ.get("PRE_COMMIT_REMOTE_BRANCH") or ""
    local_branch = environ.get("PRE_COMMIT_LOCAL_BRANCH") or to_ref
    from_ref = environ.get("PRE_COMMIT_FROM_REF") or git.NULL_OID
    return [PushUpdate(local_branch, to_ref, remote_branch, from_ref)]


@dataclass(frozen=True)
class PushDecision:
    update: PushUpdate
    verdict: GateStatus  # passed | failed | skipped
    reason: str
    failure: str = ""


@dataclass
class PushReport:
    decisions: list[PushDecision] = field(default_factory=list)
    gate_runs: int = 0

    @property
    def ok(self) -> bool:
        return all(d.verdict != GateStatus.FAILED for d in self.decisions)


def read_updates(stdin_text: str | None, environ: Mapping[str, str] | None = None) -> list[PushUpdate]:
    """pre-commit's environment wins (it swallowed stdin); otherwise git's stdin lines."""
    from_env = from_pre_commit_env(environ if environ is not None else os.environ)
    if from_env is not None:
        return from_env
    return parse_pre_push(stdin_text or "")


def verify_push(
    app: App,
    updates: Iterable[PushUpdate],
    notify: Callable[[str], None],
    *,
    use_cache: bool = True,
    each_commit: bool = False,
    remote: str | None = None,
) -> PushReport:
    """Verify each update to a protected branch; block (failed) when a gate fails.

    By default the commit the remote branch will point at is verified. each_commit verifies
    every first-parent commit the remote does not have yet, oldest first, so that
    `git bisect --first-parent` on the remote never meets a broken commit.
    """
    from gatekit.land.verify import Verifier, failure_summary

    root = app.repo.toplevel
    verifier = Verifier(app, "pre-push", notify, use_cache=use_cache, fail_fast=False)
    report = PushReport()
    for update in updates:
        commit = None if update.deletion else git.rev_parse(root, f"{update.local_sha}^{{commit}}")
        if commit is None and not update.deletion:
            raise UsageError(f"{update.local_sha} ({update.local_ref}) is not a commit in this repository")
        config = _target_config(root, update, commit, remote) if update.branch and commit else app.config
        skip = _skip_reason(update, config.protected)
        if skip is not None:
            report.decisions.append(PushDecision(update, GateStatus.SKIPPED, skip))
            continue
        assert commit is not None
        commits = _commits_to_verify(root, commit, update, remote, notify) if each_commit else [commit]
        decision = PushDecision(update, GateStatus.PASSED, "verdicts cached, nothing rebuilt")
        for each in commits:
            outcome = verifier.verify(
                each, f"{update.local_ref} ({each[:12]}) for {update.remote_ref}", config
            )
            if not outcome.passed:
                where = f"commit {each[:12]}: " if each != commit else ""
                decision = PushDecision(
                    update, GateStatus.FAILED, "a gate failed", where + failure_summary(outcome)
                )
                break
            if not all(r.cached for r in outcome.results):
                decision = PushDecision(
                    update, GateStatus.PASSED, f"gates passed on {len(commits)} commit(s)"
                )
        report.decisions.append(decision)
    report.gate_runs = verifier.gate_runs
    return report


def _target_config(root: Path, update: PushUpdate, commit: str, remote: str | None) -> Config:
    """The configuration committed on the branch being pushed to, as the remote has it now.

    The remote's commit when this repository has it, else the remote-tracking branch; a new
    branch (nothing to read) is judged by the pushed commit's own committed configuration.
    Never the working tree's: an uncommitted edit of a gate does not decide a push.
    """
    from gatekit.check.committed_config import committed_config

    branch = update.branch or ""
    candidates = [] if set(update.remote_sha) <= {"0"} else [update.remote_sha]
    if remote and not remote.startswith("-"):
        candidates.append(f"refs/remotes/{remote}/{branch}")
    for candidate in candidates:
        target = git.rev_parse(root, f"{candidate}^{{commit}}")
        if target is not None:
            return committed_config(root, target, branch)
    return committed_config(root, commit, f"{update.local_ref}, a new {branch}")


def _commits_to_verify(
    root: Path, tip: str, update: PushUpdate, remote: str | None, notify: Callable[[str], None]
) -> list[str]:
    """First-parent commits of tip that the remote lacks (known from its sha or tracking refs)."""
    exclude: list[str] = []
    if not set(update.remote_sha) <= {"0"} and git.rev_parse(root, f"{update.remote_sha}^{{commit}}"):
        exclude = [update.remote_sha]
    elif remote:
        exclude = [row[1] for row in git.for_each_ref(root, f"refs/remotes/{remote}/")]
    if not exclude:
        notify(
            f"nothing tells which commits of {update.local_ref} {update.remote_ref} lacks; verifying the tip only"
        )
        return [tip]
    return git.new_commits(root, tip, exclude) or [tip]


def _skip_reason(update: PushUpdate, patterns: tuple[str, ...]) -> str | None:
    if update.deletion:
        return "deletion"
    branch = update.branch
    if branch is None:
        kind = "tag" if update.remote_ref.startswith("refs/tags/") else "not a branch"
        return kind
    if not is_protected(branch, patterns):
        return "unprotected branch"
    return None

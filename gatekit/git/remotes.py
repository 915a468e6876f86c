"""Remotes: fetching what a CI clone lacks (the target branch, the history a merge needs)."""

from __future__ import annotations

from pathlib import Path

from gatekit.git.runner import git_env, run_rc, text
from gatekit.proc import run_captured


def has_remote(cwd: Path | str, name: str) -> bool:
    code, _ = run_rc(cwd, "config", "--get", f"remote.{name}.url")
    return code == 0


def is_shallow(cwd: Path | str) -> bool:
    code, out = run_rc(cwd, "rev-parse", "--is-shallow-repository")
    return code == 0 and text(out) == "true"


def fetch(cwd: Path | str, source: str, *refspecs: str, unshallow: bool = False) -> tuple[bool, str]:
    """`git fetch source refspecs` without tags; (succeeded, git's last stderr line)."""
    argv = ["git", "fetch", "--quiet", "--no-tags"]
    if unshallow:
        argv.append("--unshallow")
    # `--` is not accepted before a repository by fetch; a source is a remote name or a URL,
    # and one that starts with "-" is refused here rather than read as an option.
    if source.startswith("-"):
        return False, f"not a remote or URL: {source!r}"
    result = run_captured([*argv, source, *refspecs], cwd, env=git_env(), check=False)
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return result.returncode == 0, lines[-1] if lines else ""

"""The repository's settings and its remote: config values, fetches, shallow clones."""

from __future__ import annotations

import os
from pathlib import Path

from gatekit.git.runner import git_env, run_rc, text
from gatekit.system.processes import run_captured


def config_value(cwd: Path | str, key: str, *, path: bool = False) -> str | None:
    """The value of a git config key (with `--path` expansion when path is set); None when unset."""
    args = ["config", "--path", "--get", key] if path else ["config", "--get", key]
    code, out = run_rc(cwd, *args)
    value = out.strip()
    return os.fsdecode(value) if code == 0 and value else None


def is_shallow(cwd: Path | str) -> bool:
    code, out = run_rc(cwd, "rev-parse", "--is-shallow-repository")
    return code == 0 and text(out) == "true"


def has_remote(cwd: Path | str, name: str) -> bool:
    return config_value(cwd, f"remote.{name}.url") is not None


def fetch(cwd: Path | str, source: str, *refspecs: str, unshallow: bool = False) -> tuple[bool, str]:
    """Fetch refspecs (or the remote's defaults) quietly, without tags, from a remote name or a
    URL; (succeeded, git's last stderr line, to say why not)."""
    if source.startswith("-"):  # fetch takes no `--` before its repository argument
        return False, f"not a remote or URL: {source!r}"
    extra = ["--unshallow"] if unshallow else []
    argv = ["git", "fetch", "--quiet", "--no-tags", *extra, source, *refspecs]
    result = run_captured(argv, cwd, env=git_env(cwd=cwd), check=False)
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return result.returncode == 0, lines[-1] if lines else ""

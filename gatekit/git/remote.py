"""The repository's settings and its remote: config values, fetches, shallow clones."""

from __future__ import annotations

import os
from pathlib import Path

from gatekit.git.runner import run_rc, text


def config_value(cwd: Path | str, key: str, *, path: bool = False) -> str | None:
    """The value of a git config key (with `--path` expansion when path is set); None when unset."""
    args = ["config", "--path", "--get", key] if path else ["config", "--get", key]
    code, out = run_rc(cwd, *args)
    value = out.strip()
    return os.fsdecode(value) if code == 0 and value else None


def is_shallow(cwd: Path | str) -> bool:
    code, out = run_rc(cwd, "rev-parse", "--is-shallow-repository")
    return code == 0 and text(out) == "true"


def fetch(cwd: Path | str, remote: str, *refspecs: str, unshallow: bool = False) -> bool:
    """Fetch refspecs (or the remote's defaults) quietly, without tags; True when it worked."""
    extra = ["--unshallow"] if unshallow else []
    code, _ = run_rc(cwd, "fetch", "--quiet", "--no-tags", *extra, remote, *refspecs)
    return code == 0

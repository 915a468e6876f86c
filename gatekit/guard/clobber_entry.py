"""The click-free fast path for `gatekit clobber ...`, the command a commit hook runs.

Importing click and the config loader costs more than the rest of the check (`import click`
alone adds about 33 ms to a ~100 ms floor, and this runs on every commit). This parser
takes only the plain spellings of `clobber`'s own options; anything else (global options, --help,
an invalid value) returns None and the click CLI answers, with its usual messages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekit.git import GuardPaths, PendingStatus

from gatekit.guard.evidence import DEFAULT_SEVERITY, SEVERITIES

_VALUES = {
    "--session": None,
    "--since": None,
    "--severity": SEVERITIES,
    "--format": ("text", "json"),
}


def parse(argv: list[str]) -> dict[str, str | bool] | None:
    """Options of `clobber ARGS`, or None when only the full CLI can read them."""
    if not argv or argv[0] != "clobber":
        return None
    options: dict[str, str | bool] = {"--staged": False, "--format": "text"}
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--staged":
            options["--staged"] = True
            i += 1
            continue
        name, eq, value = arg.partition("=")
        if name not in _VALUES:
            return None
        if not eq:
            if i + 1 >= len(rest):
                return None
            value = rest[i + 1]
            i += 1
        choices = _VALUES[name]
        if choices is not None and value not in choices:
            return None
        options[name] = value
        i += 1
    return options


def has_config(root: Path) -> bool:
    """True when a gatekit config can exist at root (checked without loading the config module)."""
    if any((root / name).is_file() for name in ("gatekit.toml", ".gatekit.toml")):
        return True
    try:
        # A pyproject.toml without the word "gatekit" cannot hold [tool.gatekit].
        return b"gatekit" in (root / "pyproject.toml").read_bytes()
    except OSError:
        return False


def severity_threshold(root: Path) -> str:
    """[guard] severity, loading the config module only when a config can exist."""
    if not has_config(root):
        return DEFAULT_SEVERITY
    from gatekit.config import load_config

    return load_config(root).guard.severity


def run(
    options: dict[str, str | bool],
    cwd: Path,
    paths: GuardPaths | None = None,
    status: PendingStatus | None = None,
) -> int:
    """The clobber report for options; paths and status when the caller (the hook) has them."""
    from gatekit import git

    # git walks the worktree while this process asks its other questions and imports the rest.
    pending = status or git.PendingStatus(cwd)
    try:
        from gatekit.guard.render import emit_report
        from gatekit.guard.signals import inspect

        paths = paths or git.guard_paths(cwd)
        severity = options.get("--severity")
        threshold = str(severity) if severity else severity_threshold(paths.repo.toplevel)
        session = options.get("--session")
        since = options.get("--since")
        report = inspect(
            cwd,
            str(session) if session is not None else None,
            str(since) if since is not None else None,
            bool(options["--staged"]),
            paths,
            pending,
        )
    finally:
        pending.close()
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    return emit_report(report, threshold, str(options["--format"]), color, _out, _err)


def fast_main(argv: list[str]) -> None:
    """Answer `gatekit clobber ...` and exit, or return to let the click CLI answer."""
    options = parse(argv)
    if options is None:
        return
    from gatekit.exits import exit_code_of
    from gatekit.git.location import pin_user_location

    cwd = Path.cwd()
    pin_user_location(cwd)  # the user's GIT_DIR / GIT_WORK_TREE, or the ones git gives its hooks
    sys.exit(exit_code_of(lambda: run(options, cwd), _err))


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _err(line: str) -> None:
    sys.stderr.write(line + "\n")

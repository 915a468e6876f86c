"""The real CI clients (pre-commit, gitlab-ci-local, act, actionlint, ...) for integration tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

INSTALL_HINT = "install the CI clients with `bash .ci/install-clients.sh`"
CLIENTS_PREFIX = Path(os.environ.get("GATEKIT_CLIENTS", str(Path.home() / ".cache" / "gatekit-clients")))


def find_client(name: str) -> str | None:
    """A CI client on PATH, next to this Python, or where install-clients.sh puts it."""
    for candidate in (
        shutil.which(name),
        shutil.which(name, path=str(Path(sys.executable).parent)),
        shutil.which(name, path=str(CLIENTS_PREFIX / "node_modules" / ".bin")),
        # Python tools install-clients.sh keeps in venvs of their own (poetry, hatch, pdm).
        shutil.which(name, path=str(CLIENTS_PREFIX / "pytools" / name / "bin")),
    ):
        if candidate:
            return candidate
    return None


def require_client(name: str) -> str:
    path = find_client(name)
    if path is None:
        pytest.skip(f"{name} is not installed: {INSTALL_HINT}")
    return path


def run(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a client and return its result with text output (never raises on a non-zero exit)."""
    result = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode("utf-8", "replace"), ""
    )


def with_checkout(env: dict[str, str]) -> dict[str, str]:
    """env in which `python -m gatekit` (as the installed hooks run it) imports this checkout."""
    from testing.repo import REPO_ROOT

    return {
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")])),
    }

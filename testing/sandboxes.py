"""Where gatekit put a test repository's sandboxes (under the test's own XDG_CACHE_HOME)."""

from __future__ import annotations

from pathlib import Path

from gatekit.state_dirs import sandboxes_dir
from testing.repo import Repo


def sandbox_pool(repo: Repo) -> Path:
    """The directory holding repo's sandbox slots (slot-N, slot-N.lock, slot-N.gate)."""
    common = Path(repo.git("rev-parse", "--path-format=absolute", "--git-common-dir").strip())
    root = Path(repo.env["XDG_CACHE_HOME"]) / "gatekit" / "sandboxes"
    return root / sandboxes_dir(common).name

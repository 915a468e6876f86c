"""A git environment sealed off from the user's setup (git-revise's fixture, as a function)."""

from __future__ import annotations

import os
from pathlib import Path

FIXED_DATE = "1700000000 +0000"


def hermetic_env(home: Path) -> dict[str, str]:
    """Environment for tests: tmp HOME, no system config, fixed identity and dates, no editor."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GATEKIT_", "PRE_COMMIT"))}
    env.pop("NO_COLOR", None)
    env.pop("COLUMNS", None)  # the test's own terminal width is not the output's
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITLAB_CI", None)
    env.pop("CI", None)
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": os.environ.get("GATEKIT_TEST_CACHE", str(home / ".cache")),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Author",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Cy Committer",
            "GIT_COMMITTER_EMAIL": "cy@example.com",
            "GIT_AUTHOR_DATE": FIXED_DATE,
            "GIT_COMMITTER_DATE": FIXED_DATE,
            "GIT_EDITOR": "false",
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C.UTF-8",
            # Hooks and commands run in process; tests/resident/ start their own servers.
            # GATEKIT_TEST_RESIDENT=1 runs the suite's hooks through one shared server instead.
            "GATEKIT_RESIDENT": os.environ.get("GATEKIT_TEST_RESIDENT", "0"),
        }
    )
    if env["GATEKIT_RESIDENT"] == "1":
        env["GATEKIT_RESIDENT_DIR"] = os.environ["GATEKIT_TEST_RESIDENT_DIR"]
    # Cargo keeps its registry cache under CARGO_HOME; the real one stays usable offline.
    env.setdefault("CARGO_HOME", os.environ.get("CARGO_HOME", str(Path.home() / ".cargo")))
    env.setdefault("RUSTUP_HOME", os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")))
    (home / ".gitconfig").write_text(
        '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n[protocol "file"]\n\tallow = always\n'
    )
    return env

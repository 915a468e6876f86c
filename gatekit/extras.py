"""Optional parts of gatekit and the extra that installs each.

The core install is click, junit-xml and tomli: what every hook needs. A feature that needs more
asks here, so a missing extra is one sentence naming the extra to install (exit 2), never an
ImportError traceback.
"""

from __future__ import annotations

import importlib.util

from gatekit.errors import UsageError

DISTRIBUTION = "git-gatekit"
# extra -> the import names it provides (the first one is the feature's own library)
EXTRAS = {
    "overlap": ("tree_sitter",),
    "watch": ("watchdog",),
}


def has(extra: str) -> bool:
    """Whether the modules of extra can be imported (without importing them)."""
    return all(importlib.util.find_spec(module) is not None for module in EXTRAS[extra])


def install_hint(extra: str) -> str:
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require(extra: str, feature: str) -> None:
    """Raise a usage error (exit 2) naming the extra when its modules are missing."""
    if not has(extra):
        raise UsageError(
            f"{feature} needs the `{extra}` extra, which is not installed: {install_hint(extra)}"
        )

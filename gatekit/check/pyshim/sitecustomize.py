"""gatekit's Python shim for gates run in a sandbox (this directory leads their PYTHONPATH).

An editable install (pip -e, uv, poetry, hatch, PDM; a `.pth` path entry or an import finder)
points the interpreter at the user's worktree, so a gate would import the worktree's code instead
of the subject's. At startup, after site-packages and their `.pth` files are processed, this
module moves every such pointer to the same place in the sandbox: sys.path entries, and the
mappings of setuptools' and `editables`' finders. The environment's own files stay where they
are (a `.venv` inside the worktree is the project's environment, not its sources). Then it gets
out of the way: its directory leaves sys.path and the environment's own sitecustomize, if any,
runs as usual.

Runs in whatever interpreter the gate starts, so it sticks to the standard library
and to syntax Python 3.7 reads.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _mover(spec: dict[str, Any]) -> Callable[[Any], Any]:
    roots = [os.path.realpath(r) for r in spec["from"]]
    target = spec["to"]
    own = [os.path.realpath(p) for p in {sys.prefix, sys.exec_prefix, sys.base_prefix}]

    def move(path: Any) -> Any:
        if not isinstance(path, str) or not path:
            return path
        real = os.path.realpath(path)
        if any(_inside(real, prefix) for prefix in own) or _inside(real, target):
            return path
        for root in roots:
            if _inside(real, root):
                return os.path.join(target, os.path.relpath(real, root))
        return path

    return move


def _move_mapping(mapping: dict[Any, Any], move: Callable[[Any], Any]) -> None:
    for key, value in list(mapping.items()):
        if isinstance(value, str):
            mapping[key] = move(value)
        elif isinstance(value, (list, tuple)):
            mapping[key] = type(value)(move(item) for item in value)


def _move_finders(move: Callable[[Any], Any]) -> None:
    for finder in sys.meta_path:
        module = sys.modules.get(getattr(finder, "__module__", "") or "")
        # setuptools' editable finder: module-level MAPPING {package: dir} and NAMESPACES.
        if module is not None and module.__name__.startswith("__editable__"):
            for name in ("MAPPING", "NAMESPACES"):
                if isinstance(getattr(module, name, None), dict):
                    _move_mapping(getattr(module, name), move)
        # `editables` (hatch dev-mode-exact, PDM): RedirectingFinder._redirections {name: path}.
        redirections = getattr(finder, "_redirections", None)
        if isinstance(redirections, dict):
            _move_mapping(redirections, move)


def _redirect() -> None:
    raw = os.environ.get("GATEKIT_PY_REDIRECT")
    if not raw:
        return
    try:
        move = _mover(json.loads(raw))
    except (ValueError, KeyError, TypeError):
        return
    moved = [move(entry) for entry in sys.path]
    if moved != sys.path:
        for entry in sys.path:
            sys.path_importer_cache.pop(entry, None)
        sys.path[:] = moved
    _move_finders(move)
    # Loaded already from the worktree (by a .pth that imports): those modules cannot be moved.
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None)
        if origin and move(origin) != origin:
            del sys.modules[name]


def _chain() -> None:
    """Step aside and run the environment's own sitecustomize (site.py would have)."""
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    sys.path_importer_cache.pop(_HERE, None)
    me = sys.modules.pop("sitecustomize")
    try:
        import sitecustomize  # noqa: F401
    except ImportError as exc:
        # None other: importlib expects to find this module under its name when we return.
        sys.modules["sitecustomize"] = me
        if getattr(exc, "name", None) != "sitecustomize":
            raise


_redirect()
_chain()

"""Notice when the pre-commit framework has hidden unstaged changes from the worktree.

Before running hooks, pre-commit writes unstaged changes to `<store>/patch<time>-<pid>` and runs
`git checkout -- .`; it applies the patch again afterwards. While the hooks run, any other writer
in the same worktree sees its edits vanish (and may overwrite or commit around them): a clobber by
the tool that is meant to protect the commit. The patch is named after the pre-commit process,
which is this hook's parent, so a patch with our parent's pid means "it happened, right now".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gatekit.system import identity


@dataclass(frozen=True)
class HiddenChanges:
    """Evidence that pre-commit stashed unstaged changes for the run this hook belongs to."""

    patch: Path
    files: tuple[str, ...]


def precommit_store_dir(env: dict[str, str] | None = None) -> Path:
    """Where pre-commit keeps its store (and its patch files), as pre-commit computes it."""
    env = env if env is not None else dict(os.environ)
    if env.get("PRE_COMMIT_HOME"):
        return Path(env["PRE_COMMIT_HOME"])
    cache = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".cache")
    return Path(cache) / "pre-commit"


def find_hidden_changes(
    parent_pid: int | None = None, env: dict[str, str] | None = None
) -> HiddenChanges | None:
    """The patch pre-commit wrote for the run that started this process, or None.

    Only meaningful under pre-commit (PRE_COMMIT=1); an empty result means nothing was hidden.
    """
    env = env if env is not None else dict(os.environ)
    if env.get("PRE_COMMIT") != "1":
        return None
    pid = parent_pid if parent_pid is not None else identity.parent_pid()
    store = precommit_store_dir(env)
    try:
        candidates = sorted(store.glob(f"patch*-{pid}"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    for patch in reversed(candidates):
        try:
            data = patch.read_bytes()
        except OSError:
            continue
        if data:
            return HiddenChanges(patch, patch_files(data))
    return None


def patch_files(data: bytes) -> tuple[str, ...]:
    """The paths a `git diff --binary` patch touches (the b/ side of each `diff --git` line)."""
    files: list[str] = []
    for line in data.split(b"\n"):
        if line.startswith(b"+++ b/"):
            files.append(os.fsdecode(line[6:]))
        elif line.startswith(b"diff --git ") and b" b/" in line:
            name = os.fsdecode(line.rsplit(b" b/", 1)[1])
            if name not in files:
                files.append(name)
    return tuple(dict.fromkeys(files))


def hazard_warning(hidden: HiddenChanges) -> str:
    """The warning printed when pre-commit hid changes: what happened, the risk, the way out."""
    shown = ", ".join(hidden.files[:5]) + (" ..." if len(hidden.files) > 5 else "")
    return (
        "gatekit: warning: pre-commit hid unstaged changes in "
        f"{len(hidden.files)} file(s) ({shown})\n"
        f"  by saving them to {hidden.patch} and running `git checkout -- .` before the hooks.\n"
        "  Another writer editing this worktree right now sees those edits vanish until the hooks\n"
        "  finish. gatekit checks the staged tree in its own sandbox and does not need this:\n"
        "  `gatekit install-hooks` installs hooks that never stash (see docs/integrations.md)."
    )

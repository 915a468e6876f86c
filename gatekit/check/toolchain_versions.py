"""What a gate's result depends on besides the tree: the version of the tool that runs it.

A verdict is reused only when the toolchain is the same, so the gate fingerprint includes, for
the program a gate starts, `<tool> --version` for well-known toolchains, or the executable's
identity (path, size, mtime) for anything else: asking an arbitrary program for `--version`
could run it. Versions are cached per process and on disk keyed by the executable's identity,
so a verdict-cache hit does not pay for starting cargo or node.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

from gatekit.config import Gate
from gatekit.errors import GatekitError
from gatekit.system.files import atomic_write
from gatekit.system.processes import run_captured, which

# Programs known to answer `--version` quickly and without side effects.
_VERSIONED = re.compile(
    r"^(cargo|rustc|node|npm|npx|pnpm|yarn|bun|deno|go|gleam|make|gmake|mvn|gradle|java|javac|"
    r"tsc|python[0-9.]*|pytest|ruff|mypy|pip[0-9.]*|dotnet|ruby|bundle)$"
)
_CACHE_FILE = "toolchain-versions.json"


def gate_program(gate: Gate) -> str:
    """The program a gate starts: the first word of its command (of the script for shell gates)."""
    if not gate.shell:
        return gate.run[0]
    try:
        words = shlex.split(gate.run[0])
    except ValueError:
        words = gate.run[0].split()
    # Skip leading VAR=value assignments of a shell line.
    words = [w for w in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)] or [""]
    return words[0]


class ToolchainProbe:
    """Resolves and caches tool identities; one per process (or per command run)."""

    def __init__(self, state_dir: Path | None = None) -> None:
        self._memo: dict[str, str] = {}
        self._file = state_dir / _CACHE_FILE if state_dir is not None else None
        self._disk: dict[str, str] | None = None

    def identity(self, program: str, path_env: str | None = None) -> str:
        """A string that changes when the tool behind program changes."""
        if not program:
            return ""
        if os.sep in program:
            # A path inside the repository is part of the tree (already in the key); any other
            # path is identified like a program found on PATH.
            resolved = program if os.path.isabs(program) else None
        else:
            resolved = which(program, path_env)
        if resolved is None:
            return f"{program}:relative-or-missing"
        memo_key = f"{program}\0{resolved}"
        if memo_key not in self._memo:
            self._memo[memo_key] = self._identify(program, resolved)
        return self._memo[memo_key]

    def _identify(self, program: str, resolved: str) -> str:
        try:
            st = os.stat(resolved)
        except OSError:
            return f"{program}:missing"
        stamp = f"{os.path.realpath(resolved)}:{st.st_size}:{st.st_mtime_ns}"
        if not _VERSIONED.match(os.path.basename(program)):
            return stamp
        disk = self._load()
        if stamp in disk:
            return disk[stamp]
        version = _ask_version(resolved)
        disk[stamp] = version
        self._save(disk)
        return version

    def _load(self) -> dict[str, str]:
        if self._disk is None:
            self._disk = {}
            if self._file is not None:
                try:
                    loaded = json.loads(self._file.read_text(encoding="utf-8"))
                    if isinstance(loaded, dict):
                        self._disk = {str(k): str(v) for k, v in loaded.items()}
                except (OSError, ValueError):
                    pass  # a missing or corrupt cache is rebuilt
        return self._disk

    def _save(self, data: dict[str, str]) -> None:
        if self._file is None:
            return
        try:
            atomic_write(self._file, json.dumps(data, sort_keys=True), mode=0o600)
        except OSError:
            pass  # the cache only saves time; never fail a gate over it


def _ask_version(resolved: str) -> str:
    try:
        result = run_captured([resolved, "--version"], check=False, timeout=20)
    except (GatekitError, OSError, subprocess.TimeoutExpired):
        return f"{resolved}:no-version"
    # Some tools print their version on stderr (javac, older gcc): both streams, stdout first.
    return (result.stdout + result.stderr).decode("utf-8", "replace").strip()[:500]

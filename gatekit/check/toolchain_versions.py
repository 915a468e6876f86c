"""What a gate's result depends on besides the tree: the tools that run it.

For each program a gate starts, the verdict key holds the *real* tool behind it:

- a version manager's shim or proxy (rustup's `rustc`, pyenv/asdf/mise shims, volta) is resolved
  the way the manager resolves it in the current environment (`rustup which rustc`,
  `pyenv which python`, ...): the version behind a proxy changes with RUSTUP_TOOLCHAIN, a
  `rustup default`, a .python-version, and the proxy itself never changes;
- the executable is identified by `<tool> --version` for well-known toolchains, or by its path,
  size and mtime for anything else (asking an arbitrary program for `--version` could run it);
- a Python interpreter, or a script whose `#!` names one (pytest, ruff in a virtualenv), brings
  its environment: sys.prefix and the mtime of each site-packages directory, so a pass in one
  virtualenv is not reused in another, nor after a dependency was removed.

Everything that costs a process is cached per process and on disk
(`<common dir>/gatekit/toolchain-versions.json`), keyed by what decides it: the executable's
identity, and for shims the selector variables and files (version files, the manager's settings
and installed versions). A verdict-cache hit only stats files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

from gatekit.errors import GatekitError
from gatekit.system.files import atomic_write
from gatekit.system.processes import run_captured, which

# Programs known to answer `--version` quickly and without side effects.
_VERSIONED = re.compile(
    r"^(cargo|rustc|rustdoc|rustup|node|npm|npx|pnpm|yarn|bun|deno|go|gleam|make|gmake|cmake|ctest|mvn|"
    r"gradle|java|javac|tsc|python[0-9.]*|pytest|ruff|mypy|pip[0-9.]*|uv|dotnet|ruby|bundle|gcc|g\+\+|"
    r"cc|c\+\+|clang|clang\+\+|ninja)$"
)
_PYTHON = re.compile(r"^python[0-9.]*$")
_CACHE_FILE = "toolchain-versions.json"
# Files that choose a version behind a shim, looked up from the repository upward.
_LOCAL_SELECTORS = (
    ".python-version",
    ".tool-versions",
    ".node-version",
    ".nvmrc",
    "rust-toolchain",
    "rust-toolchain.toml",
    "mise.toml",
    ".mise.toml",
    "mise.local.toml",
    ".mise.local.toml",
)
_SELECTOR_VARIABLE = re.compile(r"^(RUSTUP_|PYENV_|ASDF_|MISE_|RTX_|VOLTA_|NVM_)|_VERSION$")
_INTERPRETER_INFO = (
    "import json, sys\n"
    "print(json.dumps({'version': sys.version.split()[0], 'prefix': sys.prefix,"
    " 'site': [p for p in sys.path if p.rstrip('/').endswith(('site-packages', 'dist-packages'))]}))"
)


class ToolchainProbe:
    """Resolves and caches tool identities; one per process (or per command run)."""

    def __init__(self, state_dir: Path | None = None, cwd: Path | None = None) -> None:
        self._memo: dict[str, str] = {}
        self._file = state_dir / _CACHE_FILE if state_dir is not None else None
        self._disk: dict[str, str] | None = None
        self.cwd = Path(cwd) if cwd is not None else None

    def identity(self, program: str, path_env: str | None = None) -> str:
        """A string that changes when the tool behind program changes."""
        if not program:
            return ""
        if os.sep in program and not os.path.isabs(program):
            return "a path in the tree"  # the tree id already covers it
        resolved = program if os.path.isabs(program) else which(program, path_env)
        if resolved is None:
            return "not found on PATH"
        memo_key = f"{program}\0{resolved}\0{path_env}"
        if memo_key not in self._memo:
            self._memo[memo_key] = self._describe(program, resolved, path_env)
        return self._memo[memo_key]

    # -- resolution ------------------------------------------------------------------------

    def _describe(self, program: str, resolved: str, path_env: str | None = None) -> str:
        manager = shim_manager(resolved)
        real = resolved
        via = ""
        if manager is not None:
            real = self._through_shim(manager, program, resolved)
            via = f" via {manager}"
        if real.startswith("version:"):  # the manager could not name the binary: its answer stands
            return f"{real[len('version:') :]} [{resolved}{via}]"
        description = f"{self._version(program, real)} [{real}{via}]"
        interpreter = python_interpreter(program, real, path_env)
        if interpreter is not None:
            description += f" {{{self._interpreter_environment(interpreter)}}}"
        return description

    def _version(self, program: str, real: str) -> str:
        stamp = file_stamp(real)
        if stamp is None:
            return "missing"
        if not _VERSIONED.match(os.path.basename(program)) and not _VERSIONED.match(os.path.basename(real)):
            return stamp
        return self._cached(f"version\0{stamp}", lambda: _ask([real, "--version"]))

    def _through_shim(self, manager: str, program: str, resolved: str) -> str:
        """The real binary behind a shim (or "version:<answer>" when only the shim can say)."""
        key = json.dumps(
            ["shim", manager, program, file_stamp(resolved), self._selectors(manager, program)],
            sort_keys=True,
        )

        def resolve() -> str:
            tool = manager_command(manager, resolved)
            if tool is not None:
                answer = _first_line(_ask([tool, "which", program], cwd=self.cwd))
                if answer and os.path.isabs(answer) and os.path.exists(answer):
                    return answer
            return "version:" + _ask([resolved, "--version"], cwd=self.cwd)

        return self._cached(hashlib.sha256(key.encode()).hexdigest(), resolve)

    def _selectors(self, manager: str, program: str) -> dict[str, str]:
        """What decides a shim's answer: selector variables and the stamps of selector files."""
        env = os.environ
        selected = {name: value for name, value in env.items() if _SELECTOR_VARIABLE.search(name)}
        selected["PATH"] = env.get("PATH", "")
        home = Path(env.get("HOME", str(Path.home())))
        files: list[Path] = []
        directory = self.cwd.resolve() if self.cwd is not None else None
        while directory is not None:
            files.extend(directory / name for name in _LOCAL_SELECTORS)
            directory = directory.parent if directory.parent != directory else None
        rustup = Path(env.get("RUSTUP_HOME", str(home / ".rustup")))
        pyenv = Path(env.get("PYENV_ROOT", str(home / ".pyenv")))
        asdf = Path(env.get("ASDF_DATA_DIR", str(home / ".asdf")))
        mise = Path(env.get("MISE_DATA_DIR", str(home / ".local/share/mise")))
        # mise's global config: `mise use -g` writes it; MISE_CONFIG_DIR and XDG_CONFIG_HOME move it.
        mise_config = Path(
            env.get("MISE_CONFIG_DIR") or Path(env.get("XDG_CONFIG_HOME") or str(home / ".config")) / "mise"
        )
        volta = Path(env.get("VOLTA_HOME", str(home / ".volta")))
        files += [
            rustup / "settings.toml",
            pyenv / "version",
            pyenv / "versions",
            home / ".tool-versions",
            asdf / "installs",
            home / ".config/mise/config.toml",
            mise_config / "config.toml",
            mise_config / "config.local.toml",
            Path(env.get("MISE_GLOBAL_CONFIG_FILE") or mise_config / "config.toml"),
            mise / "installs",
            volta / "tools/user/platform.json",
            volta / "tools/image",
        ]
        if manager == "rustup":
            files += sorted((rustup / "toolchains").glob(f"*/bin/{program}"))
        stamps = {str(f): file_stamp(str(f)) or "-" for f in files}
        return {**selected, **stamps}

    def _interpreter_environment(self, interpreter: str) -> str:
        """sys.prefix and the site-packages directories (with their mtimes) of an interpreter."""
        env = os.environ
        key = json.dumps(
            [
                "python",
                interpreter,
                file_stamp(interpreter),
                file_stamp(os.path.realpath(interpreter)),
                file_stamp(str(Path(interpreter).parent.parent / "pyvenv.cfg")),
                {k: v for k, v in env.items() if k.startswith("PYTHON") or k == "VIRTUAL_ENV"},
            ],
            sort_keys=True,
        )
        raw = self._cached(
            hashlib.sha256(key.encode()).hexdigest(), lambda: _ask([interpreter, "-c", _INTERPRETER_INFO])
        )
        try:
            info = json.loads(_first_line(raw))
            sites = [f"{site}@{_mtime(site)}" for site in info["site"]]
            return f"prefix {info['prefix']}; site-packages {', '.join(sites) or 'none'}"
        except (ValueError, KeyError, TypeError):
            return f"environment unknown ({raw[:200]})"

    # -- the disk cache --------------------------------------------------------------------

    def _cached(self, key: str, compute: object) -> str:
        disk = self._load()
        if key not in disk:
            assert callable(compute)
            disk[key] = str(compute())
            self._save(disk)
        return disk[key]

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


def file_stamp(path: str) -> str | None:
    """path, the file it resolves to, its size and mtime: changes when the file is replaced."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"


def _mtime(path: str) -> str:
    try:
        return str(os.stat(path).st_mtime_ns)
    except OSError:
        return "missing"


def shim_manager(resolved: str) -> str | None:
    """The version manager whose shim or proxy `resolved` is, or None for a real executable."""
    real = os.path.basename(os.path.realpath(resolved))
    if real in ("rustup", "rustup-init"):
        return "rustup"
    if real in ("mise", "rtx"):
        return "mise"
    if real in ("volta-shim", "volta"):
        return "volta"
    parent = Path(resolved).parent
    if parent.name != "shims":
        return None
    text = str(parent)
    if "pyenv" in text:
        return "pyenv"
    if "asdf" in text:
        return "asdf"
    if "mise" in text or "rtx" in text:
        return "mise"
    return "shim"


def manager_command(manager: str, resolved: str) -> str | None:
    """The manager's own command, to ask `<manager> which <program>`."""
    if manager == "shim":
        return None
    # A proxy or shim that is the manager itself under another name (rustup's `rustc`, mise's
    # shims): that binary answers, on PATH or not.
    real = os.path.realpath(resolved)
    if os.path.basename(real) == manager:
        return real
    found = which(manager)
    if found is not None:
        return found
    # pyenv and asdf shims live in <root>/shims; the command in <root>/bin or <root>/libexec.
    root = Path(resolved).parent.parent
    for candidate in (root / "bin" / manager, root / "libexec" / manager):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def python_interpreter(program: str, real: str, path_env: str | None = None) -> str | None:
    """The interpreter whose environment a program runs in: itself, or the one its `#!` names
    (`#!/usr/bin/env python` on path_env, the PATH the gate runs with)."""
    if _PYTHON.match(os.path.basename(program)):
        return real
    try:
        with open(real, "rb") as handle:
            first = handle.readline(256)
    except OSError:
        return None
    if not first.startswith(b"#!") or b"python" not in first:
        return None
    words = first[2:].decode("utf-8", "replace").split()
    if not words:
        return None
    if os.path.basename(words[0]) == "env" and len(words) > 1:
        return which(words[-1], path_env)
    return words[0]


def _first_line(text: str) -> str:
    """stdout comes first in _ask's answer: its first line, without stderr's chatter."""
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def _ask(argv: list[str], cwd: Path | None = None) -> str:
    try:
        result = run_captured(argv, cwd, check=False, timeout=20)
    except (GatekitError, OSError, subprocess.TimeoutExpired):
        return f"{argv[0]}: no answer to {' '.join(argv[1:])}"
    # Some tools print their version on stderr (javac, older gcc): both streams, stdout first.
    return (result.stdout + result.stderr).decode("utf-8", "replace").strip()[:500]

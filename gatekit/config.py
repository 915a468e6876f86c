"""Configuration: TOML in, frozen dataclasses out. Nothing past this module sees a raw dict.

Looked up at the repository root, first match wins: gatekit.toml, .gatekit.toml, then the
[tool.gatekit] table of pyproject.toml. Every error names the file, the key path and what was
expected; an unknown key names the nearest valid one.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import posixpath
import shlex
import stat
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from gatekit.errors import ConfigError
from gatekit.guard.evidence import DEFAULT_SEVERITY, SEVERITIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

CONFIG_FILES = ("gatekit.toml", ".gatekit.toml")
STAGES = ("pre-commit", "pre-push", "ci", "land")
STRATEGIES = ("merge", "rebase", "squash")  # how land integrates a branch into the target
# A week: longer than any build, short enough for every timer and clock computation.
MAX_SECONDS = 7 * 86_400.0


def _split_command(value: Any, key_path: str, source: str) -> tuple[str, ...]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            _no_nul(item, key_path, source)
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise ConfigError(source, key_path, f"cannot split the command: {exc}") from exc
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        argv = list(value)
    else:
        raise ConfigError(source, key_path, f"expected a string or a list of strings, got {_describe(value)}")
    if not argv:
        raise ConfigError(source, key_path, "expected a command, got an empty one")
    return tuple(argv)


def _stages(value: Any, key_path: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(source, key_path, f"expected a list of stage names, got {_describe(value)}")
    if not value:
        raise ConfigError(
            source,
            key_path,
            f"expected at least one stage (a gate with none never runs): {', '.join(STAGES)}",
        )
    for item in value:
        if item not in STAGES:
            raise ConfigError(
                source,
                key_path,
                f"unknown stage {item!r}{_nearest(item, STAGES)}; stages are {', '.join(STAGES)}",
            )
    return tuple(value)


def _name(value: Any, key_path: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(source, key_path, f"expected a non-empty name, got {_describe(value)}")
    _no_nul(value, key_path, source)
    return value


def _relative_dir(value: Any, key_path: str, source: str) -> str:
    """A directory inside the subject's tree: never absolute, never above it, never in .git."""
    if not isinstance(value, str):
        raise ConfigError(source, key_path, f"expected a string, got {_describe(value)}")
    _no_nul(value, key_path, source)
    normal = posixpath.normpath(value.replace("\\", "/"))
    first = normal.split("/", 1)[0]
    if posixpath.isabs(normal) or first == ".." or first == ".git":
        raise ConfigError(
            source,
            key_path,
            f"expected a directory inside the repository (like 'crates/core'), got {value!r}",
        )
    return value


def _environment(value: Any, key_path: str, source: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(source, key_path, f"expected a table of strings, got {_describe(value)}")
    for key, item in value.items():
        if not key or "=" in key or "\0" in key:
            raise ConfigError(
                source, key_path, f"{key!r} is not an environment variable name (empty, or has '=' or NUL)"
            )
        if not isinstance(item, str):
            raise ConfigError(source, f"{key_path}.{key}", f"expected a string, got {_describe(item)}")
        _no_nul(item, f"{key_path}.{key}", source)
    return dict(value)


def _ref_name(value: Any, key_path: str, source: str) -> str:
    """A branch name git would accept (the rules of git check-ref-format, without a git call)."""
    if not isinstance(value, str):
        raise ConfigError(source, key_path, f"expected a branch name, got {_describe(value)}")
    _no_nul(value, key_path, source)
    bad = (
        not value
        or value.startswith(("-", "/", "."))
        or value.endswith(("/", ".", ".lock"))
        or any(part in value for part in ("..", "//", "@{", "/."))
        or any(ch in value for ch in " ~^:?*[\\")
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
        or value == "@"
    )
    if bad:
        raise ConfigError(source, key_path, f"expected a branch name, got {value!r}")
    return value


def _globs(value: Any, key_path: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(source, key_path, f"expected an array of branch globs, got {_describe(value)}")
    for index, item in enumerate(value):
        _no_nul(item, f"{key_path}[{index}]", source)
        if not item.strip():
            raise ConfigError(source, f"{key_path}[{index}]", "expected a branch glob, got an empty string")
    return tuple(value)


def _no_nul(value: str, key_path: str, source: str) -> None:
    if "\0" in value:
        raise ConfigError(source, key_path, "contains a NUL character, which no command or path can hold")


def _choice(choices: tuple[str, ...]) -> Any:
    def convert(value: Any, key_path: str, source: str) -> str:
        if value not in choices:
            hint = _nearest(value, choices) if isinstance(value, str) else ""
            hint = hint if hint.startswith(" (") else ""
            raise ConfigError(source, key_path, f"expected one of {', '.join(choices)}, got {value!r}{hint}")
        return str(value)

    return convert


def _sandbox_dir(value: Any, key_path: str, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(source, key_path, f"expected a directory path, got {_describe(value)}")
    _no_nul(value, key_path, source)
    if not Path(value).expanduser().is_absolute():
        raise ConfigError(
            source, key_path, f"expected an absolute path (or one starting with ~), got {value!r}"
        )
    return value


@dataclass(frozen=True)
class Gate:
    """A named command that must pass."""

    name: str = field(metadata={"convert": _name})
    run: tuple[str, ...] = field(metadata={"convert": _split_command})
    shell: bool = False
    cwd: str = field(default=".", metadata={"convert": _relative_dir})
    timeout: Optional[float] = field(default=None, metadata={"range": (0.0, MAX_SECONDS)})
    env: Mapping[str, str] = field(default_factory=dict, metadata={"convert": _environment})
    stages: tuple[str, ...] = field(default=STAGES, metadata={"convert": _stages})
    # Not configurable: where the gate came from ("gatekit.toml", "detected: cargo (Cargo.toml)").
    origin: str = field(default="", metadata={"internal": True})

    def runs_at(self, stage: str | None) -> bool:
        return stage is None or stage in self.stages

    @property
    def display_command(self) -> str:
        return self.run[0] if self.shell else shlex.join(self.run)


@dataclass(frozen=True)
class SandboxConfig:
    slots: int = field(
        default=4, metadata={"range": (1, 64)}
    )  # most concurrent sandboxes per repository; more runs wait, and say so
    # Where sandboxes live (default: the user cache dir); $GATEKIT_SANDBOX_DIR overrides it.
    dir: Optional[str] = field(default=None, metadata={"convert": _sandbox_dir})


@dataclass(frozen=True)
class GuardConfig:
    severity: str = field(default=DEFAULT_SEVERITY, metadata={"convert": _choice(SEVERITIES)})
    snapshot_keep: int = field(default=50, metadata={"range": (1, 1_000_000)})
    snapshot_max_age_days: float = field(default=30.0, metadata={"range": (0.0, 36_500.0)})
    settle_seconds: float = field(default=2.0, metadata={"range": (0.0, 3600.0), "zero_ok": True})
    # What the guard does with a destructive git command over another writer's work (issue 10).
    destructive: str = field(
        default="deny", metadata={"convert": _choice(("deny", "snapshot-and-allow", "warn"))}
    )
    # Whose is dirty work nobody recorded (no session claim, no host edit)? "caller": the one who
    # runs the command, while no other writer is known in the worktree (a lone writer with zero
    # setup gets snapshots, not refusals); "deny": nobody's, so a destructive command over it is
    # refused like one over another writer's work (docs/guard.md).
    unknown_owner: str = field(default="caller", metadata={"convert": _choice(("caller", "deny"))})


@dataclass(frozen=True)
class LandConfig:
    strategy: str = field(default="merge", metadata={"convert": _choice(STRATEGIES)})
    # a failing tree is verified this many more times before land concludes anything
    retries: int = field(default=1, metadata={"range": (0, 10)})
    # gates known to be flaky: they run and are reported, but never block a land
    quarantine: tuple[str, ...] = ()


@dataclass(frozen=True)
class FleetConfig:
    worktree_dir: str = "../{repo}-worktrees"
    overlap: str = field(default="warn", metadata={"convert": _choice(("warn", "block"))})
    magnet_days: int = field(default=90, metadata={"range": (1, 36_500)})


@dataclass(frozen=True)
class VerdictsConfig:
    """What the verdict key holds beyond the built-in lists (docs/verdicts.md)."""

    env: tuple[str, ...] = ()  # more environment variables that change a gate's result
    tools: tuple[str, ...] = ()  # programs every gate may start without naming them (cc, protoc)


@dataclass(frozen=True)
class Config:
    gates: tuple[Gate, ...] = ()
    # None: the repository's default branch (origin/HEAD, init.defaultBranch, main/master/trunk).
    target: Optional[str] = field(default=None, metadata={"convert": _ref_name})
    protected: tuple[str, ...] = field(default=("main", "master"), metadata={"convert": _globs})
    heartbeat: float = field(default=30.0, metadata={"range": (0.0, 86_400.0)})
    fail_fast: bool = False
    # Detected gates have no timeout of their own: a hung test suite must not hang a commit hook.
    detected_timeout: float = field(default=1800.0, metadata={"range": (0.0, MAX_SECONDS)})
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    guard: GuardConfig = field(default_factory=GuardConfig)
    land: LandConfig = field(default_factory=LandConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    verdicts: VerdictsConfig = field(default_factory=VerdictsConfig)
    source: str = field(default="defaults", metadata={"internal": True})


def find_config_file(root: Path) -> tuple[Path, bool] | None:
    """(path, is_pyproject) of the config that applies at root, or None."""
    for name in CONFIG_FILES:
        if _is_config_file(root / name):
            return root / name, False
    pyproject = root / "pyproject.toml"
    if _is_config_file(pyproject):
        return pyproject, True
    return None


def _is_config_file(path: Path) -> bool:
    """True for a regular file (or a link to one); a config name held by anything else is an error.

    A directory, FIFO or dangling link named gatekit.toml would otherwise read as "no config",
    and every gate the user wrote would silently stop running.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise ConfigError(
                str(path), "", "is a dangling symlink; point it at a config file or remove it"
            ) from None
        return False
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from exc
    if stat.S_ISREG(mode):
        return True
    kind = "is a directory" if stat.S_ISDIR(mode) else "is not a regular file"
    raise ConfigError(str(path), "", f"{kind}; a config must be a TOML file")


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The configuration for the repository rooted at root (defaults when there is none)."""
    if explicit is not None:
        if not os.path.lexists(explicit):
            raise ConfigError(str(explicit), "", "no such config file")
        _is_config_file(explicit)
        found: tuple[Path, bool] | None = (explicit, explicit.name == "pyproject.toml")
    else:
        found = find_config_file(root)
    if found is None:
        return dataclasses.replace(Config(), source="defaults (no config file in the working tree)")
    path, is_pyproject = found
    shown = _shown_path(path, root)
    label = f"{shown} (given with --config)" if explicit is not None else f"{shown} (working tree)"
    return _from_document(_read_toml(path), str(path), is_pyproject, label)


def load_committed_config(files: Mapping[str, bytes], where: str) -> Config:
    """The configuration committed in a tree, from its top-level files (name -> content).

    where names the commit ("main (1be66a01daff)"); it becomes part of every message and of
    Config.source, so a report says which commit's configuration decided.
    """
    for name in (*CONFIG_FILES, "pyproject.toml"):
        if name in files:
            source = f"{name} at {where}"
            document = _parse_toml(files[name], source)
            return _from_document(document, source, name == "pyproject.toml", source)
    return dataclasses.replace(Config(), source=f"defaults (no config file at {where})")


def _from_document(document: dict[str, Any], source: str, is_pyproject: bool, label: str) -> Config:
    if is_pyproject:
        tool = document.get("tool", {})
        table = tool.get("gatekit") if isinstance(tool, dict) else None
        if table is None:
            return dataclasses.replace(Config(), source=f"defaults ({label} has no [tool.gatekit])")
        prefix = "tool.gatekit"
    else:
        table, prefix = document, ""
    config = parse_config(table, source=source, prefix=prefix)
    origin = label.split(" (")[0]
    return dataclasses.replace(
        config,
        gates=tuple(dataclasses.replace(g, origin=origin) for g in config.gates),
        source=label,
    )


def _shown_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def parse_config(table: Any, *, source: str, prefix: str = "") -> Config:
    """Turn a TOML table into a Config, or raise ConfigError."""
    if not isinstance(table, dict):
        raise ConfigError(source, prefix, f"expected a table, got {_describe(table)}")
    config = _build(Config, table, prefix, source)
    names: set[str] = set()
    for index, gate in enumerate(config.gates):
        if gate.name in names:
            raise ConfigError(
                source, _join(prefix, f"gates[{index}].name"), f"duplicate gate name {gate.name!r}"
            )
        names.add(gate.name)
    gates = tuple(
        dataclasses.replace(
            gate, origin=source, run=_shell_script(table["gates"][i]["run"]) if gate.shell else gate.run
        )
        for i, gate in enumerate(config.gates)
    )
    return dataclasses.replace(config, gates=gates, source=source)


def _shell_script(raw: str | list[str]) -> tuple[str, ...]:
    """A shell gate runs one script: a string as written, a list joined with shell quoting."""
    return (raw,) if isinstance(raw, str) else (shlex.join(raw),)


# -- the generic table -> dataclass walker ----------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from exc
    return _parse_toml(raw, str(path))


def _parse_toml(raw: bytes, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "", f"is not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "", f"invalid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ConfigError(source, "", "arrays or tables are nested too deeply to be a config") from exc


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """A config class's field types (evaluating them compiles every annotation: once per class)."""
    return typing.get_type_hints(cls)


def warm_type_hints(cls: type | None = None) -> None:
    """Evaluate the field types of Config and every config class inside it now (the resident
    server does, so that no worker spends a millisecond compiling annotations on each commit)."""
    for hint in _type_hints(Config if cls is None else cls).values():
        for inner in (hint, *typing.get_args(hint)):
            if dataclasses.is_dataclass(inner) and isinstance(inner, type):
                warm_type_hints(inner)


def _build(cls: type, table: dict[str, Any], prefix: str, source: str) -> Any:
    hints = _type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in table:
        if key not in fields:
            raise ConfigError(source, _join(prefix, key), f"unknown key{_nearest(key, list(fields))}")
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        key_path = _join(prefix, name)
        if name not in table:
            no_default = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            if no_default:
                raise ConfigError(source, key_path, "required key is missing")
            continue
        convert = spec.metadata.get("convert")
        value = table[name]
        values[name] = (
            convert(value, key_path, source) if convert else _convert(hints[name], value, key_path, source)
        )
        if "range" in spec.metadata and values[name] is not None:
            _check_range(values[name], spec.metadata, key_path, source)
    return cls(**values)


def _check_range(value: float, metadata: Mapping[str, Any], key_path: str, source: str) -> None:
    """Numbers are finite and within the documented range; zero only where it means something."""
    low, high = metadata["range"]
    exclusive = low == 0 and not metadata.get("zero_ok")
    if (value <= low if exclusive else value < low) or value > high:
        wanted = f"a positive number up to {high:g}" if exclusive else f"a number from {low:g} to {high:g}"
        raise ConfigError(source, key_path, f"expected {wanted}, got {value!r}")


def _convert(hint: Any, value: Any, key_path: str, source: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:  # Optional[X]
        inner = next(arg for arg in args if arg is not type(None))
        return _convert(inner, value, key_path, source)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(source, key_path, f"expected a table, got {_describe(value)}")
        return _build(typing.cast(type, hint), value, key_path, source)
    if origin is tuple:
        item_type = args[0]
        if not isinstance(value, list):
            raise ConfigError(source, key_path, f"expected an array, got {_describe(value)}")
        return tuple(_convert(item_type, item, f"{key_path}[{i}]", source) for i, item in enumerate(value))
    if origin in (dict, Mapping) or hint is Mapping:
        if not isinstance(value, dict):
            raise ConfigError(source, key_path, f"expected a table of strings, got {_describe(value)}")
        for key, item in value.items():
            if not isinstance(item, str):
                raise ConfigError(source, f"{key_path}.{key}", f"expected a string, got {_describe(item)}")
        return dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key_path, f"expected true or false, got {_describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(source, key_path, f"expected an integer, got {_describe(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(source, key_path, f"expected a number, got {_describe(value)}")
        if not math.isfinite(value):
            raise ConfigError(source, key_path, f"expected a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(source, key_path, f"expected a string, got {_describe(value)}")
        _no_nul(value, key_path, source)
        return value
    raise TypeError(f"config.py cannot convert to {hint!r}")  # a bug in this module, not in the file


def _describe(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    kind = names.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} ({shown[:40]})" if not isinstance(value, (dict, list)) else kind


def _nearest(key: str, candidates: typing.Sequence[str]) -> str:
    import difflib  # only on the error path

    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else f"; valid keys: {', '.join(candidates)}"


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key

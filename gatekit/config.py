"""Configuration: TOML in, frozen dataclasses out. Nothing past this module sees a raw dict.

Looked up at the repository root, first match wins: gatekit.toml, .gatekit.toml, then the
[tool.gatekit] table of pyproject.toml. Every error names the file, the key path and what was
expected; an unknown key names the nearest valid one.
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from gatekit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

CONFIG_FILES = ("gatekit.toml", ".gatekit.toml")
STAGES = ("pre-commit", "pre-push", "ci", "land")
SEVERITIES = ("low", "medium", "high")


def _split_command(value: Any, key_path: str, source: str) -> tuple[str, ...]:
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
    for item in value:
        if item not in STAGES:
            raise ConfigError(
                source,
                key_path,
                f"unknown stage {item!r}{_nearest(item, STAGES)}; stages are {', '.join(STAGES)}",
            )
    return tuple(value)


def _choice(choices: tuple[str, ...]) -> Any:
    def convert(value: Any, key_path: str, source: str) -> str:
        if value not in choices:
            raise ConfigError(source, key_path, f"expected one of {', '.join(choices)}, got {value!r}")
        return str(value)

    return convert


@dataclass(frozen=True)
class Gate:
    """A named command that must pass."""

    name: str
    run: tuple[str, ...] = field(metadata={"convert": _split_command})
    shell: bool = False
    cwd: str = "."
    timeout: Optional[float] = None
    env: Mapping[str, str] = field(default_factory=dict)
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
    slots: int = 4  # most concurrent sandboxes per repository; more runs wait, and say so


@dataclass(frozen=True)
class GuardConfig:
    severity: str = field(default="medium", metadata={"convert": _choice(SEVERITIES)})
    snapshot_keep: int = 50
    snapshot_max_age_days: float = 30.0
    settle_seconds: float = 2.0
    # What the guard does with a destructive git command over another writer's work (issue 10).
    destructive: str = field(
        default="deny", metadata={"convert": _choice(("deny", "snapshot-and-allow", "warn"))}
    )


@dataclass(frozen=True)
class LandConfig:
    strategy: str = field(default="merge", metadata={"convert": _choice(("merge", "rebase", "squash"))})


@dataclass(frozen=True)
class FleetConfig:
    worktree_dir: str = "../{repo}-worktrees"
    overlap: str = field(default="warn", metadata={"convert": _choice(("warn", "block"))})
    magnet_days: int = 90


@dataclass(frozen=True)
class Config:
    gates: tuple[Gate, ...] = ()
    target: str = "main"
    protected: tuple[str, ...] = ("main", "master")
    heartbeat: float = 30.0
    fail_fast: bool = False
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    guard: GuardConfig = field(default_factory=GuardConfig)
    land: LandConfig = field(default_factory=LandConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    source: str = field(default="defaults", metadata={"internal": True})


def find_config_file(root: Path) -> tuple[Path, bool] | None:
    """(path, is_pyproject) of the config that applies at root, or None."""
    for name in CONFIG_FILES:
        if (root / name).is_file():
            return root / name, False
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        return pyproject, True
    return None


def load_config(root: Path, explicit: Path | None = None) -> Config:
    """The configuration for the repository rooted at root (defaults when there is none)."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(str(explicit), "", "no such config file")
        found: tuple[Path, bool] | None = (explicit, explicit.name == "pyproject.toml")
    else:
        found = find_config_file(root)
    if found is None:
        return Config()
    path, is_pyproject = found
    document = _read_toml(path)
    if is_pyproject:
        tool = document.get("tool", {})
        table = tool.get("gatekit") if isinstance(tool, dict) else None
        if table is None:
            return Config()
        prefix = "tool.gatekit"
    else:
        table, prefix = document, ""
    config = parse_config(table, source=str(path), prefix=prefix)
    shown = _shown_path(path, root)
    return dataclasses.replace(
        config, gates=tuple(dataclasses.replace(g, origin=shown) for g in config.gates)
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
        if gate.timeout is not None and gate.timeout <= 0:
            raise ConfigError(
                source, _join(prefix, f"gates[{index}].timeout"), "expected a positive number of seconds"
            )
    gates = tuple(
        dataclasses.replace(
            gate, origin=source, run=_shell_script(table["gates"][i]["run"]) if gate.shell else gate.run
        )
        for i, gate in enumerate(config.gates)
    )
    if config.heartbeat <= 0:
        raise ConfigError(source, _join(prefix, "heartbeat"), "expected a positive number of seconds")
    if config.sandbox.slots < 1:
        raise ConfigError(source, _join(prefix, "sandbox.slots"), "expected at least 1")
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
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"is not UTF-8 text (byte {exc.start})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"invalid TOML: {exc}") from exc


def _build(cls: type, table: dict[str, Any], prefix: str, source: str) -> Any:
    hints = typing.get_type_hints(cls)
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
    return cls(**values)


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
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(source, key_path, f"expected a string, got {_describe(value)}")
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

"""What a gate's result depends on in its environment: the programs it starts and the variables
that change what those programs build.

A shell gate names its programs anywhere in its script (`cd . && python3 -m pytest`), so the
script is parsed into simple commands and the first word of each is taken, skipping variable
assignments, redirections, shell keywords and builtins, and wrappers like `env` or `exec`. A
script that starts a program it does not name literally (`$CC ...`, `eval`, a command whose
parse fails) is *conservative*: it is keyed on every toolchain's variables and on PATH.

The variables are listed per toolchain family (docs/verdicts.md keeps the list); a gate is keyed
on those of the families of the programs it names, and on every family when one of its programs
belongs to none (a Makefile or a script may start anything).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gatekit.config import Gate

# Exact names and prefixes (ending in "_" or a family prefix) of build-affecting variables.
FAMILY_VARIABLES: dict[str, tuple[str, ...]] = {
    "rust": (
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC",
        "RUSTC_*",
        "RUSTDOC",
        "RUSTUP_TOOLCHAIN",
        "RUSTUP_HOME",
        "CARGO_*",
    ),
    "python": (
        "PYTHON*",
        "PYTEST_*",
        "PYENV_VERSION",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "UV_*",
        "POETRY_*",
        "PIP_*",
    ),
    "node": ("NODE_*", "NPM_CONFIG_*", "npm_config_*", "YARN_*", "PNPM_*", "TS_NODE_*", "VOLTA_*", "NVM_BIN"),
    "go": ("GO*", "CGO_*"),
    "jvm": (
        "JAVA_HOME",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "MAVEN_OPTS",
        "MAVEN_ARGS",
        "M2_HOME",
        "GRADLE_OPTS",
        "GRADLE_USER_HOME",
    ),
    "c": (
        "CC",
        "CXX",
        "CPP",
        "CFLAGS",
        "CXXFLAGS",
        "CPPFLAGS",
        "LDFLAGS",
        "LDLIBS",
        "MAKEFLAGS",
        "CMAKE_*",
        "PKG_CONFIG_PATH",
        "LIBRARY_PATH",
        "LD_LIBRARY_PATH",
        "CPATH",
        "C_INCLUDE_PATH",
        "CPLUS_INCLUDE_PATH",
    ),
    "erlang": ("ERL_*", "GLEAM_*", "REBAR_*"),
}
ALL_FAMILIES = tuple(FAMILY_VARIABLES)

# Which family a program belongs to. Toolchains that compile C on the way (build scripts, cgo,
# native extensions and addons) also take the C family.
_PROGRAM_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"cargo(-.*)?|rustc|rustdoc|rustup|clippy-driver|rustfmt", ("rust", "c")),
    (
        r"python[0-9.]*|pytest|py\.test|pip[0-9.]*|uv|uvx|poetry|pdm|hatch|tox|nox|mypy|ruff|coverage|"
        r"pyright|black|flake8|pylint",
        ("python", "c"),
    ),
    (r"node|npm|npx|pnpm|pnpx|yarn|bun|bunx|deno|tsc|vitest|jest|eslint|corepack", ("node", "c")),
    (r"go|gofmt|golangci-lint", ("go", "c")),
    (r"mvn|mvnw|gradle|gradlew|java|javac|kotlinc", ("jvm",)),
    (r"make|gmake|cmake|ctest|ninja|meson|cc|gcc|g\+\+|c\+\+|clang|clang\+\+", ("c",)),
    (r"gleam|erl|erlc|rebar3|mix|elixir", ("erlang", "c")),
)

_SHELL_BUILTINS = frozenset(
    [
        "cd",
        "echo",
        "printf",
        "true",
        "false",
        "test",
        "[",
        "[[",
        "export",
        "set",
        "unset",
        "exit",
        "return",
        "shift",
        ":",
        ".",
        "source",
        "read",
        "local",
        "pwd",
        "pushd",
        "popd",
        "umask",
        "wait",
        "trap",
        "alias",
        "unalias",
        "type",
        "hash",
        "ulimit",
        "let",
        "declare",
        "readonly",
    ]
)
# Words after which a new command starts.
_COMMAND_STARTERS = frozenset(["if", "then", "else", "elif", "while", "until", "do", "!", "{", "time"])
_SKIP_TO_SEPARATOR = frozenset({"for", "case", "select", "function"})
_CLOSERS = frozenset({"fi", "done", "esac", "}"})
_WRAPPERS = frozenset({"env", "exec", "command", "nice", "nohup", "builtin", "xargs", "stdbuf", "ionice"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "(", ")", ";;", "|&", "\n"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECT = re.compile(r"^[0-9]*(<|>|>>|<<|<<<|<&|>&|&>|>\|)$")


@dataclass(frozen=True)
class GatePrograms:
    """The programs a gate starts, and whether some it starts cannot be named."""

    programs: tuple[str, ...]
    conservative: bool = False


def gate_programs(gate: Gate) -> GatePrograms:
    if not gate.shell:
        return GatePrograms((gate.run[0],))
    return shell_programs(gate.run[0])


def shell_programs(script: str) -> GatePrograms:
    """Every program a shell script names as a command, in order, without repeats."""
    try:
        tokens = _tokens(script)
    except ValueError:
        return GatePrograms((), conservative=True)
    programs: list[str] = []
    conservative = False
    expect_command = True
    skipping = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token in _SEPARATORS:
            expect_command, skipping = True, False
            continue
        if skipping or not expect_command:
            continue
        if _ASSIGNMENT.match(token) or token in _CLOSERS:
            continue
        if _REDIRECT.match(token):
            index += 1  # the redirection's target
            continue
        if token in _COMMAND_STARTERS:
            continue
        if token in _SKIP_TO_SEPARATOR:
            skipping = True
            continue
        if token == "eval" or any(c in token for c in "$`*?"):
            conservative = True
            expect_command = False
            continue
        if token in _WRAPPERS:
            index = _skip_wrapper_options(tokens, index)
            continue
        expect_command = False
        if token not in _SHELL_BUILTINS and token not in programs:
            programs.append(token)
    return GatePrograms(tuple(programs), conservative)


def _tokens(script: str) -> list[str]:
    """Words and operators of a script; newlines become separators (shlex treats them as space)."""
    tokens: list[str] = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens.extend(lexer)
        tokens.append("\n")
    # shlex's punctuation mode makes "$(" two tokens, "$" and "(": a command starts after "(".
    return tokens


def _skip_wrapper_options(tokens: Sequence[str], index: int) -> int:
    """Past a wrapper's options and assignments (`env -i X=1 cargo`, `nice -n 5 make`)."""
    while index < len(tokens) and (tokens[index].startswith("-") or _ASSIGNMENT.match(tokens[index])):
        takes_value = tokens[index] in ("-n", "-u", "-C", "-S", "-c")
        index += 2 if takes_value else 1
    return index


# Compiled once, at import (a resident server's workers inherit them compiled).
_COMPILED_FAMILIES = tuple((re.compile(pattern), families) for pattern, families in _PROGRAM_FAMILIES)


def program_families(program: str) -> tuple[str, ...]:
    """The toolchain families of a program; every family when it belongs to none."""
    name = os.path.basename(program)
    for pattern, families in _COMPILED_FAMILIES:
        if pattern.fullmatch(name):
            return families
    return ALL_FAMILIES


def build_environment(
    programs: GatePrograms, extra: Iterable[str], environ: Mapping[str, str]
) -> dict[str, str]:
    """The variables of environ that can change what the gate's programs build, by name."""
    families: set[str] = set()
    for program in programs.programs:
        families.update(program_families(program))
    if programs.conservative or not programs.programs:
        families.update(ALL_FAMILIES)
    patterns = [p for family in sorted(families) for p in FAMILY_VARIABLES[family]]
    names = {p for p in patterns if not p.endswith("*")}
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))  # "CARGO_*": every CARGO_ variable
    picked = {name: value for name, value in environ.items() if name in names or name.startswith(prefixes)}
    for name in extra:
        if name in environ:
            picked[name] = environ[name]
    if programs.conservative:
        picked["PATH"] = environ.get("PATH", "")
    return dict(sorted(picked.items()))

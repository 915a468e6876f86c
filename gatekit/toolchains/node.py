"""npm, pnpm and yarn workspaces: install, then the root's build and test scripts.

The package manager is the one whose lockfile is present (pnpm-lock.yaml, yarn.lock,
package-lock.json), else the `packageManager` field, else npm. When the root package.json
has a `build` (or `test`) script, that script is the workspace-wide command: it is the
author's own orchestration. Otherwise each workspace's script runs where it exists
(`npm run build --workspaces --if-present`).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit.config import Gate
from gatekit.toolchains.base import (
    CannotScope,
    Package,
    Tree,
    Workspace,
    WorkspaceFacts,
    join,
    make_gate,
    read_json,
    relative_to,
    topmost,
)

LOCKFILES = {"pnpm-lock.yaml": "pnpm", "yarn.lock": "yarn", "package-lock.json": "npm"}
# Files at the workspace root that change how every package installs or builds.
GLOBAL_FILES = frozenset(
    {
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "pnpm-workspace.yaml",
        "yarn.lock",
        ".yarnrc",
        ".yarnrc.yml",
        ".npmrc",
        ".nvmrc",
        ".node-version",
        "tsconfig.json",
        "tsconfig.base.json",
    }
)
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")
SCRIPTS = ("build", "test")
# What `npm init` writes: a test script that always fails is not a test suite.
PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1'


@dataclass(frozen=True)
class NodeFacts(WorkspaceFacts):
    members: tuple[str, ...] = ()  # member package dirs, relative to root; () for one package
    berry: bool = False  # yarn 2+ (.yarnrc.yml), whose commands differ from yarn 1's


class Node:
    names: tuple[str, ...] = ("npm", "pnpm", "yarn")
    noun: str = "package"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        workspaces = []
        names_of = dict(tree)
        for rel in topmost([rel for rel, names in tree if "package.json" in names]):
            workspace = self._workspace(root, rel, names_of[rel])
            if workspace is not None:
                workspaces.append(workspace)
        return workspaces

    def _workspace(self, root: Path, rel: str, names: frozenset[str]) -> Workspace | None:
        manifest = join(rel, "package.json")
        document = read_json(root / manifest)
        if document is None:
            # Unreadable JSON: let the package manager's own install say what is wrong with it,
            # rather than silently dropping a toolchain the repository clearly uses.
            tool = package_manager({}, names)
            gate = make_gate(rel, f"{tool} install", install_command(tool, NodeFacts()), manifest, tool)
            return Workspace(tool, rel, manifest, (gate,), NodeFacts())
        tool = package_manager(document, names)
        member_dirs = expand_members(root, rel, member_globs(root, rel, tool, document))
        members = {d: read_json(root / d / "package.json") or {} for d in member_dirs}
        facts = NodeFacts(tuple(member_dirs), berry=".yarnrc.yml" in names)
        gates: list[Gate] = []
        for script in SCRIPTS:
            run = whole_script(tool, script, document, members.values(), facts)
            if run:
                gates.append(make_gate(rel, f"{tool} {script}", run, manifest, tool))
        if gates:
            # Without node_modules no script can run; `--no-save` keeps the lockfile as committed.
            gates.insert(0, make_gate(rel, f"{tool} install", install_command(tool, facts), manifest, tool))
        return Workspace(tool, rel, manifest, tuple(gates), facts)

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        return relative_to(workspace.path, relpath) in GLOBAL_FILES

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        member_dirs = workspace.facts_as(NodeFacts).members
        if not member_dirs:
            top = read_json(root / workspace.manifest) or {}
            return [Package(str(top.get("name") or workspace.path), workspace.path)]
        documents = {d: read_json(root / d / "package.json") or {} for d in member_dirs}
        names: dict[str, str] = {}
        for directory, document in documents.items():
            name = document.get("name")
            if not isinstance(name, str) or not name:
                raise CannotScope(f"`{directory}/package.json` has no package name")
            names[directory] = name
        known = set(names.values())
        packages = []
        for directory, document in documents.items():
            depends_on = {dep for dep in declared_dependencies(document) if dep in known}
            depends_on.discard(names[directory])
            packages.append(Package(names[directory], directory, frozenset(depends_on)))
        return packages

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        tool = workspace.toolchain
        if tool == "yarn":
            # yarn 1 has no way to run a script in chosen workspaces only.
            raise CannotScope("yarn workspaces cannot run scripts in chosen packages only")
        if not workspace.facts_as(NodeFacts).members:
            return workspace.gates  # a single package: scoped is the whole
        gates = [g for g in workspace.gates if g.name.startswith(f"{tool} install")]
        whole_names = {g.name.split(" (", 1)[0] for g in workspace.gates}
        top = read_json(root / workspace.manifest) or {}
        for script in SCRIPTS:
            if f"{tool} {script}" not in whole_names:
                continue  # no package defines the script: the whole run has no such gate either
            if has_script(top, script):
                # The root script is the author's orchestration (`tsc -b`, turbo, ...); running
                # members' scripts instead could verify nothing at all.
                raise CannotScope(f"the root `{script}` script covers every package at once")
            if tool == "pnpm":
                filters = [arg for p in selected for arg in ("--filter", p.name)]
                run = ("pnpm", *filters, "run", "--if-present", script)
            else:
                flags = [f"--workspace={p.name}" for p in selected]
                run = ("npm", "run", script, *flags, "--if-present")
            gates.append(make_gate(workspace.path, f"{tool} {script}", run, workspace.manifest, tool))
        return tuple(gates)


def package_manager(document: dict[str, Any], names: frozenset[str]) -> str:
    for lockfile, tool in LOCKFILES.items():
        if lockfile in names:
            return tool
    declared = document.get("packageManager")
    if isinstance(declared, str):
        tool = declared.split("@", 1)[0]
        if tool in ("npm", "pnpm", "yarn"):
            return tool
    return "npm"


def member_globs(root: Path, rel: str, tool: str, document: dict[str, Any]) -> list[str]:
    """The workspace globs: package.json `workspaces`, or pnpm-workspace.yaml `packages`."""
    if tool == "pnpm" and (root / rel / "pnpm-workspace.yaml").is_file():
        return pnpm_globs((root / rel / "pnpm-workspace.yaml").read_text("utf-8", "replace"))
    declared = document.get("workspaces")
    if isinstance(declared, dict):  # yarn 1: {"packages": [...], "nohoist": [...]}
        declared = declared.get("packages")
    if isinstance(declared, list):
        return [item for item in declared if isinstance(item, str)]
    return []


def pnpm_globs(text: str) -> list[str]:
    """The `packages:` list of pnpm-workspace.yaml.

    A YAML library for one list of globs would be a core dependency (issue 13: the install stays
    light): this reads the two spellings pnpm documents, a block list and a flow list.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines):
        key, colon, rest = line.partition(":")
        if not colon or key.strip() != "packages" or line[:1].isspace():
            continue
        rest = _strip_comment(rest).strip()
        if rest.startswith("["):
            return [_unquote(item) for item in rest.strip("[]").split(",") if item.strip()]
        return _block_items(lines[number + 1 :])
    return []


def _block_items(lines: Sequence[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        content = _strip_comment(line).strip()
        if not content:
            continue
        if not line[:1].isspace() and not content.startswith("-"):
            break  # the next top-level key
        if content.startswith("-"):
            items.append(_unquote(content[1:]))
    return [item for item in items if item]


def _strip_comment(text: str) -> str:
    # A `#` starts a comment only at the start or after a space, outside quotes.
    quote = ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i]
    return text


def _unquote(item: str) -> str:
    item = item.strip()
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "'\"":
        return item[1:-1]
    return item


def expand_members(root: Path, rel: str, patterns: Sequence[str]) -> list[str]:
    """Member directories (root-relative) matched by the globs; `!` patterns exclude."""
    base = root / rel
    included: set[str] = set()
    excluded: set[str] = set()
    for pattern in patterns:
        target = excluded if pattern.startswith("!") else included
        pattern = pattern.lstrip("!").rstrip("/")
        for match in glob.glob(os.path.join(glob.escape(str(base)), pattern), recursive=True):
            if os.path.isfile(os.path.join(match, "package.json")) and "node_modules" not in match:
                target.add(join(rel, Path(match).relative_to(base).as_posix()))
    return sorted(included - excluded - {rel})


def declared_dependencies(document: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for key in DEPENDENCY_FIELDS:
        value = document.get(key)
        if isinstance(value, dict):
            names.update(name for name in value if isinstance(name, str))
    return names


def has_script(document: dict[str, Any], script: str) -> bool:
    scripts = document.get("scripts")
    if not isinstance(scripts, dict) or not isinstance(scripts.get(script), str):
        return False
    return not (script == "test" and scripts[script].strip() == PLACEHOLDER_TEST)


def whole_script(
    tool: str, script: str, document: dict[str, Any], members: Any, facts: NodeFacts
) -> tuple[str, ...]:
    """The workspace-wide command for a script, or () when nothing defines it."""
    if has_script(document, script):
        return (tool, "run", script)
    if not any(has_script(member, script) for member in members):
        return ()
    if tool == "pnpm":
        return ("pnpm", "--recursive", "run", "--if-present", script)
    if tool == "yarn" and facts.berry:
        return ("yarn", "workspaces", "foreach", "--all", "run", script)
    # npm reads the same `workspaces` field yarn 1 does, and unlike `yarn workspaces run` it
    # skips the packages that lack the script.
    return ("npm", "run", script, "--workspaces", "--if-present")


def install_command(tool: str, facts: NodeFacts) -> tuple[str, ...]:
    if tool == "pnpm":
        return ("pnpm", "install", "--frozen-lockfile")
    if tool == "yarn":
        return ("yarn", "install", "--immutable" if facts.berry else "--frozen-lockfile")
    return ("npm", "install", "--no-audit", "--no-fund", "--no-save")

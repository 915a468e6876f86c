"""Go modules and go.work workspaces: `go build`/`go test`, scoped by the import graph.

The graph comes from `go list -json` (one JSON object per package, concatenated). parse_go_list
is unit-tested on captured output, and the affected gates end to end with the real `go`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit.config import Gate
from gatekit.errors import CommandError, ToolMissing
from gatekit.system.processes import run_captured
from gatekit.toolchains.base import (
    CannotScope,
    Package,
    Tree,
    Workspace,
    WorkspaceFacts,
    dot_slash,
    join,
    make_gate,
    relative_to,
    topmost,
)

LIST_TIMEOUT = 120.0
GLOBAL_NAMES = frozenset({"go.mod", "go.sum", "go.work", "go.work.sum"})
_USE_BLOCK = re.compile(r"^\s*use\s*\((.*?)\)", re.M | re.S)
_USE_LINE = re.compile(r"^\s*use\s+([^\s(][^\s]*)", re.M)


@dataclass(frozen=True)
class GoFacts(WorkspaceFacts):
    patterns: tuple[str, ...]  # the package patterns of every module (go.work `use` dirs)


class Go:
    names: tuple[str, ...] = ("go",)
    noun: str = "package"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        # go.work wins over the go.mod files it uses: it is the workspace that ties them together.
        candidates = [rel for rel, names in tree if "go.work" in names or "go.mod" in names]
        names_of = dict(tree)
        return [self._workspace(root, rel, names_of[rel]) for rel in topmost(candidates)]

    def _workspace(self, root: Path, rel: str, names: frozenset[str]) -> Workspace:
        if "go.work" in names:
            manifest = join(rel, "go.work")
            uses = parse_go_work((root / manifest).read_text("utf-8", "replace"))
            patterns = tuple(_pattern(use) for use in uses) or ("./...",)
        else:
            manifest = join(rel, "go.mod")
            patterns = ("./...",)
        gates = (
            make_gate(rel, "go build", ("go", "build", *patterns), manifest, "go"),
            make_gate(rel, "go test", ("go", "test", *patterns), manifest, "go"),
        )
        return Workspace("go", rel, manifest, gates, GoFacts(patterns))

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        # Any module's go.mod/go.sum changes the build list of that module and everything using it.
        return relpath.rsplit("/", 1)[-1] in GLOBAL_NAMES

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        argv = ("go", "list", "-e", "-json", *workspace.facts_as(GoFacts).patterns)
        # -e: a package that fails to load is still listed (with its imports), not fatal.
        env = {**os.environ, "GOFLAGS": os.environ.get("GOFLAGS", ""), "GOPROXY": "off"}
        try:
            result = run_captured(argv, root / workspace.path, env=env, timeout=LIST_TIMEOUT)
        except ToolMissing as exc:
            raise CannotScope("`go` is not installed, so the import graph is unknown") from exc
        except CommandError as exc:
            first = exc.stderr.splitlines()[0] if exc.stderr else f"exit code {exc.returncode}"
            raise CannotScope(f"`go list` failed: {first}") from exc
        return parse_go_list(result.stdout.decode("utf-8", "replace"), root)

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        """`go build` of the packages with non-test files, and `go vet` of the test-only ones
        (`go build` refuses a package with only _test.go files, like goldmark's fuzz/; vet
        type-checks their tests). Vet stays off the other packages: its analyzers report
        findings a project's own CI may not hold it to, and a clean main must pass."""

        def dirs(packages: Sequence[Package]) -> list[str]:
            return [dot_slash(relative_to(workspace.path, p.path)) for p in packages]

        buildable = [p for p in selected if p.buildable]
        test_only = [p for p in selected if not p.buildable]
        manifest = workspace.manifest
        gates = []
        if buildable:
            gates.append(
                make_gate(workspace.path, "go build", ("go", "build", *dirs(buildable)), manifest, "go")
            )
        if test_only:
            gates.append(make_gate(workspace.path, "go vet", ("go", "vet", *dirs(test_only)), manifest, "go"))
        gates.append(make_gate(workspace.path, "go test", ("go", "test", *dirs(selected)), manifest, "go"))
        return tuple(gates)


def _pattern(use: str) -> str:
    use = use.strip().rstrip("/")
    if use in (".", "./"):
        return "./..."
    return (use if use.startswith(("./", "../", "/")) else "./" + use) + "/..."


def parse_go_work(text: str) -> list[str]:
    """The directories of go.work `use` directives (single and block form)."""
    text = re.sub(r"//[^\n]*", "", text)
    uses: list[str] = []
    for block in _USE_BLOCK.findall(text):
        uses.extend(_unquote(line) for line in block.split() if line.strip())
    uses.extend(_unquote(match) for match in _USE_LINE.findall(text))
    return uses


def _unquote(value: str) -> str:
    return value.strip().strip('"`')


def iter_json_stream(text: str) -> Iterator[Any]:
    """The values of concatenated JSON documents (what `go list -json` prints)."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        try:
            value, index = decoder.raw_decode(text, index)
        except ValueError as exc:
            raise CannotScope(f"`go list -json` printed invalid JSON at offset {index}") from exc
        yield value


def parse_go_list(text: str, root: Path) -> list[Package]:
    """Packages of the workspace and their imports of each other, test imports included."""
    entries = [e for e in iter_json_stream(text) if isinstance(e, dict) and e.get("ImportPath")]
    local = {e["ImportPath"] for e in entries if e.get("Dir")}
    real_root = root.resolve()
    packages = []
    for entry in entries:
        if not entry.get("Dir"):
            continue
        try:
            path = Path(entry["Dir"]).resolve().relative_to(real_root).as_posix()
        except ValueError as exc:
            raise CannotScope(f"package `{entry['ImportPath']}` lies outside the checkout") from exc
        # A dependent's tests break too when a package they import changes: count test imports.
        imports: set[str] = set()
        for key in ("Imports", "TestImports", "XTestImports"):
            imports.update(entry.get(key) or ())
        depends_on = frozenset(imp for imp in imports if imp in local and imp != entry["ImportPath"])
        buildable = bool(entry.get("GoFiles") or entry.get("CgoFiles"))
        packages.append(Package(entry["ImportPath"], path or ".", depends_on, buildable))
    return packages

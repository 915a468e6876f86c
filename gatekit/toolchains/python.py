"""Python projects: byte-compile the sources, and run pytest where there are tests.

A directory is a Python project when it has setup.py, setup.cfg, or a pyproject.toml with a
[project], [build-system] or [tool.poetry] table; a pyproject.toml holding only tool settings
(ruff, gatekit itself) is not one. All projects of a repository form one workspace: at the
root project when there is one, else at the single project, else at the repository root as a
multi-package repository.

Gates: `python -m compileall -q` over each project's sources (src/, its top-level packages
and modules, tests/) — cheap, needs no installed dependencies and catches syntax errors
everywhere. `python -m pytest -q` runs only where there are tests (a tests/ or test/
directory, test files in one inside a top-level package, conftest.py, pytest.ini, or pytest
settings in pyproject.toml, setup.cfg or tox.ini), from the project's own directory so its own
pytest configuration applies. Nothing is installed: the gates use the interpreter on PATH,
which is the user's environment.
"""

from __future__ import annotations

import configparser
import posixpath
import re
import shutil
from collections.abc import Mapping, Sequence
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
    read_toml,
    relative_to,
)

MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg")
# At the workspace root these change the environment every project is built and tested in.
GLOBAL_FILES = frozenset(
    {
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "uv.lock",
        "poetry.lock",
        "pdm.lock",
        "Pipfile",
        "Pipfile.lock",
        "tox.ini",
        "pytest.ini",
        "conftest.py",
        "noxfile.py",
    }
)
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class PythonFacts(WorkspaceFacts):
    projects: tuple[str, ...]  # project dirs, relative to root
    tested: tuple[str, ...]  # the projects with a test suite
    targets: Mapping[str, tuple[str, ...]]  # project dir -> its source dirs to compile
    manifests: Mapping[str, str]  # project dir -> its manifest
    python: str  # the interpreter the gates run


class Python:
    names: tuple[str, ...] = ("python",)
    noun: str = "package"

    def detect(self, root: Path, tree: Tree) -> list[Workspace]:
        projects = [rel for rel, names in tree if is_project(root, rel, names)]
        if not projects:
            return []
        names_of = dict(tree)
        # The workspace sits at the root project, else where the projects meet (packages/):
        # files beside it (a Rust crate, docs) are no Python project's.
        base = "." if "." in projects else posixpath.commonpath(projects) or "."
        python = interpreter()
        compile_targets = [t for p in projects for t in source_targets(root, p, names_of[p])]
        gates: list[Gate] = []
        manifest = join(projects[0], _manifest_name(names_of[projects[0]]))
        if compile_targets:
            targets = [relative_to(base, t) for t in compile_targets]
            gates.append(_compile_gate(base, python, targets, manifest))
        tested = tested_projects(root, projects, names_of)
        gates.extend(_test_gate(p, python, join(p, _manifest_name(names_of[p]))) for p in tested)
        facts = PythonFacts(
            projects=tuple(projects),
            tested=tuple(tested),
            targets={p: tuple(source_targets(root, p, names_of[p])) for p in projects},
            manifests={p: join(p, _manifest_name(names_of[p])) for p in projects},
            python=python,
        )
        return [Workspace("python", base, manifest, tuple(gates), facts)]

    def is_global(self, workspace: Workspace, relpath: str) -> bool:
        inner = relative_to(workspace.path, relpath)
        return inner in GLOBAL_FILES or re.fullmatch(r"requirements[^/]*\.(txt|in)", inner) is not None

    def packages(self, root: Path, workspace: Workspace) -> list[Package]:
        named = {
            p: project_metadata(root, p)
            for p in workspace.facts_as(PythonFacts).projects
            if not is_virtual_root(root, p)
        }
        known = {normalize(name): name for name, _ in named.values()}
        packages = []
        for path, (name, requirements) in named.items():
            depends_on = {known[r] for r in requirements if r in known and known[r] != name}
            packages.append(Package(name, path, frozenset(depends_on)))
        return packages

    def scoped_gates(self, root: Path, workspace: Workspace, selected: Sequence[Package]) -> tuple[Gate, ...]:
        facts = workspace.facts_as(PythonFacts)
        python = facts.python
        targets = [t for p in selected for t in facts.targets.get(p.path, ())]
        gates: list[Gate] = []
        if targets:
            relative = [relative_to(workspace.path, t) for t in targets]
            gates.append(_compile_gate(workspace.path, python, relative, workspace.manifest))
        for package in selected:
            if package.path in facts.tested:
                manifest = facts.manifests[package.path]
                gates.append(_test_gate(package.path, python, manifest))
        return tuple(gates)


def tested_projects(root: Path, projects: Sequence[str], names_of: dict[str, frozenset[str]]) -> list[str]:
    """Where pytest runs: every project with tests, each from its own directory.

    The root runs a suite of its own only when it has test files (tests/, test/) or no member has
    tests: pytest settings alone at the root (opentelemetry-python's `[tool.pytest.ini_options]`)
    are shared options, and one root pytest over members whose test files share names fails
    at collection, so members keep their own test gates.
    """
    tested = [p for p in projects if has_tests(root, p, names_of[p])]
    members = [p for p in tested if p != "."]
    if "." in tested and members and not any((root / name).is_dir() for name in ("tests", "test")):
        tested = members
    return tested


def _compile_gate(base: str, python: str, targets: Sequence[str], manifest: str) -> Gate:
    run = (python, "-m", "compileall", "-q", *[_safe(t) for t in targets])
    return make_gate(base, "python compile", run, manifest, "python")


def _test_gate(project: str, python: str, manifest: str) -> Gate:
    return make_gate(project, "python test", (python, "-m", "pytest", "-q"), manifest, "python")


def _safe(target: str) -> str:
    # compileall takes paths only, but a name beginning with "-" would still read as an option.
    return "./" + target if target.startswith("-") else target


def _manifest_name(names: frozenset[str]) -> str:
    return next((m for m in MANIFESTS if m in names), "pyproject.toml")


def interpreter() -> str:
    """The interpreter on PATH (the user's environment), `python` where both names exist."""
    return next((name for name in ("python", "python3") if shutil.which(name)), "python3")


def is_project(root: Path, rel: str, names: frozenset[str]) -> bool:
    if "setup.py" in names or "setup.cfg" in names:
        return True
    if "pyproject.toml" not in names:
        return False
    document = read_toml(root / rel / "pyproject.toml") or {}
    tool = document.get("tool") if isinstance(document.get("tool"), dict) else {}
    if "project" in document or "build-system" in document or "poetry" in (tool or {}):
        return True
    # A uv workspace root may be virtual (no [project]) and still tie the members together.
    uv = (tool or {}).get("uv")
    return isinstance(uv, dict) and "workspace" in uv


def is_virtual_root(root: Path, rel: str) -> bool:
    """A uv workspace root with no [project]: it ties members together but is no package."""
    document = read_toml(root / rel / "pyproject.toml") or {}
    return "project" not in document and "workspace" in ((document.get("tool") or {}).get("uv") or {})


def source_targets(root: Path, rel: str, names: frozenset[str]) -> list[str]:
    """What compileall covers in a project: src/ or the top-level packages and modules, tests."""
    directory = root / rel
    if "src" in names and (directory / "src").is_dir():
        found = ["src"]
    else:
        found = [
            name
            for name in sorted(names)
            if (name.endswith(".py") and name != "setup.py" and (directory / name).is_file())
            or (directory / name / "__init__.py").is_file()
        ]
    found += [name for name in ("tests", "test") if name in names and (directory / name).is_dir()]
    return [join(rel, name) for name in found]


def has_tests(root: Path, rel: str, names: frozenset[str]) -> bool:
    directory = root / rel
    if any(name in names and (directory / name).is_dir() for name in ("tests", "test")):
        return True
    if _package_has_tests(directory, names):
        return True
    if "conftest.py" in names or "pytest.ini" in names:
        return True
    if "pyproject.toml" in names:
        document = read_toml(directory / "pyproject.toml") or {}
        tool = document.get("tool")
        if isinstance(tool, dict) and "pytest" in tool:
            return True
    return _ini_has(directory, names, "setup.cfg", "tool:pytest") or _ini_has(
        directory, names, "tox.ini", "pytest"
    )


def _package_has_tests(directory: Path, names: frozenset[str]) -> bool:
    """Test files in a tests/ or test/ package inside a top-level package (colorama/tests,
    src/demo/tests): a suite that lives in the package it tests, with no tests/ at the root."""
    if "src" in names and (directory / "src").is_dir():
        packages = [path for path in (directory / "src").iterdir() if path.is_dir()]
    else:
        packages = [directory / name for name in names if (directory / name / "__init__.py").is_file()]
    for suite in (package / name for package in packages for name in ("tests", "test")):
        try:
            if any(_is_test_file(entry.name) for entry in suite.iterdir()):
                return True
        except OSError:
            continue  # no such directory (or not one)
    return False


def _is_test_file(name: str) -> bool:
    """What pytest collects by default: test_*.py and *_test.py."""
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _ini_has(directory: Path, names: frozenset[str], filename: str, section: str) -> bool:
    if filename not in names:
        return False
    try:
        return f"[{section}]" in (directory / filename).read_text("utf-8", "replace")
    except OSError:
        return False


def normalize(name: str) -> str:
    """PEP 503: names that differ only in case and runs of -_. are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_metadata(root: Path, rel: str) -> tuple[str, set[str]]:
    """(name, normalized names of everything it requires), from pyproject.toml or setup.cfg."""
    document = read_toml(root / rel / "pyproject.toml")
    if document and isinstance(document.get("project"), dict) and document["project"].get("name"):
        project = document["project"]
        return str(project["name"]), _requirements_of_pyproject(document)
    poetry = ((document or {}).get("tool") or {}).get("poetry")
    if isinstance(poetry, dict) and poetry.get("name"):
        deps: set[str] = set()
        for key in ("dependencies", "dev-dependencies"):
            deps.update(normalize(n) for n in poetry.get(key) or {})
        for group in (poetry.get("group") or {}).values():
            deps.update(normalize(n) for n in (group or {}).get("dependencies") or {})
        return str(poetry["name"]), deps
    setup_cfg = root / rel / "setup.cfg"
    if setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(setup_cfg, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise CannotScope(f"`{join(rel, 'setup.cfg')}` cannot be read: {exc}") from exc
        name = parser.get("metadata", "name", fallback="")
        if name:
            lines = parser.get("options", "install_requires", fallback="").splitlines()
            if parser.has_section("options.extras_require"):
                for _, value in parser.items("options.extras_require"):
                    lines.extend(value.splitlines())
            return name, {normalize(m.group(1)) for m in map(_REQUIREMENT_NAME.match, lines) if m}
    where = join(rel, "setup.py" if (root / rel / "setup.py").is_file() else "pyproject.toml")
    raise CannotScope(f"`{where}` declares no name and dependencies that can be read without running it")


def _requirements_of_pyproject(document: dict[str, Any]) -> set[str]:
    project = document["project"]
    requirements = list(project.get("dependencies") or ())
    for extra in (project.get("optional-dependencies") or {}).values():
        requirements.extend(extra or ())
    for group in (document.get("dependency-groups") or {}).values():
        requirements.extend(item for item in group or () if isinstance(item, str))
    names = {normalize(m.group(1)) for m in map(_REQUIREMENT_NAME.match, requirements) if m}
    # uv workspaces name sibling sources explicitly: [tool.uv.sources] x = { workspace = true }.
    sources = ((document.get("tool") or {}).get("uv") or {}).get("sources") or {}
    names.update(normalize(n) for n, spec in sources.items() if isinstance(spec, dict))
    return names

"""Tiny toolchain workspaces as file maps, for detection, affected-mode and check tests.

Each builder returns {relative path: content} for Repo.commit / Repo.write_files. Crates have
no external dependencies: there is no network to crates.io here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

# -- cargo ----------------------------------------------------------------------------------

# `core` holds a type that `coordinator` uses: changing it breaks only the dependent package.
CORE_LIB = "pub struct Settings {\n    pub port: u16,\n}\n"
CORE_LIB_CHANGED = "pub struct Settings {\n    pub port: String,\n}\n"  # coordinator breaks
COORDINATOR_LIB = (
    "pub fn settings() -> core::Settings {\n    core::Settings { port: 8080 }\n}\n\n"
    "#[cfg(test)]\nmod tests {\n    #[test]\n    fn port() {\n"
    "        assert_eq!(super::settings().port, 8080);\n    }\n}\n"
)


def cargo_workspace(crates: Mapping[str, Sequence[str]], base: str = "") -> dict[str, str]:
    """A Cargo workspace: crates maps each crate name to the sibling crates it depends on."""
    files = {f"{base}Cargo.toml": _cargo_workspace_manifest(crates)}
    for name, deps in crates.items():
        dependencies = "".join(f'{dep} = {{ path = "../{dep}" }}\n' for dep in deps)
        files[f"{base}{name}/Cargo.toml"] = (
            f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n'
            f"[dependencies]\n{dependencies}"
        )
        files[f"{base}{name}/src/lib.rs"] = "".join(f"pub use {dep};\n" for dep in deps) or "\n"
    return files


def _cargo_workspace_manifest(crates: Mapping[str, Sequence[str]]) -> str:
    members = ", ".join(f'"{name}"' for name in crates)
    return f'[workspace]\nmembers = [{members}]\nresolver = "2"\n'


def core_coordinator_workspace(base: str = "") -> dict[str, str]:
    """`core` and `coordinator` (which depends on core), both building and passing."""
    files = cargo_workspace({"core": [], "coordinator": ["core"]}, base)
    files[f"{base}core/src/lib.rs"] = CORE_LIB
    files[f"{base}coordinator/src/lib.rs"] = COORDINATOR_LIB
    return files


# -- npm ------------------------------------------------------------------------------------


def npm_workspace(
    packages: Mapping[str, Sequence[str]],
    *,
    scripts: Mapping[str, str] | None = None,
    member_scripts: Mapping[str, str] | None = None,
    dependency_field: str = "dependencies",
) -> dict[str, str]:
    """An npm workspace under packages/: packages maps each name to the siblings it needs."""
    root = {"name": "root", "private": True, "workspaces": ["packages/*"]}
    if scripts:
        root["scripts"] = dict(scripts)
    files = {"package.json": json.dumps(root, indent=2)}
    for name, deps in packages.items():
        manifest: dict[str, object] = {"name": name, "version": "1.0.0"}
        if deps:
            manifest[dependency_field] = {dep: "1.0.0" for dep in deps}
        if member_scripts:
            manifest["scripts"] = dict(member_scripts)
        files[f"packages/{name}/package.json"] = json.dumps(manifest, indent=2)
        files[f"packages/{name}/index.js"] = f"module.exports = {json.dumps(name)};\n"
    return files


# -- python ---------------------------------------------------------------------------------


def python_project(name: str, dependencies: Sequence[str] = (), *, tests: bool = True) -> dict[str, str]:
    """A pyproject.toml project with one module (and a tests/ directory)."""
    module = name.replace("-", "_").lower()
    deps = ", ".join(json.dumps(dep) for dep in dependencies)
    files = {
        "pyproject.toml": f'[project]\nname = "{name}"\nversion = "1.0"\ndependencies = [{deps}]\n',
        f"{module}/__init__.py": "VALUE = 1\n",
    }
    if tests:
        files["tests/test_value.py"] = (
            f"from {module} import VALUE\n\n\ndef test_value():\n    assert VALUE == 1\n"
        )
    return files


def nest(base: str, files: Mapping[str, str]) -> dict[str, str]:
    """files moved under the directory base."""
    return {f"{base}/{path}": content for path, content in files.items()}

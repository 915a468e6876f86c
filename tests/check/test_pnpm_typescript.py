"""A pnpm workspace built with `tsc -b` (project references) passes in the sandbox when main is clean.

pnpm links workspace packages into node_modules with symlinks, and TypeScript ignores every
symlink whose path contains `/.git`: a sandbox under the repository's `.git` failed a clean main.
Real pnpm (`npm i -g pnpm@9`), real TypeScript from the registry, detected gates.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from testing.repo import Repo

COMPILER = {
    "composite": True,
    "declaration": True,
    "outDir": "dist",
    "rootDir": "src",
    "module": "commonjs",
    "target": "es2019",
    "strict": True,
}


CORE = """import { URI } from "vscode-uri";

export function greet(name: string): string {
  return `hi ${name}`;
}

export function locate(path: string) {
  return { uri: URI.file(path) };
}
"""
# `located` has an inferred type from vscode-uri, which this file does not import: declaration
# emit must name the package through the symlink app/node_modules/vscode-uri (known to tsc from
# other.ts), and tsc ignores symlinks under `/.git` -> TS2742 "cannot be named without a
# reference to '.pnpm/vscode-uri@3.1.0/...'" (what volar.js's clean main got in the old sandbox).
APP = """import { greet, locate } from "core";

export const message: string = greet("app");
export const located = locate("/app");
"""
OTHER = 'import { URI } from "vscode-uri";\n\nexport const home = URI.file("/home");\n'


def workspace_files() -> dict[str, str]:
    def package(name: str, deps: dict[str, str], refs: list[str], sources: dict[str, str]) -> dict[str, str]:
        manifest: dict[str, object] = {
            "name": name,
            "version": "1.0.0",
            "main": "dist/index.js",
            "types": "dist/index.d.ts",
            "dependencies": deps,
        }
        tsconfig: dict[str, object] = {"compilerOptions": COMPILER, "include": ["src"]}
        if refs:
            tsconfig["references"] = [{"path": ref} for ref in refs]
        files = {
            f"packages/{name}/package.json": json.dumps(manifest, indent=2),
            f"packages/{name}/tsconfig.json": json.dumps(tsconfig, indent=2),
        }
        files.update({f"packages/{name}/src/{file}": text for file, text in sources.items()})
        return files

    root = {
        "name": "root",
        "private": True,
        "scripts": {"build": "tsc -b"},
        "devDependencies": {"typescript": "^5"},
    }
    return {
        "package.json": json.dumps(root, indent=2),
        "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n",
        "tsconfig.json": json.dumps(
            {"files": [], "references": [{"path": "packages/core"}, {"path": "packages/app"}]}
        ),
        ".gitignore": "node_modules/\ndist/\n*.tsbuildinfo\n",
        **package("core", {"vscode-uri": "3.1.0"}, [], {"index.ts": CORE}),
        **package(
            "app",
            {"core": "workspace:*", "vscode-uri": "3.1.0"},
            ["../core"],
            {"index.ts": APP, "other.ts": OTHER},
        ),
    }


def test_a_clean_pnpm_typescript_workspace_with_project_references_passes(repo: Repo) -> None:
    pnpm = shutil.which("pnpm")
    if pnpm is None:
        pytest.skip("pnpm is not installed (.ci/install-clients.sh: npm i -g pnpm@9)")
    env = {
        "npm_config_store_dir": os.environ.get(
            "GATEKIT_TEST_PNPM_STORE", str(Path.home() / ".cache" / "gatekit-test-pnpm-store")
        )
    }
    repo.write_files(workspace_files())
    done = subprocess.run(
        [pnpm, "install", "--silent"], cwd=repo.path, env={**repo.env, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    repo.commit("workspace with its lockfile")
    direct = subprocess.run(
        [pnpm, "run", "build"], cwd=repo.path, env={**repo.env, **env}, capture_output=True, text=True
    )
    assert direct.returncode == 0, direct.stdout + direct.stderr  # clean in the user's own worktree
    result = repo.gatekit("check", "--no-cache", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pnpm" in result.stdout

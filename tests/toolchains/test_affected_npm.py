"""Affected mode on npm workspaces: a <- b <- c, plus an unrelated d."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from gatekit.toolchains import plan_affected
from testing.repo import Repo
from testing.workspaces import npm_workspace

# Each build leaves a marker, so a test can see which packages a scoped gate really built.
MARK = "node -e \"require('fs').writeFileSync('built.txt', process.env.npm_package_name)\""


@pytest.fixture
def chain(make_repo) -> Repo:  # type: ignore[no-untyped-def]
    # b needs a at run time; c needs b only for its tests (devDependencies count too).
    files = npm_workspace({"a": [], "b": ["a"], "d": []}, member_scripts={"build": MARK})
    files.update(
        npm_workspace({"c": ["b"]}, member_scripts={"build": MARK}, dependency_field="devDependencies")
    )
    files["package.json"] = npm_workspace({})["package.json"]
    return make_repo("npm", files)  # type: ignore[no-any-return]


def test_change_in_a_selects_its_transitive_dependents(chain: Repo) -> None:
    plan = plan_affected(chain.path, ["packages/a/index.js"])
    assert plan.whole is False
    assert plan.packages == ("a", "b", "c")
    assert plan.reasons == ("package `a` changed; `b` depends on it", "`c` depends on `b`")
    assert {g.name: g.run for g in plan.gates} == {
        "npm install": ("npm", "install", "--no-audit", "--no-fund", "--no-save"),
        "npm build": (
            "npm",
            "run",
            "build",
            "--workspace=a",
            "--workspace=b",
            "--workspace=c",
            "--if-present",
        ),
    }


def test_change_in_the_last_of_the_chain_selects_only_it(chain: Repo) -> None:
    plan = plan_affected(chain.path, ["packages/c/index.js"])
    assert (plan.whole, plan.packages) == (False, ("c",))


def test_peer_dependency_makes_a_dependent(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = npm_workspace({"react-ish": []}, member_scripts={"build": MARK})
    files.update(npm_workspace({"plugin": ["react-ish"]}, dependency_field="peerDependencies"))
    files["package.json"] = npm_workspace({})["package.json"]
    repo = make_repo("peer", files)
    assert plan_affected(repo.path, ["packages/react-ish/index.js"]).packages == (
        "react-ish",
        "plugin",
    )


@pytest.mark.parametrize("changed", ["package.json", "package-lock.json", ".npmrc"])
def test_root_manifest_or_lockfile_change_runs_the_whole_workspace(chain: Repo, changed: str) -> None:
    plan = plan_affected(chain.path, ["packages/a/index.js", changed])
    assert plan.whole is True
    assert plan.reasons == (f"`{changed}` changed: the whole npm workspace runs",)
    assert ("npm", "run", "build", "--workspaces", "--if-present") in [g.run for g in plan.gates]


def test_member_without_a_name_falls_back_to_the_whole_workspace(chain: Repo) -> None:
    chain.write("packages/d/package.json", '{"version": "1.0.0"}')
    plan = plan_affected(chain.path, ["packages/a/index.js"])
    assert plan.whole is True
    assert "`packages/d/package.json` has no package name" in plan.reasons[0]


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_scoped_gates_build_only_the_selected_packages(chain: Repo) -> None:
    plan = plan_affected(chain.path, ["packages/b/index.js"])
    for gate in plan.gates:
        result = subprocess.run(gate.run, cwd=chain.path / gate.cwd, env=chain.env, capture_output=True)
        assert result.returncode == 0, (gate.name, result.stderr.decode())
    built = {p.name for p in (chain.path / "packages").iterdir() if (p / "built.txt").exists()}
    assert built == {"b", "c"}
    # --no-save: the install left the committed files alone.
    assert chain.git("status", "--porcelain", "--untracked-files=no") == ""


def test_pnpm_workspace_is_scoped_with_filters(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = npm_workspace({"a": [], "b": ["a"], "d": []}, member_scripts={"test": MARK})
    files["pnpm-lock.yaml"] = "lockfileVersion: '9.0'\n"
    repo = make_repo("pnpm", files)
    plan = plan_affected(repo.path, ["packages/a/index.js"])
    assert [g.run for g in plan.gates] == [
        ("pnpm", "install", "--frozen-lockfile"),
        ("pnpm", "--filter", "a", "--filter", "b", "run", "--if-present", "test"),
    ]


def test_yarn_workspace_cannot_scope_and_runs_whole(make_repo) -> None:  # type: ignore[no-untyped-def]
    files = npm_workspace({"a": [], "b": ["a"]}, member_scripts={"test": MARK})
    files["yarn.lock"] = ""
    repo = make_repo("yarn", files)
    plan = plan_affected(repo.path, ["packages/a/index.js"])
    assert plan.whole is True
    assert plan.reasons == (
        "yarn workspaces cannot run scripts in chosen packages only: the whole yarn workspace runs",
    )


def test_root_build_script_cannot_be_scoped_to_members(make_repo) -> None:  # type: ignore[no-untyped-def]
    # Members have no build script of their own: `--workspace=a --if-present` would build nothing.
    repo = make_repo("tsc", npm_workspace({"a": [], "b": ["a"]}, scripts={"build": "tsc -b"}))
    plan = plan_affected(repo.path, ["packages/a/index.js"])
    assert plan.whole is True
    assert ("npm", "run", "build") in [g.run for g in plan.gates]
    assert plan.reasons == (
        "the root `build` script covers every package at once: the whole npm workspace runs",
    )

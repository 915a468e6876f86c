"""Affected mode on a Python multi-package repository (sibling pyproject dependencies)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gatekit.toolchains import detect_workspaces, plan_affected
from testing.repo import Repo
from testing.workspaces import nest, python_project


@pytest.fixture
def monorepo(make_repo) -> Repo:  # type: ignore[no-untyped-def]
    files = {
        **nest("packages/alpha", python_project("Alpha_Lib")),
        # PEP 503: "alpha-lib>=1" names the same project as "Alpha_Lib".
        **nest("packages/beta", python_project("beta", ["alpha-lib>=1.0"])),
        **nest("packages/gamma", python_project("gamma", ["beta ; python_version >= '3.9'"])),
        **nest("packages/delta", python_project("delta", ["requests"])),
    }
    return make_repo("py", files)  # type: ignore[no-any-return]


def test_projects_without_a_root_project_form_one_workspace_where_they_meet(
    monorepo: Repo,
) -> None:
    (workspace,) = detect_workspaces(monorepo.path)
    assert (workspace.toolchain, workspace.path) == ("python", "packages")
    names = [g.name for g in workspace.gates]
    assert names == [
        "python compile (packages)",
        "python test (packages/alpha)",
        "python test (packages/beta)",
        "python test (packages/delta)",
        "python test (packages/gamma)",
    ]


def test_change_in_alpha_selects_its_dependents(monorepo: Repo) -> None:
    plan = plan_affected(monorepo.path, ["packages/alpha/alpha_lib/__init__.py"])
    assert plan.whole is False
    assert plan.packages == ("Alpha_Lib", "beta", "gamma")
    assert plan.reasons == (
        "package `Alpha_Lib` changed; `beta` depends on it",
        "`gamma` depends on `beta`",
    )
    compile_gate, *tests = plan.gates
    assert compile_gate.cwd == "packages"
    assert compile_gate.run[1:] == (
        "-m",
        "compileall",
        "-q",
        "alpha/alpha_lib",
        "alpha/tests",
        "beta/beta",
        "beta/tests",
        "gamma/gamma",
        "gamma/tests",
    )
    assert [g.cwd for g in tests] == ["packages/alpha", "packages/beta", "packages/gamma"]


def test_change_in_an_unrelated_project_selects_only_it(monorepo: Repo) -> None:
    assert plan_affected(monorepo.path, ["packages/delta/tests/test_value.py"]).packages == ("delta",)


def test_project_declared_only_in_setup_py_falls_back(monorepo: Repo) -> None:
    monorepo.write("packages/epsilon/setup.py", "from setuptools import setup\nsetup()\n")
    plan = plan_affected(monorepo.path, ["packages/alpha/alpha_lib/__init__.py"])
    assert plan.whole is True
    assert "`packages/epsilon/setup.py` declares no name" in plan.reasons[0]


def test_file_beside_the_projects_runs_everything(monorepo: Repo) -> None:
    plan = plan_affected(monorepo.path, ["requirements-dev.txt"])
    assert plan.whole is True
    assert plan.reasons == (
        "`requirements-dev.txt` is outside every toolchain workspace: the whole repository runs",
    )


@pytest.fixture
def uv_workspace(make_repo) -> Repo:  # type: ignore[no-untyped-def]
    files = {
        "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        **nest("packages/alpha", python_project("alpha")),
        **nest("packages/beta", python_project("beta", ["alpha"])),
    }
    return make_repo("uv", files)  # type: ignore[no-any-return]


@pytest.mark.parametrize("changed", ["uv.lock", "requirements-dev.txt", "conftest.py", "pyproject.toml"])
def test_root_environment_files_run_the_whole_workspace(uv_workspace: Repo, changed: str) -> None:
    plan = plan_affected(uv_workspace.path, [changed])
    assert plan.whole is True
    assert plan.reasons == (f"`{changed}` changed: the whole python workspace runs",)


def test_virtual_uv_root_is_no_package(uv_workspace: Repo) -> None:
    (workspace,) = detect_workspaces(uv_workspace.path)
    assert workspace.path == "."
    plan = plan_affected(uv_workspace.path, ["packages/alpha/alpha/__init__.py"])
    assert (plan.whole, plan.packages) == (False, ("alpha", "beta"))


def test_setup_cfg_requirements_are_read(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(
        "cfg",
        {
            **nest("libs/core", python_project("core")),
            "apps/web/setup.cfg": ("[metadata]\nname = web\n\n[options]\ninstall_requires =\n    Core>=2\n"),
            "apps/web/web.py": "",
        },
    )
    assert plan_affected(repo.path, ["libs/core/core/__init__.py"]).packages == ("core", "web")


def test_scoped_gates_run_and_catch_a_broken_dependent(monorepo: Repo) -> None:
    # beta's test relies on alpha's VALUE; alpha renames it: beta's tests fail, delta's don't run.
    monorepo.write("packages/beta/tests/test_uses_alpha.py", "from alpha_lib import VALUE\n")
    monorepo.write("packages/alpha/alpha_lib/__init__.py", "RENAMED = 1\n")
    monorepo.write("packages/alpha/tests/test_value.py", "def test_nothing():\n    pass\n")
    plan = plan_affected(monorepo.path, ["packages/alpha/alpha_lib/__init__.py"])
    results = {}
    for gate in plan.gates:
        # The interpreter running these tests has pytest; the gates name the one on PATH.
        run = (sys.executable, *gate.run[1:])
        results[gate.name] = subprocess.run(run, cwd=monorepo.path / gate.cwd, capture_output=True).returncode
    assert results["python compile (packages)"] == 0
    assert results["python test (packages/alpha)"] == 0
    assert results["python test (packages/beta)"] != 0
    assert "python test (packages/delta)" not in results

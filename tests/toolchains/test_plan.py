"""plan_affected across toolchains: what it runs when nothing, everything or several change."""

from __future__ import annotations

from pathlib import Path

from gatekit.toolchains import plan_affected
from gatekit.toolchains.base import Package
from gatekit.toolchains.graph import with_dependents
from testing.workspaces import nest, npm_workspace, python_project


def write(root: Path, files: dict[str, str]) -> Path:
    for relpath, content in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(content)
    return root


def test_no_toolchain_plans_nothing_and_says_why(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "x"})
    plan = plan_affected(tmp_path, ["README.md"])
    assert (plan.gates, plan.whole) == ((), True)
    assert plan.reasons == ("no toolchain was detected, so nothing can be scoped",)


def test_nothing_changed_plans_no_gates(tmp_path: Path) -> None:
    write(tmp_path, python_project("demo"))
    plan = plan_affected(tmp_path, [])
    assert (plan.gates, plan.whole, plan.packages) == ((), False, ())


def test_untouched_workspace_of_another_toolchain_is_skipped(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            **nest("web", npm_workspace({"ui": []}, member_scripts={"build": "node -e 1"})),
            **nest("py", python_project("tool")),
        },
    )
    plan = plan_affected(tmp_path, ["py/tool/__init__.py"])
    assert plan.packages == ("tool",)
    assert {g.name for g in plan.gates} == {"python compile (py)", "python test (py)"}


def test_change_in_a_nested_workspace_leaves_the_enclosing_one_alone(tmp_path: Path) -> None:
    files = {
        "Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\n',
        "src/lib.rs": "",
        **nest("web", npm_workspace({"ui": []}, member_scripts={"build": "node -e 1"})),
    }
    write(tmp_path, files)
    # The npm workspace is inside the root crate's directory, yet web/ is not the crate's.
    plan = plan_affected(tmp_path, ["web/packages/ui/index.js"])
    assert (plan.whole, plan.packages) == (False, ("ui",))
    assert all(g.name.startswith("npm ") for g in plan.gates)


def test_same_directory_workspaces_share_a_change_no_package_owns(tmp_path: Path) -> None:
    write(tmp_path, {**python_project("tool"), "Makefile": "all:\n\tcc -o x x.c\n"})
    plan = plan_affected(tmp_path, ["tool/__init__.py"])
    # The Python package owns it; make cannot scope, so it runs whole as well.
    assert plan.packages == ("tool",)
    assert [g.name for g in plan.gates] == ["python compile", "python test", "make"]


def test_workspace_without_gates_does_not_claim_changes(tmp_path: Path) -> None:
    # A root package.json holding only tool settings must not make README.md an npm package's
    # and so hide it from the Maven reactor beside it.
    pom = "<project><artifactId>{}</artifactId>{}</project>"
    write(
        tmp_path,
        {
            "package.json": '{"name": "settings", "prettier": {}}',
            "pom.xml": pom.format("parent", "<modules><module>core</module></modules>"),
            "core/pom.xml": pom.format("core", ""),
        },
    )
    plan = plan_affected(tmp_path, ["README.md"])
    assert plan.whole is True
    assert plan.reasons == ("`README.md` is outside every module: the whole maven workspace runs",)


def test_file_outside_every_workspace_runs_everything(tmp_path: Path) -> None:
    write(tmp_path, nest("py", python_project("tool")))
    plan = plan_affected(tmp_path, ["ci/pipeline.yml"])
    assert plan.whole is True
    assert plan.reasons == (
        "`ci/pipeline.yml` is outside every toolchain workspace: the whole repository runs",
    )
    assert {g.name for g in plan.gates} == {"python compile (py)", "python test (py)"}


def test_make_cannot_scope_and_runs_whole(tmp_path: Path) -> None:
    write(tmp_path, {"Makefile": "all:\n\tcc -o app main.c\n", "main.c": ""})
    plan = plan_affected(tmp_path, ["main.c"])
    assert plan.whole is True
    assert [g.run for g in plan.gates] == [("make",)]
    assert plan.reasons == (
        "make cannot build only part of a Makefile's project: the whole make workspace runs",
    )


def test_maven_falls_back_for_a_workspace_at_a_subdirectory(tmp_path: Path) -> None:
    write(tmp_path, {"server/pom.xml": "<project/>", "server/src/A.java": ""})
    plan = plan_affected(tmp_path, ["server/src/A.java"])
    assert plan.whole is True
    assert plan.reasons[0].endswith("the whole maven workspace at `server` runs")


def test_dependency_cycle_terminates_and_selects_the_cycle() -> None:
    packages = [
        Package("a", "a", frozenset({"b"})),
        Package("b", "b", frozenset({"a"})),
        Package("c", "c"),
    ]
    selected, reasons = with_dependents(packages, ["a"], "crate")
    assert [p.name for p in selected] == ["a", "b"]
    assert reasons == ["crate `a` changed; `b` depends on it"]


def test_several_changed_packages_name_all_their_dependents() -> None:
    packages = [
        Package("x", "x"),
        Package("y", "y"),
        Package("app", "app", frozenset({"x", "y"})),
        Package("cli", "cli", frozenset({"x"})),
    ]
    selected, reasons = with_dependents(packages, ["y", "x"], "package")
    assert [p.name for p in selected] == ["x", "y", "app", "cli"]
    assert reasons == ["package `x` changed; `app` and `cli` depend on it", "package `y` changed"]

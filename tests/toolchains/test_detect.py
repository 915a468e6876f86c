"""Zero config: every toolchain is found from its manifests alone, nothing is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.toolchains import detect_gates, detect_workspaces, node
from gatekit.toolchains.node import NodeFacts
from testing.workspaces import core_coordinator_workspace, nest, npm_workspace, python_project


def write(root: Path, files: dict[str, str]) -> Path:
    for relpath, content in files.items():
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root


def runs(root: Path) -> dict[str, tuple[str, ...]]:
    return {gate.name: gate.run for gate in detect_gates(root)}


def test_cargo_workspace_gets_workspace_wide_build_and_test(tmp_path: Path) -> None:
    write(tmp_path, core_coordinator_workspace())
    gates = detect_gates(tmp_path)
    assert [(g.name, g.run, g.cwd) for g in gates] == [
        ("cargo build", ("cargo", "build", "--workspace"), "."),
        ("cargo test", ("cargo", "test", "--workspace"), "."),
    ]
    assert {g.origin for g in gates} == {"detected: cargo (Cargo.toml)"}
    # The member crates are part of the root workspace, not workspaces of their own.
    assert [w.path for w in detect_workspaces(tmp_path)] == ["."]


def test_npm_workspace_without_root_scripts_runs_each_workspace_script(tmp_path: Path) -> None:
    write(tmp_path, npm_workspace({"a": [], "b": ["a"]}, member_scripts={"build": "node -e 1"}))
    assert runs(tmp_path) == {
        "npm install": ("npm", "install", "--no-audit", "--no-fund", "--no-save"),
        "npm build": ("npm", "run", "build", "--workspaces", "--if-present"),
    }


def test_npm_root_scripts_are_the_workspace_wide_commands(tmp_path: Path) -> None:
    write(tmp_path, npm_workspace({"a": []}, scripts={"build": "tsc -b", "test": "vitest run"}))
    assert runs(tmp_path)["npm build"] == ("npm", "run", "build")
    assert runs(tmp_path)["npm test"] == ("npm", "run", "test")


def test_npm_init_placeholder_test_script_is_not_a_test_gate(tmp_path: Path) -> None:
    placeholder = 'echo "Error: no test specified" && exit 1'
    write(tmp_path, {"package.json": json.dumps({"name": "x", "scripts": {"test": placeholder}})})
    assert detect_gates(tmp_path) == []


@pytest.mark.parametrize(
    ("files", "tool", "build"),
    [
        (
            {"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
            "pnpm",
            ("pnpm", "--recursive", "run", "--if-present", "build"),
        ),
        ({"yarn.lock": ""}, "yarn", ("npm", "run", "build", "--workspaces", "--if-present")),
        (
            {"yarn.lock": "", ".yarnrc.yml": ""},
            "yarn",
            ("yarn", "workspaces", "foreach", "--all", "run", "build"),
        ),
        (
            {"package-lock.json": "{}"},
            "npm",
            ("npm", "run", "build", "--workspaces", "--if-present"),
        ),
    ],
    ids=["pnpm", "yarn1", "yarn-berry", "npm"],
)
def test_package_manager_is_chosen_by_lockfile(
    tmp_path: Path, files: dict[str, str], tool: str, build: tuple[str, ...]
) -> None:
    write(tmp_path, {**npm_workspace({"a": []}, member_scripts={"build": "node -e 1"}), **files})
    (workspace,) = detect_workspaces(tmp_path)
    assert workspace.toolchain == tool
    assert runs(tmp_path)[f"{tool} build"] == build


def test_pnpm_workspace_members_come_from_pnpm_workspace_yaml(tmp_path: Path) -> None:
    files = npm_workspace({"a": [], "b": []}, member_scripts={"test": "node -e 1"})
    root = json.loads(files["package.json"])
    del root["workspaces"]
    files["package.json"] = json.dumps(root)
    files["pnpm-lock.yaml"] = ""
    files["pnpm-workspace.yaml"] = "packages:\n  - 'packages/*'\n  - '!packages/b'\n"
    write(tmp_path, files)
    (workspace,) = detect_workspaces(tmp_path)
    assert workspace.facts_as(NodeFacts).members == ("packages/a",)


def test_go_module_is_detected_by_go_mod(tmp_path: Path) -> None:
    write(tmp_path, {"go.mod": "module example.com/m\n\ngo 1.22\n", "main.go": "package main\n"})
    assert runs(tmp_path) == {
        "go build": ("go", "build", "./..."),
        "go test": ("go", "test", "./..."),
    }


def test_go_work_builds_every_module_it_uses(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "go.work": 'go 1.22\n\nuse (\n\t./api // the server\n\t"./lib"\n)\nuse ./tools\n',
            "api/go.mod": "module example.com/api\n",
            "lib/go.mod": "module example.com/lib\n",
            "tools/go.mod": "module example.com/tools\n",
        },
    )
    assert runs(tmp_path)["go build"] == ("go", "build", "./api/...", "./lib/...", "./tools/...")
    assert [w.manifest for w in detect_workspaces(tmp_path)] == ["go.work"]


def test_python_project_compiles_sources_and_runs_pytest(tmp_path: Path) -> None:
    write(tmp_path, python_project("demo"))
    gates = {g.name: g for g in detect_gates(tmp_path)}
    assert gates["python compile"].run[1:] == ("-m", "compileall", "-q", "demo", "tests")
    assert gates["python test"].run[1:] == ("-m", "pytest", "-q")


def test_python_project_without_tests_gets_no_pytest_gate(tmp_path: Path) -> None:
    write(tmp_path, python_project("demo", tests=False))
    assert [g.name for g in detect_gates(tmp_path)] == ["python compile"]


def test_python_src_layout_with_pytest_config_only(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = demo\n\n[tool:pytest]\naddopts = -x\n",
            "src/demo/__init__.py": "",
        },
    )
    gates = {g.name: g.run for g in detect_gates(tmp_path)}
    assert gates["python compile"][-1] == "src"
    assert "python test" in gates


def test_pyproject_with_only_tool_settings_is_not_a_python_project(tmp_path: Path) -> None:
    # A Rust repository may keep gatekit's own config in pyproject.toml.
    write(
        tmp_path,
        {"pyproject.toml": "[tool.gatekit]\ntarget = 'main'\n[tool.ruff]\nline-length = 100\n"},
    )
    assert detect_gates(tmp_path) == []


def test_gleam_maven_and_gradle_are_detected_by_manifest(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/gleam.toml": 'name = "app"\n',
            "server/pom.xml": "<project/>",
            "server/core/pom.xml": "<project/>",
            "android/settings.gradle.kts": "",
            "android/gradlew": "#!/bin/sh\n",
            "android/app/build.gradle.kts": "",
            "desktop/build.gradle": "",
        },
    )
    gates = {g.name: (g.run, g.cwd) for g in detect_gates(tmp_path)}
    assert gates == {
        "gleam build (app)": (("gleam", "build"), "app"),
        "gleam test (app)": (("gleam", "test"), "app"),
        "maven verify (server)": (("mvn", "-B", "-q", "verify"), "server"),
        "gradle build (android)": (("sh", "./gradlew", "build"), "android"),
        "gradle build (desktop)": (("gradle", "build"), "desktop"),
    }


def test_maven_wrapper_is_preferred(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": "<project/>", "mvnw": "#!/bin/sh\n"})
    assert runs(tmp_path) == {"maven verify": ("sh", "./mvnw", "-B", "-q", "verify")}


def test_makefile_builds_default_goal_and_existing_test_targets(tmp_path: Path) -> None:
    makefile = "CC := gcc\nall: app\napp: main.c\n\t$(CC) -o app main.c\ncheck: app\n\t./app -t\n"
    write(tmp_path, {"Makefile": makefile})
    assert runs(tmp_path) == {"make": ("make",), "make check": ("make", "check")}


def test_makefile_whose_default_goal_is_help_builds_all_instead(tmp_path: Path) -> None:
    makefile = ".DEFAULT_GOAL := help\nhelp:\n\t@echo targets\nall:\n\tcc x.c\ntest:\n\t./t\n"
    write(tmp_path, {"Makefile": makefile})
    assert runs(tmp_path) == {"make all": ("make", "all"), "make test": ("make", "test")}


def test_makefile_driving_cargo_yields_to_the_cargo_workspace(tmp_path: Path) -> None:
    write(tmp_path, {**core_coordinator_workspace(), "Makefile": "build:\n\tcargo build --release\n"})
    assert list(runs(tmp_path)) == ["cargo build", "cargo test"]


@pytest.mark.parametrize(
    "makefile",
    [
        "all:\n\t@cd crates && cargo build\n",
        "CARGO ?= cargo\nall:\n\t$(CARGO) build\n",
        "test:\n\t-cargo test --workspace\n",
    ],
    ids=["cd-and", "variable", "ignore-errors"],
)
def test_makefile_drives_cargo_in_its_usual_spellings(tmp_path: Path, makefile: str) -> None:
    write(tmp_path, {**core_coordinator_workspace(), "Makefile": makefile})
    assert "make" not in [w.toolchain for w in detect_workspaces(tmp_path)]


def test_makefile_building_something_else_runs_beside_cargo(tmp_path: Path) -> None:
    write(tmp_path, {**core_coordinator_workspace(), "Makefile": "docs:\n\tmdbook build\n"})
    assert list(runs(tmp_path)) == ["cargo build", "cargo test", "make"]


def test_several_toolchains_in_one_repository_all_run_with_unique_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            **core_coordinator_workspace(),
            **nest("web", npm_workspace({"ui": []}, scripts={"build": "vite build", "test": "vitest"})),
            **nest("tools", python_project("tools")),
            "services/api/go.mod": "module example.com/api\n",
        },
    )
    gates = detect_gates(tmp_path)
    names = [g.name for g in gates]
    assert len(names) == len(set(names))
    assert {(w.toolchain, w.path) for w in detect_workspaces(tmp_path)} == {
        ("cargo", "."),
        ("npm", "web"),
        ("python", "tools"),
        ("go", "services/api"),
    }
    assert {g.name: g.cwd for g in gates}["npm build (web)"] == "web"
    assert {g.name: g.origin for g in gates}[
        "go build (services/api)"
    ] == "detected: go (services/api/go.mod)"


def test_no_toolchain_gives_no_gates(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "docs only\n", "notes/todo.txt": "x\n"})
    assert detect_gates(tmp_path) == []


def test_manifests_in_dependency_and_build_directories_are_ignored(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "node_modules/left-pad/package.json": '{"name": "left-pad", "scripts": {"build": "x"}}',
            "target/debug/build/Cargo.toml": "[package]\n",
            ".venv/lib/setup.py": "",
            "pkg/testdata/go.mod": "module fixture\n",
        },
    )
    assert detect_gates(tmp_path) == []


@pytest.mark.parametrize("directory", ["svc one", "café", "-dash", "new\nline"])
def test_workspace_in_a_nasty_directory_name_runs_there(tmp_path: Path, directory: str) -> None:
    write(tmp_path, nest(directory, core_coordinator_workspace()))
    build = detect_gates(tmp_path)[0]
    assert build.cwd == directory
    assert (tmp_path / build.cwd / "Cargo.toml").is_file()
    assert build.name == f"cargo build ({directory})"


def test_broken_manifests_do_not_crash_detection(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": "{not json", "pyproject.toml": "[project\n", "gleam.toml": "="})
    # An unreadable package.json still gets the install gate, so npm itself names the problem.
    assert [(w.toolchain, [g.name for g in w.gates]) for w in detect_workspaces(tmp_path)] == [
        ("npm", ["npm install"]),
        ("gleam", ["gleam build", "gleam test"]),
    ]


def test_makefile_target_parsing_skips_variables_patterns_and_special_targets() -> None:
    from gatekit.toolchains.make import parse_targets

    text = (
        "# build:\n"
        "CC := gcc\nFLAGS ::= -O2\nLD ?= ld\nURL = http://example.com:8080\n"
        ".PHONY: all test\n"
        "%.o: %.c\n\t$(CC) -c $<\n"
        "$(BIN): main.o\n\t$(LD) -o $@ $^\n"
        "all app: \\\n    main.o\n\t@echo\n"
        "test:: all\n\t./run-tests\n"
        "clean:\n\trm -f *.o\n"
    )
    targets, default = parse_targets(text)
    assert targets == {"all", "app", "test", "clean"}
    assert default == "all"


def test_makefile_with_only_variables_is_not_a_workspace(tmp_path: Path) -> None:
    write(tmp_path, {"Makefile": "include common.mk\nX = 1\n"})
    assert detect_gates(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "globs"),
    [
        ("packages:\n  - 'packages/*'\n  - \"!packages/b\"  # not b\n", ["packages/*", "!packages/b"]),
        (
            "packages:\n- apps/**\n\n  # a comment\n- 'lib#1/*'\ncatalog:\n  react: ^18\n",
            ["apps/**", "lib#1/*"],
        ),
        ("packages: ['a/*', \"b\"]\n", ["a/*", "b"]),
        ("catalog:\n  packages: 1\n", []),
        ("", []),
    ],
)
def test_pnpm_workspace_globs_are_read_without_a_yaml_library(text: str, globs: list[str]) -> None:
    assert node.pnpm_globs(text) == globs

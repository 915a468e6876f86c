"""Zero config that fits real repositories (issue 11, item 5): the default branch is the target,
`--gate` selects detected gates, detected gates have a timeout, pre-commit runs only fast gates."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing.clients import with_checkout
from testing.repo import Repo

MAKEFILE = "all:\n\t@echo built\n\ntest:\n\t@echo tested\n"


def master_repo(path: Path, env: dict[str, str], files: dict[str, str]) -> Repo:
    """A repository whose only branch is master (goldmark, cJSON, regex all look like this)."""
    path.mkdir(parents=True)
    repo = Repo(path, with_checkout(env))
    repo.git("init", "-q", "-b", "master")
    repo.commit("initial", files)
    return repo


def git_with_hooks(repo: Repo, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        ["git", *args], cwd=repo.path, env=repo.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return result.returncode, result.stdout.decode("utf-8", "replace")


def test_a_master_repository_through_init_install_hooks_and_commit(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = master_repo(tmp_path / "repo", git_env, {"Makefile": MAKEFILE})
    init = repo.gatekit("init")
    assert init.returncode == 0, init.stderr
    assert 'target = "master"' in (repo.path / "gatekit.toml").read_text()
    assert repo.gatekit("install-hooks").returncode == 0
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("src.c", "int main(void) { return 0; }\n")
    repo.git("add", "-A")
    code, output = git_with_hooks(repo, "commit", "-q", "-m", "add src")
    assert code == 0, output
    assert "names no branch" not in output


def test_a_master_repository_without_init_commits_through_the_hooks(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = master_repo(tmp_path / "repo", git_env, {"Makefile": MAKEFILE})
    assert repo.gatekit("install-hooks").returncode == 0
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("notes.txt", "x\n")
    repo.git("add", "-A")
    code, output = git_with_hooks(repo, "commit", "-q", "-m", "notes")
    assert code == 0, output
    # On master itself the protect hook names master as the way in.
    repo.git("checkout", "-q", "master")
    repo.write("other.txt", "y\n")
    repo.git("add", "-A")
    code, output = git_with_hooks(repo, "commit", "-q", "-m", "direct")
    assert code != 0 and "--onto master" in output, output


def test_a_repository_whose_only_branch_is_develop_commits_through_the_hooks(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = master_repo(tmp_path / "repo", git_env, {"Makefile": MAKEFILE})
    repo.git("branch", "-m", "master", "develop")
    assert repo.gatekit("install-hooks").returncode == 0
    repo.write("notes.txt", "x\n")
    repo.git("add", "-A")
    code, output = git_with_hooks(repo, "commit", "-q", "-m", "notes")
    assert code == 0, output
    assert "built" in output


def test_the_default_branch_comes_from_origin_head_then_init_default_branch(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    upstream = master_repo(tmp_path / "upstream", git_env, {"Makefile": MAKEFILE})
    upstream.git("branch", "main")  # a stale main beside the real default branch, trunk
    upstream.git("branch", "-m", "master", "trunk")
    clone = tmp_path / "clone"
    upstream.git("clone", "-q", str(upstream.path), str(clone))
    repo = Repo(clone, upstream.env)
    repo.git("checkout", "-q", "-b", "feature", "origin/trunk")
    repo.commit("feature", {"feature.txt": "x\n"})

    def target() -> str:
        result = repo.gatekit("land", "feature", "--dry-run")
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    # origin/HEAD names trunk: that wins over the stale main.
    assert "trunk would move" in target()
    repo.git("remote", "set-head", "origin", "-d")
    repo.git("config", "init.defaultBranch", "trunk")
    assert "trunk would move" in target()
    repo.git("config", "--unset", "init.defaultBranch")
    repo.git("branch", "-q", "main", "origin/main")
    assert "main would move" in target()


def test_check_gate_selects_a_detected_gate(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = master_repo(tmp_path / "repo", git_env, {"Makefile": MAKEFILE})
    result = repo.gatekit("check", "--rev", "HEAD", "--gate", "make test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tested" in result.stdout and "built" not in result.stdout
    bad = repo.gatekit("check", "--rev", "HEAD", "--gate", "nope")
    assert bad.returncode == 2 and "make test" in bad.stderr


def test_detected_gates_get_a_default_timeout_that_config_can_change(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    repo = master_repo(tmp_path / "repo", git_env, {"Makefile": "all:\n\t@sleep 30\n"})
    repo.commit("timeout", {"pyproject.toml": "[tool.gatekit]\ndetected_timeout = 1\n"})
    result = repo.gatekit("check", "--rev", "HEAD", timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "timed out after 1s" in result.stdout
    gates = repo.gatekit("gates")
    assert "[timeout 1s]" in gates.stdout


def test_precommit_runs_only_fast_detected_gates(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = master_repo(tmp_path / "repo", git_env, {"Makefile": MAKEFILE})
    result = repo.gatekit("check", "--rev", "HEAD", "--stage", "pre-commit")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gatekit: gates: make\n" in result.stdout
    assert "built" in result.stdout and "tested" not in result.stdout
    pushed = repo.gatekit("check", "--rev", "HEAD", "--stage", "pre-push")
    assert "gatekit: gates: make, make test\n" in pushed.stdout
    assert "tested" in pushed.stdout
    listed = repo.gatekit("gates").stdout
    assert "make test  [timeout 1800s]  [stages: pre-push, ci, land]" in listed, listed


def test_a_python_workspace_keeps_member_tests_whatever_the_root_pytest_config_says(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    # opentelemetry-python's shape: a root [tool.pytest.ini_options] and members with tests of
    # the same file names; one root pytest fails collecting them ("import file mismatch").
    member = '[project]\nname = "{0}"\nversion = "0.1"\n'
    test = "def test_ok():\n    assert True\n"
    repo = master_repo(
        tmp_path / "repo",
        git_env,
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
            '[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider"\n',
            "packages/a/pyproject.toml": member.format("a"),
            "packages/a/a.py": "X = 1\n",
            "packages/a/tests/test_api.py": test,
            "packages/b/pyproject.toml": member.format("b"),
            "packages/b/b.py": "Y = 1\n",
            "packages/b/tests/test_api.py": test,
        },
    )
    gates = repo.gatekit("gates").stdout
    assert "python test (packages/a)" in gates and "python test (packages/b)" in gates, gates
    result = repo.gatekit("check", "--rev", "HEAD", "--stage", "pre-push")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("package", ["demo", "src/demo"], ids=["flat", "src-layout"])
def test_tests_inside_the_package_are_run_before_a_push(
    tmp_path: Path, git_env: dict[str, str], package: str
) -> None:
    # colorama's shape: its unittest suite is colorama/tests/*_test.py, with no tests/ at the root
    # and no pytest settings; pytest collects it, and a failing test must stop the push.
    repo = master_repo(
        tmp_path / "repo",
        git_env,
        {
            "pyproject.toml": '[project]\nname = "demo"\nversion = "0.1"\n',
            f"{package}/__init__.py": "VALUE = 1\n",
            f"{package}/tests/__init__.py": "",
            f"{package}/tests/value_test.py": "import unittest\n\n\nclass T(unittest.TestCase):\n"
            "    def test_value(self):\n        self.assertEqual(1, 2)\n",
        },
    )
    assert "python test" in repo.gatekit("gates").stdout
    result = repo.gatekit("check", "--rev", "HEAD", "--stage", "pre-push")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED    python test" in result.stdout, result.stdout


def test_go_affected_mode_builds_only_packages_with_non_test_files(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    # goldmark's fuzz/ holds only _test.go files: `go build ./fuzz` fails ("no non-test Go files").
    repo = master_repo(
        tmp_path / "repo",
        git_env,
        {
            "go.mod": "module example.com/mark\n\ngo 1.19\n",
            "lib/lib.go": 'package lib\n\nfunc Render() string { return "x" }\n',
            "fuzz/fuzz_test.go": 'package fuzz\n\nimport (\n\t"testing"\n\n\t"example.com/mark/lib"\n)\n\n'
            'func TestRender(t *testing.T) {\n\tif lib.Render() != "x" {\n\t\tt.Fatal("bad")\n\t}\n}\n',
        },
    )
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("change lib", {"lib/lib.go": 'package lib\n\nfunc Render() string { return "x" + "" }\n'})
    result = repo.gatekit("check", "--rev", "HEAD", "--affected", "--stage", "pre-push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "go build ./lib\n" in result.stdout, result.stdout
    assert "go vet ./fuzz\n" in result.stdout  # the test-only package is type-checked
    assert "go test" in result.stdout


def test_a_cmake_project_is_detected_built_and_tested(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = master_repo(
        tmp_path / "repo",
        git_env,
        {
            "CMakeLists.txt": "cmake_minimum_required(VERSION 3.13)\nproject(hello C)\n"
            "add_executable(hello main.c)\nenable_testing()\nadd_test(NAME hello COMMAND hello)\n",
            "main.c": "int main(void) { return 0; }\n",
        },
    )
    result = repo.gatekit("check", "--rev", "HEAD", "--stage", "pre-push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gates: cmake configure, cmake build, cmake test" in result.stdout
    assert "100% tests passed" in result.stdout
    repo.commit("break it", {"main.c": "int main(void) { return missing(); }\n"})
    broken = repo.gatekit("check", "--rev", "HEAD", "--stage", "pre-commit")
    assert broken.returncode == 1
    assert "cmake build (failed)" in broken.stdout

"""A cached pass is reused only where it would pass again (issue 11, item 3).

The verdict key holds the toolchain resolved through rustup/pyenv shims, the build-affecting
environment, the interpreter environment and every program a shell gate names. Each test passes
a gate once, changes one thing the tree does not show, and checks that the gate runs again.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from testing.repo import Repo
from testing.toolchain_homes import (
    activated,
    linked_rustup_home,
    make_venv,
    mise_use_global,
    mise_with_pythons,
    pyenv_shims,
    pyenv_versions,
    set_default_toolchain,
    site_packages,
)

OLD_PYTHON = 'import sys; assert sys.version_info < (3, 10), sys.version; print("ok")'


def configure(repo: Repo, body: str, files: dict[str, str] | None = None) -> None:
    repo.write("gatekit.toml", body)
    repo.commit("configure gatekit", files)


def check(repo: Repo, env: dict[str, str] | None = None, *args: str) -> tuple[int, str]:
    result = repo.gatekit("check", "--rev", "HEAD", *args, env=env)
    return result.returncode, result.stdout + result.stderr


def test_a_pass_under_rustup_nightly_is_not_reused_once_stable_is_the_default(
    repo: Repo, tmp_path: Path
) -> None:
    # The toolchain changes behind the same `rustc` proxy and the same environment variables:
    # only resolving the proxy tells the two apart.
    home = linked_rustup_home(tmp_path / "rustup", "nightly")
    configure(
        repo,
        '[[gates]]\nname = "nightly-only"\nrun = ["rustc", "-Z", "unstable-options", "--print", "sysroot"]\n',
    )
    env = {"RUSTUP_HOME": str(home)}
    code, out = check(repo, env)
    assert code == 0, out
    set_default_toolchain(home, "stable")
    code, out = check(repo, env)
    assert code == 1, out  # stable rejects -Z: the gate really ran
    assert "verdict cached" not in out


def test_a_pass_under_rustup_toolchain_nightly_is_not_reused_under_stable(repo: Repo) -> None:
    configure(
        repo,
        '[[gates]]\nname = "nightly-only"\nrun = ["rustc", "-Z", "unstable-options", "--print", "sysroot"]\n',
    )
    code, out = check(repo, {"RUSTUP_TOOLCHAIN": "nightly"})
    assert code == 0, out
    code, out = check(repo, {"RUSTUP_TOOLCHAIN": "stable"})
    assert code == 1, out
    code, out = check(repo, {"RUSTUP_TOOLCHAIN": "nightly"})
    assert code == 0 and "verdict cached" in out, out  # the nightly verdict still stands


def test_a_pass_under_one_pyenv_version_is_not_reused_under_another(repo: Repo) -> None:
    versions = pyenv_versions()
    configure(repo, f'[[gates]]\nname = "old-python"\nrun = ["python", "-c", {json.dumps(OLD_PYTHON)}]\n')
    # The pyenv shim first on PATH: the interpreter is chosen by PYENV_VERSION behind it.
    path = f"{pyenv_shims()}{os.pathsep}{repo.env['PATH']}"
    old, new = _oldest_and_newest(versions)
    assert old == "3.9" and new != old, versions
    code, out = check(repo, {"PATH": path, "PYENV_VERSION": _full(versions[old])})
    assert code == 0, out
    code, out = check(repo, {"PATH": path, "PYENV_VERSION": _full(versions[new])})
    assert code == 1, out
    assert "verdict cached" not in out


@pytest.mark.parametrize("config_dir", ["default", "MISE_CONFIG_DIR"])
def test_a_pass_under_one_mise_python_is_not_reused_under_another(
    repo: Repo, tmp_path: Path, config_dir: str
) -> None:
    versions = pyenv_versions()
    old, new = _oldest_and_newest(versions)
    env = {**repo.env, "MISE_YES": "1"}
    if config_dir == "MISE_CONFIG_DIR":
        env["MISE_CONFIG_DIR"] = str(tmp_path / "mise-config")
    mise, shims = mise_with_pythons(env, {old: versions[old], new: versions[new]})
    configure(repo, f'[[gates]]\nname = "old-python"\nrun = ["python", "-c", {json.dumps(OLD_PYTHON)}]\n')
    # mise's shims first on PATH (mise itself is not): the same `python` whatever mise selects.
    env["PATH"] = f"{shims}{os.pathsep}{repo.env['PATH']}"
    mise_use_global(mise, env, old)
    code, out = check(repo, env)
    assert code == 0, out
    mise_use_global(mise, env, new)
    code, out = check(repo, env)
    assert code == 1, out
    assert "verdict cached" not in out
    code, out = check(repo, {**env, "MISE_PYTHON_VERSION": old})  # chosen by a variable
    assert code == 0, out


def _oldest_and_newest(versions: dict[str, Path]) -> tuple[str, str]:
    ordered = sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))
    return ordered[0], ordered[-1]


def _full(bin_dir: Path) -> str:
    return bin_dir.parent.name


def test_a_shell_gate_is_keyed_on_every_program_it_names(repo: Repo) -> None:
    versions = pyenv_versions()
    configure(
        repo,
        f'[[gates]]\nname = "old-python"\nshell = true\nrun = {json.dumps("cd . && python3 -c " + repr(OLD_PYTHON))}\n',
    )
    code, out = check(repo, {"PATH": f"{versions['3.9']}{os.pathsep}{repo.env['PATH']}"})
    assert code == 0, out
    newest = versions[_oldest_and_newest(versions)[1]]
    code, out = check(repo, {"PATH": f"{newest}{os.pathsep}{repo.env['PATH']}"})
    assert code == 1, out


def test_a_pass_in_one_virtualenv_is_not_reused_in_another_lacking_a_dependency(
    repo: Repo, tmp_path: Path
) -> None:
    with_dep = make_venv(tmp_path / "venv-a", {"needed_dep": "VALUE = 1\n"})
    without = make_venv(tmp_path / "venv-b")
    configure(repo, '[[gates]]\nname = "imports"\nrun = ["python", "-c", "import needed_dep"]\n')
    code, out = check(repo, activated(repo.env, with_dep))
    assert code == 0, out
    code, out = check(repo, activated(repo.env, without))
    assert code == 1, out
    # Same virtualenv, the dependency uninstalled: its site-packages changed, so the gate reruns.
    code, out = check(repo, activated(repo.env, with_dep))
    assert code == 0 and "verdict cached" in out, out
    (site_packages(with_dep) / "needed_dep.py").unlink()
    code, out = check(repo, activated(repo.env, with_dep))
    assert code == 1, out


def test_a_venv_on_path_without_virtual_env_is_still_told_apart(repo: Repo, tmp_path: Path) -> None:
    with_dep = make_venv(tmp_path / "venv-a", {"needed_dep": "VALUE = 1\n"})
    without = make_venv(tmp_path / "venv-b")
    configure(repo, '[[gates]]\nname = "imports"\nrun = ["python", "-c", "import needed_dep"]\n')
    base = repo.env["PATH"]
    code, out = check(repo, {"PATH": f"{with_dep / 'bin'}{os.pathsep}{base}"})
    assert code == 0, out
    code, out = check(repo, {"PATH": f"{without / 'bin'}{os.pathsep}{base}"})
    assert code == 1, out


def test_a_pass_in_the_project_s_venv_is_not_reused_once_the_venv_is_recreated_without_a_dependency(
    repo: Repo,
) -> None:
    # Not activated: gatekit finds the project's .venv and runs the gate with it, so the key
    # must hold that environment, not the interpreter the user's PATH names.
    configure(
        repo,
        '[[gates]]\nname = "imports"\nrun = ["python", "-c", "import needed_dep"]\n',
        {".gitignore": ".venv/\n"},
    )
    venv = repo.path / ".venv"
    make_venv(venv, {"needed_dep": "VALUE = 1\n"})
    code, out = check(repo)
    assert code == 0, out
    code, out = check(repo)
    assert code == 0 and "verdict cached" in out, out
    shutil.rmtree(venv)
    make_venv(venv)  # the same place, another dependency set
    code, out = check(repo)
    assert code == 1, out
    assert "verdict cached" not in out


def test_a_pass_in_the_project_s_venv_is_not_reused_once_it_is_recreated_with_another_python(
    repo: Repo,
) -> None:
    versions = pyenv_versions()
    old, new = _oldest_and_newest(versions)
    configure(
        repo,
        f'[[gates]]\nname = "old-python"\nrun = ["python", "-c", {json.dumps(OLD_PYTHON)}]\n',
        {".gitignore": ".venv/\n"},
    )
    venv = repo.path / ".venv"
    make_venv(venv, python=str(versions[old] / "python3"))
    code, out = check(repo)
    assert code == 0, out
    shutil.rmtree(venv)
    make_venv(venv, python=str(versions[new] / "python3"))
    code, out = check(repo)
    assert code == 1, out
    assert "verdict cached" not in out


def test_an_inherited_rustflags_is_part_of_the_key(repo: Repo) -> None:
    repo.write_files(
        {
            "Cargo.toml": '[package]\nname = "warns"\nversion = "0.1.0"\nedition = "2021"\n',
            "src/main.rs": "fn main() {\n    let unused = 1;\n}\n",
            ".gitignore": "target/\n",
        }
    )
    configure(repo, '[[gates]]\nname = "build"\nrun = ["cargo", "build", "--offline", "-q"]\n')
    code, out = check(repo)
    assert code == 0, out
    code, out = check(repo, {"RUSTFLAGS": "-D warnings"})
    assert code == 1, out
    assert "unused" in out


def test_variables_named_in_verdicts_env_are_part_of_the_key(repo: Repo) -> None:
    gate = 'import os, sys; sys.exit(1 if os.environ.get("MY_FLAG") else 0)'
    configure(
        repo,
        f'[verdicts]\nenv = ["MY_FLAG"]\n\n[[gates]]\nname = "flag"\nrun = ["python3", "-c", {json.dumps(gate)}]\n',
    )
    code, out = check(repo)
    assert code == 0, out
    code, out = check(repo, {"MY_FLAG": "1"})
    assert code == 1, out


def test_verdicts_explain_shows_what_a_verdict_was_keyed_on(repo: Repo) -> None:
    configure(
        repo,
        '[verdicts]\nenv = ["MY_FLAG"]\n\n[[gates]]\nname = "nightly-only"\nshell = true\n'
        'run = "cd . && rustc -Z unstable-options --print sysroot"\n',
    )
    env = {"RUSTUP_TOOLCHAIN": "nightly", "RUSTFLAGS": "-C debuginfo=0", "MY_FLAG": "on"}
    code, out = check(repo, env)
    assert code == 0, out
    result = repo.gatekit("verdicts", "explain", "HEAD", env=env)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "nightly-only" in text and "passed" in text
    assert "rustc" in text and "nightly" in text  # the resolved toolchain, not the proxy
    assert "RUSTFLAGS=-C debuginfo=0" in text and "RUSTUP_TOOLCHAIN=nightly" in text
    assert "MY_FLAG=on" in text
    assert "matches the current environment" in text
    changed = repo.gatekit("verdicts", "explain", "HEAD", env={**env, "RUSTFLAGS": ""})
    assert "differs from the current environment in: env RUSTFLAGS" in changed.stdout, changed.stdout
    as_json = repo.gatekit("verdicts", "explain", "HEAD", "--format", "json", env=env)
    (entry,) = json.loads(as_json.stdout)["verdicts"]
    assert entry["key"]["environ"]["RUSTUP_TOOLCHAIN"] == "nightly"
    assert "rustc" in entry["key"]["tools"]


def test_verdicts_explain_on_a_tree_without_verdicts_and_bad_input(repo: Repo) -> None:
    result = repo.gatekit("verdicts", "explain", "HEAD")
    assert result.returncode == 0 and "no verdict recorded" in result.stdout
    bad = repo.gatekit("verdicts", "explain", "no-such-rev")
    assert bad.returncode == 2 and "no-such-rev" in bad.stderr

"""The git hooks' own entry: every guard of a hook in one click-free process (issue 13)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.repo import REPO_ROOT, Repo, gatekit_env, init_repo

GATE = '[[gates]]\nname = "noop"\nrun = ["true"]\n'

# Runs `gatekit hook ...` as the installed hooks do, and writes the modules it loaded to argv[1].
PROBE = """
import atexit, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
from gatekit.__main__ import main
main()
"""


@pytest.fixture
def work_repo(tmp_path: Path, git_env: dict[str, str]) -> Repo:
    """A repository on branch work (main is protected) with a no-op gate and a staged change."""
    repo = init_repo(tmp_path / "repo", git_env, {"gatekit.toml": GATE, "a.txt": "a\n"})
    repo.git("checkout", "-q", "-b", "work")
    repo.write("a.txt", "b\n")
    repo.git("add", "a.txt")
    return repo


def modules_of(repo: Repo, tmp_path: Path, *argv: str) -> set[str]:
    out = tmp_path / "modules"
    result = subprocess.run(
        [sys.executable, "-S", "-c", PROBE, str(out), *argv],
        cwd=repo.path,
        env=gatekit_env(repo.env),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return set(out.read_text().split())


@pytest.mark.parametrize(
    "argv",
    [
        ("hook", "pre-commit"),
        ("hook", "post-commit"),
        ("protect",),  # the pre-commit manifest's single-guard entries
        ("overlap", "--staged"),
        ("snapshot", "--quiet"),
    ],
)
def test_hook_path_never_imports_click_nor_the_cli(
    work_repo: Repo, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    modules = modules_of(work_repo, tmp_path, *argv)
    assert "gatekit.integrations.hook_entry" in modules  # the probe ran the hook
    assert not {
        m for m in modules if m == "click" or m.startswith(("click.", "gatekit.cli", "gatekit.commands"))
    }


def test_pre_commit_guards_share_one_repository_discovery_and_one_status(
    work_repo: Repo, tmp_path: Path
) -> None:
    trace = tmp_path / "trace"
    result = work_repo.gatekit("hook", "pre-commit", env={"GIT_TRACE": str(trace)})
    assert result.returncode == 0, result.stderr
    commands = [
        line.split("built-in: git ", 1)[1]
        for line in trace.read_text().splitlines()
        if "built-in: git " in line
    ]
    discoveries = [c for c in commands if "--show-toplevel" in c]
    assert len(discoveries) <= 1, commands  # none at a main worktree's root: read from its files
    assert len([c for c in commands if c.startswith("status")]) == 1, commands
    assert len([c for c in commands if c.startswith("symbolic-ref")]) <= 1, commands
    assert len([c for c in commands if c.startswith("write-tree")]) == 1, commands


def test_commit_through_installed_hooks_runs_every_guard_and_records_the_verdict(work_repo: Repo) -> None:
    installed = work_repo.gatekit("install-hooks")
    assert installed.returncode == 0, installed.stderr
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "change"],
        cwd=work_repo.path,
        env=work_repo.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "noop" in result.stderr  # the check guard ran the gate
    tree = work_repo.rev("HEAD^{tree}")
    assert "passed" in work_repo.git("notes", "--ref=refs/notes/gatekit", "show", tree)


def test_installed_hook_still_refuses_a_commit_on_a_protected_branch(work_repo: Repo) -> None:
    work_repo.gatekit("install-hooks")
    work_repo.git("checkout", "-q", "main")
    work_repo.write("a.txt", "c\n")
    work_repo.git("add", "a.txt")
    result = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=work_repo.path,
        env=work_repo.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "main" in result.stderr


def test_post_commit_in_a_clean_worktree_starts_no_python_and_a_dirty_one_is_snapshotted(
    work_repo: Repo, tmp_path: Path
) -> None:
    log = tmp_path / "pythons"
    recorder = tmp_path / "python"
    recorder.write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {sys.executable} "$@"\n')
    recorder.chmod(0o755)
    env = {**gatekit_env(work_repo.env), "GATEKIT_PYTHON": str(recorder)}
    assert work_repo.gatekit("install-hooks").returncode == 0

    def commit(message: str) -> None:
        result = subprocess.run(
            ["git", "commit", "-q", "-m", message], cwd=work_repo.path, env=env, capture_output=True
        )
        assert result.returncode == 0, result.stderr

    commit("clean after")  # the staged change; nothing else is dirty
    assert "post-commit" not in log.read_text()
    work_repo.write("b.txt", "b\n")
    work_repo.git("add", "b.txt")
    work_repo.write("notes.txt", "uncommitted\n")
    commit("dirty after")
    assert "hook post-commit" in log.read_text()
    assert work_repo.git("for-each-ref", "refs/gatekit/snapshots/").strip()


def test_a_served_hook_s_client_loads_only_what_it_hands_over_with(work_repo: Repo, tmp_path: Path) -> None:
    """The client of every hook start: `os` (collections.abc, posixpath), `typing`, `re`, `enum`
    would each cost a commit more than the whole hand-over. It loads gatekit's few client
    modules, and only when the server cannot take the run, the rest."""
    from testing.resident import resident_env, servers, stop_servers

    out = tmp_path / "modules"
    sockets = tmp_path / "sockets"
    env = resident_env(gatekit_env(work_repo.env), sockets)
    # As the installed hook starts it: the module path it kept, not the current directory first.
    probe = PROBE.replace("out = sys.argv.pop(1)", "out = sys.argv.pop(1)\nsys.path[0:1] = [sys.argv.pop(1)]")
    argv = [sys.executable, "-S", "-c", probe, str(out), str(REPO_ROOT), "hook", "pre-commit"]
    try:
        first = subprocess.run(argv, cwd=work_repo.path, env=env, capture_output=True, text=True)
        assert first.returncode == 0, first.stderr  # ran here, and started a server for the next
        for _ in range(500):
            if servers(sockets) and list(sockets.glob("*.sock")):
                break
            time.sleep(0.02)
        served = subprocess.run(argv, cwd=work_repo.path, env=env, capture_output=True, text=True)
        assert served.returncode == 0, served.stderr
        modules = set(out.read_text().split())
        assert "gatekit.integrations.hook_entry" not in modules  # the server ran it
        assert "gatekit.resident.client" in modules
        assert not modules & {"os", "posixpath", "collections", "typing", "re", "enum", "signal", "socket"}
    finally:
        stop_servers(sockets)


# Runs a hook as a resident server's worker does: its modules loaded (and warmed) before, then the
# hook; writes every regular expression the hook compiled to argv[1].
WARMED_PROBE = """
import importlib, re, sys
out = sys.argv.pop(1)
from gatekit.resident.server import WARM_MODULES
for name in WARM_MODULES:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
from gatekit.config import warm_type_hints
warm_type_hints()
compiled = []
original = re._compile
def recording(pattern, flags):
    if (type(pattern), pattern, flags) not in re._cache:
        compiled.append(repr(pattern))
    return original(pattern, flags)
re._compile = recording
import atexit
atexit.register(lambda: open(out, "w").write("\\n".join(compiled)))
from gatekit.__main__ import dispatch
dispatch(sys.argv[1:])
"""


def test_a_warmed_worker_compiles_no_pattern_for_a_commit(work_repo: Repo, tmp_path: Path) -> None:
    """Every served commit is a worker forked from the warmed server: a pattern compiled while
    the hook runs is compiled again on every commit, in every worker."""
    out = tmp_path / "compiled"
    env = {**gatekit_env(work_repo.env), "GIT_INDEX_FILE": ".git/index"}
    argv = [sys.executable, "-c", WARMED_PROBE, str(out), "hook", "pre-commit"]
    result = subprocess.run(argv, cwd=work_repo.path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.read_text() == ""

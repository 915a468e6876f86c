"""The click-free `gatekit clobber` fast path: same answers as the CLI, or it steps aside."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gatekit.guard.clobber_entry import parse
from testing.guard import Writer
from testing.repo import REPO_ROOT, Repo


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["clobber"], {"--staged": False, "--format": "text"}),
        (["clobber", "--staged", "--format=json"], {"--staged": True, "--format": "json"}),
        (
            ["clobber", "--session", "a b", "--since", "2h"],
            {"--staged": False, "--format": "text", "--session": "a b", "--since": "2h"},
        ),
        (["clobber", "--help"], None),
        (["clobber", "--severity", "bogus"], None),
        (["clobber", "--since"], None),
        (["-C", "x", "clobber"], None),
        (["snapshot"], None),
    ],
)
def test_parse_takes_only_plain_spellings(argv: list[str], expected: dict | None) -> None:
    assert parse(argv) == expected


def test_fast_path_reads_severity_from_pyproject(repo: Repo) -> None:
    repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.gatekit.guard]\nseverity = "high"\n')
    w = Writer(repo, "A").start()
    (repo.path / ".git" / "index.lock").write_bytes(b"")  # a medium signal
    assert w.clobber().returncode == 0
    assert w.clobber("--severity", "medium").returncode == 1


def test_fast_path_and_click_path_print_the_same_report(repo: Repo) -> None:
    w = Writer(repo, "A").start()
    repo.git("reset", "--hard", "HEAD")
    fast = w.clobber("--format", "json")
    env = {**repo.env, "PYTHONPATH": str(REPO_ROOT), "GATEKIT_SESSION": "A"}
    slow = subprocess.run(
        [
            sys.executable,
            "-c",
            "from gatekit.cli import main; main()",
            "clobber",
            "--format",
            "json",
        ],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout)
    assert fast.returncode == 1


def test_fast_path_config_errors_exit_2(repo: Repo) -> None:
    repo.write("gatekit.toml", "[guard]\nseverity = 'extreme'\n")
    result = repo.gatekit("clobber")
    assert result.returncode == 2 and "guard.severity" in result.stderr


@pytest.mark.parametrize(
    "launch",
    [
        "runpy.run_module('gatekit', run_name='__main__')",  # python -m gatekit
        "__import__('gatekit.__main__', fromlist=['main']).main()",  # the `gatekit` script
    ],
)
def test_fast_path_does_not_import_click(repo: Repo, launch: str) -> None:
    probe = (
        "import runpy, sys; sys.argv = ['gatekit', 'clobber']\n"
        f"try:\n    {launch}\n"
        "except SystemExit:\n    pass\n"
        "print('click' in sys.modules, 'git' in sys.modules, 'watchdog' in sys.modules)"
    )
    env = {**repo.env, "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.path, env=env, capture_output=True, text=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False False False", out.stderr
    assert "no clobber signals" in out.stdout

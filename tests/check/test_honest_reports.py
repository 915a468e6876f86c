"""Reports that say what was and was not checked (issue 11, item 6)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from testing.repo import Repo


def configure(repo: Repo, body: str) -> None:
    repo.write("gatekit.toml", body)
    repo.commit("configure gatekit")


def wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.02)


def test_a_check_of_head_says_which_uncommitted_files_it_did_not_check(repo: Repo) -> None:
    configure(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    repo.write("README.md", "edited\n")
    repo.write("new file.txt", "x\n")
    repo.write("staged.txt", "s\n")
    repo.git("add", "staged.txt")
    result = repo.gatekit("check")
    assert result.returncode == 0
    assert "3 uncommitted files were not checked (HEAD was); use --worktree to check them" in result.stdout
    as_json = json.loads(repo.gatekit("check", "--format", "json").stdout)
    assert any("3 uncommitted files were not checked" in note for note in as_json["notes"])
    staged = repo.gatekit("check", "--staged")
    assert "2 unstaged files were not checked (the staged tree was); use --worktree" in staged.stdout


def test_a_clean_worktree_or_another_revision_gets_no_notice(repo: Repo) -> None:
    configure(repo, '[[gates]]\nname = "ok"\nrun = "true"\n')
    assert "not checked" not in repo.gatekit("check").stdout
    repo.write("README.md", "edited\n")
    other = repo.rev("HEAD~1")
    assert "not checked" not in repo.gatekit("check", "--rev", other).stdout


def test_fail_fast_reports_the_gates_it_skipped_in_text_json_and_junit(repo: Repo, tmp_path: Path) -> None:
    configure(
        repo,
        '[[gates]]\nname = "one"\nrun = "false"\n[[gates]]\nname = "two"\nrun = "true"\n'
        '[[gates]]\nname = "three"\nrun = "true"\n',
    )
    junit = tmp_path / "junit.xml"
    result = repo.gatekit("check", "--fail-fast", "--junit", str(junit))
    assert result.returncode == 1
    assert "SKIPPED   two" in result.stdout and "SKIPPED   three" in result.stdout
    assert "not run: --fail-fast stopped at one" in result.stdout
    as_json = json.loads(repo.gatekit("check", "--fail-fast", "--format", "json").stdout)
    assert [(g["name"], g["status"]) for g in as_json["gates"]] == [
        ("one", "failed"),
        ("two", "skipped"),
        ("three", "skipped"),
    ]
    cases = {c.get("name"): c for c in ElementTree.parse(junit).getroot().iter("testcase")}
    assert cases["two"].find("skipped") is not None and cases["one"].find("failure") is not None


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_still_writes_summary_json_and_junit(
    repo: Repo, tmp_path: Path, sig: signal.Signals
) -> None:
    marker = tmp_path / "second-started"
    configure(
        repo,
        '[[gates]]\nname = "first"\nrun = "true"\n'
        f'[[gates]]\nname = "second"\nshell = true\nrun = "touch {marker}; sleep 300"\n'
        '[[gates]]\nname = "third"\nrun = "true"\n',
    )
    junit = tmp_path / "junit.xml"
    proc = repo.spawn_gatekit("check", "--format", "json", "--junit", str(junit), text=True)
    wait_for(marker)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    report = json.loads(out)
    statuses = [(g["name"], g["status"]) for g in report["gates"]]
    assert statuses == [("first", "passed"), ("second", "interrupted"), ("third", "skipped")]
    assert report["passed"] is False and report["exit_code"] == 130
    assert "INTERRUPTED second" in err and "interrupted" in report["headline"]
    cases = {c.get("name"): c for c in ElementTree.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"first", "second", "third"}
    assert cases["second"].find("error") is not None
    # An interrupted gate is no verdict: the next run runs it again.
    marker.unlink()
    again = repo.spawn_gatekit(
        "check", "--gate", "second", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(marker)
    again.send_signal(signal.SIGINT)
    assert again.wait(timeout=60) == 130


def test_an_unreachable_registry_is_a_network_error_and_never_a_verdict(repo: Repo, tmp_path: Path) -> None:
    # A real pip against an index nobody listens on: the failure is the network's, not the tree's.
    download = (
        "python3 -m pip download --isolated --no-deps --retries 1 --timeout 2 --disable-pip-version-check "
        f"--no-cache-dir --index-url http://127.0.0.1:9/simple -d {tmp_path / 'dl'} left-pad-xyz"
    )
    configure(repo, f'[[gates]]\nname = "deps"\nshell = true\nrun = "{download}"\n')
    result = repo.gatekit("check", "--format", "json")
    assert result.returncode == 1, result.stderr
    (gate,) = json.loads(result.stdout)["gates"]
    assert gate["status"] == "network error", gate
    assert "the network was unreachable" in gate["message"]
    notes = repo.git("notes", "--ref=refs/notes/gatekit", "list")
    assert notes == ""  # nothing cached: the next run tries again


def test_go_offline_module_lookup_is_a_network_error(repo: Repo) -> None:
    repo.write_files(
        {
            "go.mod": "module example.com/app\n\ngo 1.19\n\nrequire example.com/absent v1.0.0\n",
            "main.go": 'package main\n\nimport "example.com/absent"\n\nfunc main() { absent.Run() }\n',
        }
    )
    repo.commit("go app")
    result = repo.gatekit("check", "--gate", "go build", env={"GOPROXY": "off", "GOFLAGS": "-mod=mod"})
    assert result.returncode == 1
    assert "NETWORK ERROR" in result.stdout.upper() and "GOPROXY=off" in result.stdout


def test_land_blames_no_branch_when_the_network_is_down(repo: Repo) -> None:
    repo.write_files(
        {
            "go.mod": "module example.com/app\n\ngo 1.19\n\nrequire example.com/absent v1.0.0\n",
            "main.go": 'package main\n\nimport "example.com/absent"\n\nfunc main() { absent.Run() }\n',
        }
    )
    repo.commit("go app")
    repo.git("checkout", "-q", "-b", "feature")
    repo.commit("docs", {"README.md": "more\n"})
    repo.git("checkout", "-q", "main")
    before = repo.rev("main")
    result = repo.gatekit("land", "feature", "--onto", "main", env={"GOPROXY": "off", "GOFLAGS": "-mod=mod"})
    assert result.returncode == 1
    assert "could not verify" in result.stderr and "retry once the network is back" in result.stderr
    assert "refused: feature" not in result.stdout
    assert repo.rev("main") == before

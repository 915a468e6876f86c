"""Affected mode on a real Cargo workspace: changed crates plus their reverse dependents."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gatekit.toolchains import plan_affected
from testing.repo import Repo
from testing.workspaces import CORE_LIB_CHANGED, cargo_workspace, core_coordinator_workspace

pytestmark = pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")


@pytest.fixture
def workspace(make_repo) -> Repo:  # type: ignore[no-untyped-def]
    repo: Repo = make_repo("ws", core_coordinator_workspace())
    repo.git("checkout", "-q", "-b", "topic")
    return repo


def changed_since_main(repo: Repo) -> list[str]:
    out = repo.git("diff", "--name-only", "-z", "--no-renames", "main...HEAD")
    return [path for path in out.split("\0") if path]


def test_change_in_core_selects_core_and_coordinator(workspace: Repo) -> None:
    workspace.commit("retype port", {"core/src/lib.rs": CORE_LIB_CHANGED})
    plan = plan_affected(workspace.path, changed_since_main(workspace))
    assert plan.whole is False
    assert plan.packages == ("core", "coordinator")
    assert plan.reasons == ("crate `core` changed; `coordinator` depends on it",)
    assert [(g.name, g.run) for g in plan.gates] == [
        ("cargo build", ("cargo", "build", "-p", "core", "-p", "coordinator")),
        ("cargo test", ("cargo", "test", "-p", "core", "-p", "coordinator")),
    ]


def test_change_in_coordinator_selects_only_coordinator(workspace: Repo) -> None:
    workspace.commit("tweak", {"coordinator/src/extra.rs": "// more\n"})
    plan = plan_affected(workspace.path, changed_since_main(workspace))
    assert (plan.whole, plan.packages) == (False, ("coordinator",))
    assert plan.gates[0].run == ("cargo", "build", "-p", "coordinator")


@pytest.mark.parametrize("changed", ["Cargo.lock", "Cargo.toml", "rust-toolchain.toml", ".cargo/config.toml"])
def test_workspace_level_file_change_runs_the_whole_workspace(workspace: Repo, changed: str) -> None:
    plan = plan_affected(workspace.path, [changed])
    assert plan.whole is True
    assert plan.reasons == (f"`{changed}` changed: the whole cargo workspace runs",)
    assert [g.run for g in plan.gates] == [
        ("cargo", "build", "--workspace"),
        ("cargo", "test", "--workspace"),
    ]


def test_file_outside_every_crate_runs_the_whole_workspace(workspace: Repo) -> None:
    plan = plan_affected(workspace.path, ["docs/guide.md"])
    assert plan.whole is True
    assert "`docs/guide.md` is outside every crate" in plan.reasons[0]


def test_transitive_dependents_are_selected_with_a_reason_each(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo("chain", cargo_workspace({"base": [], "mid": ["base"], "top": ["mid"], "other": []}))
    plan = plan_affected(repo.path, ["base/src/lib.rs"])
    assert plan.packages == ("base", "mid", "top")
    assert plan.reasons == ("crate `base` changed; `mid` depends on it", "`top` depends on `mid`")


@pytest.mark.parametrize("name", ["with space.rs", "café.rs", "-dash.rs", "new\nline.rs"])
def test_nasty_changed_file_names_map_to_their_crate(workspace: Repo, name: str) -> None:
    workspace.commit("odd file", {f"coordinator/src/{name}": "// odd\n"})
    changed = changed_since_main(workspace)
    assert changed == [f"coordinator/src/{name}"]
    assert plan_affected(workspace.path, changed).packages == ("coordinator",)


def test_missing_cargo_falls_back_to_whole_workspace_and_says_why(
    workspace: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    plan = plan_affected(workspace.path, ["core/src/lib.rs"])
    assert plan.whole is True
    assert plan.reasons == (
        "`cargo` is not installed, so the crate graph is unknown: the whole cargo workspace runs",
    )


def test_unreadable_workspace_manifest_falls_back_naming_the_cargo_error(workspace: Repo) -> None:
    workspace.write("coordinator/Cargo.toml", "[package\n")
    plan = plan_affected(workspace.path, ["core/src/lib.rs"])
    assert plan.whole is True
    assert plan.reasons[0].startswith("`cargo metadata` failed: ")


def test_scoped_gate_from_plan_fails_on_a_change_that_breaks_the_dependent(workspace: Repo) -> None:
    """core compiles alone, its dependent coordinator does not: the plan catches it."""
    workspace.commit("retype port", {"core/src/lib.rs": CORE_LIB_CHANGED})
    env = {**workspace.env, "CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never"}
    alone = subprocess.run(["cargo", "check", "-p", "core"], cwd=workspace.path, env=env, capture_output=True)
    assert alone.returncode == 0, alone.stderr.decode()

    plan = plan_affected(workspace.path, changed_since_main(workspace))
    build = next(g for g in plan.gates if g.name == "cargo build")
    result = subprocess.run(build.run, cwd=workspace.path / build.cwd, env=env, capture_output=True)
    assert result.returncode != 0
    assert "coordinator" in result.stderr.decode()
    assert "mismatched types" in result.stderr.decode()


def test_scoped_gate_passes_on_the_unchanged_workspace(workspace: Repo) -> None:
    plan = plan_affected(workspace.path, ["core/src/lib.rs"])
    env = {**workspace.env, "CARGO_NET_OFFLINE": "true"}
    for gate in plan.gates:
        result = subprocess.run(gate.run, cwd=workspace.path / gate.cwd, env=env, capture_output=True)
        assert result.returncode == 0, (gate.name, result.stderr.decode())

"""`gatekit init`: starter config, pre-commit entry, CI include; never overwrites a file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatekit.config import load_config
from testing.repo import Repo


def test_init_writes_config_precommit_and_detected_gitlab_include(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo: Repo = make_repo("proj", {"go.mod": "module example.com/x\n", "main.go": "package main\n"})
    repo.git("remote", "add", "origin", "git@gitlab.example.com:group/x.git")
    result = repo.gatekit("init")
    assert result.returncode == 0, result.stderr
    assert "wrote gatekit.toml" in result.stdout
    # Detected gates stay detected (so --affected can scope them): listed, commented out.
    assert load_config(repo.path).gates == ()
    text = (repo.path / "gatekit.toml").read_text()
    assert '# run = "go build ./..."' in text and '# run = "go test ./..."' in text
    example = ("# [[", "# name =", "# run =")
    uncommented = "\n".join(line[2:] if line.startswith(example) else line for line in text.splitlines())
    (repo.path / "gatekit.toml").write_text(uncommented)
    assert [gate.run[:2] for gate in load_config(repo.path).gates] == [("go", "build"), ("go", "test")]
    precommit = yaml.safe_load((repo.path / ".pre-commit-config.yaml").read_text())
    hook_ids = [hook["id"] for hook in precommit["repos"][0]["hooks"]]
    assert "gatekit-check" in hook_ids and "gatekit-check-push" in hook_ids
    gitlab = yaml.safe_load((repo.path / ".gitlab-ci.yml").read_text())
    assert gitlab["include"][0]["file"] == "/templates/gatekit.yml"
    assert not (repo.path / ".github").exists()


def test_init_detects_github_from_the_remote_and_writes_a_caller_workflow(repo: Repo) -> None:
    repo.git("remote", "add", "origin", "https://github.com/acme/widgets.git")
    result = repo.gatekit("init", "--no-pre-commit")
    assert result.returncode == 0, result.stderr
    workflow = yaml.safe_load((repo.path / ".github" / "workflows" / "gatekit.yml").read_text())
    assert workflow["jobs"]["gatekit"]["uses"].endswith("/.github/workflows/gatekit.yml@v0.1.0")
    assert not (repo.path / ".pre-commit-config.yaml").exists()


@pytest.mark.parametrize("existing", [".pre-commit-config.yaml", ".gitlab-ci.yml", "gatekit.toml"])
def test_init_never_overwrites_and_prints_the_snippet_instead(repo: Repo, existing: str) -> None:
    original = b"# mine, do not touch\n"
    repo.write(existing, original)
    result = repo.gatekit("init", "--ci", "gitlab")
    assert result.returncode == 0, result.stderr
    assert repo.read(existing) == original
    assert f"{existing}: exists, not changed; add this" in result.stdout
    snippet_marker = {
        ".pre-commit-config.yaml": "id: gatekit-check",
        ".gitlab-ci.yml": "/templates/gatekit.yml",
        "gatekit.toml": 'target = "main"',
    }
    assert snippet_marker[existing] in result.stdout


def test_init_with_a_gatekit_table_in_pyproject_prints_a_tool_gatekit_snippet(repo: Repo) -> None:
    pyproject = b"[project]\nname = 'x'\n\n[tool.gatekit]\ntarget = 'main'\n"
    repo.write("pyproject.toml", pyproject)
    result = repo.gatekit("init", "--ci", "none", "--no-pre-commit")
    assert result.returncode == 0, result.stderr
    assert repo.read("pyproject.toml") == pyproject
    assert not (repo.path / "gatekit.toml").exists()
    assert "[tool.gatekit]" in result.stdout and "[[tool.gatekit.check.gates]]" in result.stdout


def test_init_dry_run_writes_nothing(repo: Repo) -> None:
    before = set(repo.path.iterdir())
    result = repo.gatekit("init", "--dry-run", "--ci", "github")
    assert result.returncode == 0, result.stderr
    assert set(repo.path.iterdir()) == before
    assert "would write" in result.stdout and "merge_group" in result.stdout


def test_init_without_toolchain_writes_a_valid_config_with_a_commented_example(repo: Repo) -> None:
    assert repo.gatekit("init", "--ci", "none", "--no-pre-commit").returncode == 0
    text = (repo.path / "gatekit.toml").read_text()
    assert "# [[gates]]" in text and '# run = "make test"' in text
    assert load_config(repo.path).gates == ()


def test_init_unknown_remote_says_how_to_choose(repo: Repo) -> None:
    repo.git("remote", "add", "origin", "ssh://git.internal/x.git")
    result = repo.gatekit("init", "--no-pre-commit")
    assert result.returncode == 0
    assert "--ci gitlab|github" in result.stdout


def test_init_bad_ci_choice_is_a_usage_error(repo: Repo) -> None:
    result = repo.gatekit("init", "--ci", "jenkins")
    assert result.returncode == 2
    assert "jenkins" in result.stderr
    assert not (repo.path / "gatekit.toml").exists()


def test_init_pins_the_requested_hook_repo_and_rev(repo: Repo, tmp_path: Path) -> None:
    result = repo.gatekit("init", "--ci", "none", "--hook-repo", str(tmp_path / "fork"), "--rev", "abc123")
    assert result.returncode == 0, result.stderr
    entry = yaml.safe_load((repo.path / ".pre-commit-config.yaml").read_text())["repos"][0]
    assert entry["repo"] == str(tmp_path / "fork") and entry["rev"] == "abc123"


@pytest.mark.parametrize("ci", ["gitlab", "github"])
def test_init_dry_run_prints_exactly_what_init_writes(make_repo, ci: str) -> None:  # type: ignore[no-untyped-def]
    repo: Repo = make_repo("proj", {"Makefile": "all:\n\t@true\n"})
    dry = repo.gatekit("init", "--dry-run", "--ci", ci)
    assert dry.returncode == 0, dry.stderr
    shown: dict[str, str] = {}
    current = None
    for line in dry.stdout.splitlines(keepends=True):
        if line.endswith(": would write:\n"):
            current = line[: -len(": would write:\n")]
            shown[current] = ""
        elif current is not None and (line.startswith("    ") or line.strip() == ""):
            shown[current] += line[4:] if line.startswith("    ") else line
    assert list(repo.path.glob("*.toml")) == []  # the dry run wrote nothing
    assert repo.gatekit("init", "--ci", ci).returncode == 0
    assert len(shown) == 3
    for relative, text in shown.items():
        # The dry run puts a blank line after the header and one after the content.
        assert text.strip("\n") == (repo.path / relative).read_text().strip("\n"), relative

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.repo import run_gatekit


def task(folder: Path, name: str, frontmatter: str, body: str = "Do the thing.\n") -> Path:
    path = folder / name
    path.write_text(f"---\n{frontmatter}---\n\n# {name}\n\n{body}", encoding="utf-8")
    return path


def lint(folder: Path, env: dict[str, str], *files: Path | str) -> tuple[int, str, str]:
    result = run_gatekit(["plan", "lint", *map(str, files)], cwd=folder, env=env)
    return result.returncode, result.stdout, result.stderr


def test_wave_siblings_without_dispatch_policy_are_high(tmp_path: Path, git_env: dict[str, str]) -> None:
    a = task(tmp_path, "01-a.md", "wave: 2\nfiles_modified: [src/a.ts]\n")
    b = task(tmp_path, "02-b.md", "wave: 2\nfiles_modified: [src/b.ts]\n")
    code, out, _ = lint(tmp_path, git_env, a, b)
    assert code == 1
    assert out.count("HIGH") == 2
    assert "wave 2 has 1 sibling task(s) but no dispatch policy" in out


def test_single_named_file_is_judged_with_its_siblings_in_the_folder(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    a = task(tmp_path, "01-a.md", "wave: 2\n")
    task(tmp_path, "02-b.md", "wave: 2\ndispatch: commit-as-you-go\n")
    code, out, _ = lint(tmp_path, git_env, a)
    assert code == 1 and out.startswith(f"{a}: HIGH")
    assert "02-b.md" not in out


@pytest.mark.parametrize("policy", ["commit-as-you-go", "sequential", "worktree"])
def test_declared_policy_in_frontmatter_passes(tmp_path: Path, git_env: dict[str, str], policy: str) -> None:
    a = task(tmp_path, "a.md", f"wave: 3\ndispatch: {policy}\nfiles_modified: [src/a.ts]\n")
    b = task(tmp_path, "b.md", f"wave: 3\ndispatch: {policy}\nfiles_modified: [src/b.ts]\n")
    assert lint(tmp_path, git_env, a, b)[0] == 0


def test_policy_in_parallelization_strategy_section_passes(tmp_path: Path, git_env: dict[str, str]) -> None:
    body = "## Parallelization strategy\n\nEach executor runs with isolation: Worktree.\n\n## Steps\n- one\n"
    a = task(tmp_path, "a.md", "wave: 2\n", body)
    b = task(tmp_path, "b.md", "wave: 2\n", body)
    code, out, _ = lint(tmp_path, git_env, a, b)
    assert (code, out.strip()) == (0, "2 plan file(s): no advisories")


def test_unknown_policy_is_high(tmp_path: Path, git_env: dict[str, str]) -> None:
    a = task(tmp_path, "a.md", "wave: 2\ndispatch: yolo\n")
    b = task(tmp_path, "b.md", "wave: 2\ndispatch: sequential\n")
    code, out, _ = lint(tmp_path, git_env, a, b)
    assert code == 1 and "unknown dispatch policy 'yolo'" in out


def test_overlapping_files_on_shared_worktree_are_high_unless_isolated(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    a = task(
        tmp_path,
        "a.md",
        "wave: 1\ndispatch: commit-as-you-go\nfiles_modified: [src/app.ts, src/x.ts]\n",
    )
    b = task(tmp_path, "b.md", "wave: 1\ndispatch: commit-as-you-go\nfiles_modified: ['src/*.ts']\n")
    code, out, _ = lint(tmp_path, git_env, a, b)
    assert code == 1
    assert "both modify src/app.ts, src/x.ts" in out
    for path in (a, b):
        path.write_text(path.read_text().replace("commit-as-you-go", "worktree"))
    assert lint(tmp_path, git_env, a, b)[0] == 0


def test_single_task_waves_and_plain_markdown_pass(tmp_path: Path, git_env: dict[str, str]) -> None:
    a = task(tmp_path, "a.md", "wave: 1\n")
    b = task(tmp_path, "b.md", "wave: 2\n")
    readme = tmp_path / "README.md"
    readme.write_text("# just notes\n")
    code, out, _ = lint(tmp_path, git_env, tmp_path)
    assert (code, out.strip()) == (0, "1 plan file(s): no advisories")
    assert a.exists() and b.exists()


def test_json_output_lists_advisories(tmp_path: Path, git_env: dict[str, str]) -> None:
    task(tmp_path, "a.md", "wave: 2\n")
    task(tmp_path, "b.md", "wave: 2\n")
    result = run_gatekit(["plan", "lint", "--format", "json", "."], cwd=tmp_path, env=git_env)
    assert result.returncode == 1
    assert [a["severity"] for a in json.loads(result.stdout)] == ["HIGH", "HIGH"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("---\nwave: [unclosed\n---\nbody\n", "invalid YAML frontmatter"),
        ("---\n- a list\n---\n", "frontmatter must be a mapping"),
        ("---\nwave: 1\n", "never ends"),
        ("---\nfiles_modified: 3\n---\n", "files_modified must be a list"),
    ],
)
def test_malformed_task_file_is_a_usage_error(
    tmp_path: Path, git_env: dict[str, str], content: str, message: str
) -> None:
    bad = tmp_path / "bad task.md"
    bad.write_text(content)
    code, _, err = lint(tmp_path, git_env, bad)
    assert code == 2 and message in err and "bad task.md" in err


def test_missing_file_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    code, _, err = lint(tmp_path, git_env, tmp_path / "nope.md")
    assert code == 2 and "no such file" in err

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.fleet import planlint
from gatekit.fleet.planlint import policy_in_text
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
    assert "wave 2 has 1 sibling task but no dispatch policy" in out


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
    assert (code, out.strip()) == (0, "2 plan files: no advisories")


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
    assert (code, out.strip()) == (0, "2 plan files: no advisories")
    assert a.exists() and b.exists()


def test_json_output_lists_advisories(tmp_path: Path, git_env: dict[str, str]) -> None:
    task(tmp_path, "a.md", "wave: 2\n")
    task(tmp_path, "b.md", "wave: 2\n")
    result = run_gatekit(["plan", "lint", "--format", "json", "."], cwd=tmp_path, env=git_env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["version"], report["plan_files"]) == (1, 2)
    assert [a["severity"] for a in report["advisories"]] == ["HIGH", "HIGH"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("---\nwave: [unclosed\n---\nbody\n", "invalid YAML frontmatter"),
        ("---\n- a list\n---\n", "frontmatter must be a mapping"),
        ("---\nwave: 1\n", "never ends"),
        ("---\nfiles_modified: 3\n---\n", "files_modified must be a list"),
    ],
)
def test_a_malformed_task_file_is_one_finding_and_its_siblings_are_still_linted(
    tmp_path: Path, git_env: dict[str, str], content: str, message: str
) -> None:
    bad = tmp_path / "bad task.md"
    bad.write_text(content)
    a = task(tmp_path, "a.md", "wave: 2\n")
    task(tmp_path, "b.md", "wave: 2\n")
    code, out, _ = lint(tmp_path, git_env, bad, a)
    lines = out.splitlines()
    assert code == 1
    assert [line.split(": HIGH: ")[0] for line in lines] == [str(bad), str(a)]
    assert message in lines[0] and "no dispatch policy" in lines[1]


def test_missing_file_is_a_usage_error(tmp_path: Path, git_env: dict[str, str]) -> None:
    code, _, err = lint(tmp_path, git_env, tmp_path / "nope.md")
    assert code == 2 and "no such file" in err


CORPUS = Path(__file__).parent / "plans"


def test_the_plan_corpus_reads_like_a_person_would(tmp_path: Path, git_env: dict[str, str]) -> None:
    result = run_gatekit(["plan", "lint", "--format", "json", str(CORPUS)], cwd=tmp_path, env=git_env)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    found = {(Path(a["path"]).name, a["message"].split(" (")[0].split(";")[0]) for a in report["advisories"]}
    assert found == {
        ("01-03-PLAN.md", "wave 2 of phase 01-auth has 2 sibling tasks but no dispatch policy is declared"),
        (
            "02-02-PLAN.md",
            f"shares a worktree with {CORPUS}/phases/02-dashboard/02-03-PLAN.md in wave 2 of phase "
            "02-dashboard and both modify src/components/",
        ),
        ("02-05-PLAN.md", "line 5 invalid YAML frontmatter: expected ',' or ']', but got '<stream end>'"),
    }
    assert report["plan_files"] == 9


@pytest.mark.parametrize(
    ("sentence", "policy"),
    [
        ("Not sequential, no worktree isolation: executors share the tree.", None),
        ("Dispatch sequentially rather than in a worktree.", "sequential"),
        ("Each executor gets its own worktree.", "worktree"),
        ("COMMIT-AS-YOU-GO after every 1-2 files.", "commit-as-you-go"),
        ("We do not commit as you go; tasks run one at a time.", "sequential"),
        ("Without worktrees, but commit-as-you-go.", "commit-as-you-go"),
        ("No isolation at all.", None),
    ],
)
def test_policy_sentences_are_read_with_their_negations(sentence: str, policy: str | None) -> None:
    assert policy_in_text(sentence) == policy


@pytest.mark.parametrize(
    ("left", "right", "meets"),
    [
        ("src/api/", "src/api/routes.ts", True),
        ("src/api", "src/api/v2/x.ts", True),
        ("src/api", "src/apis/x.ts", False),
        ("src/**/*.ts", "src/api/", True),
        ("src/*.css", "src/api/x.ts", False),
        ("src/components/**", "src/components/*.tsx", True),
        ("./docs/a.md", "docs/a.md", True),
        ("lib/*.py", "tests/*.py", False),
    ],
)
def test_files_modified_entries_meet_as_paths_directories_and_globs(
    left: str, right: str, meets: bool
) -> None:
    assert (planlint._meets(left, right), planlint._meets(right, left)) == (meets, meets)

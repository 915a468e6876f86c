from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import pytest

from testing.fleet import numbered_lines, real_merge_conflicts
from testing.landing import branch_with
from testing.repo import Repo
from testing.state import capture_state

DB_PY = """def connect():
    return 1


def save(record):
    validate(record)
    a = 1
    b = 2
    c = 3
    d = 4
    flush()
    return True


def load():
    return 2
"""

POOL_RS = """pub struct Pool {
    size: usize,
}

pub fn grow(pool: &mut Pool) {
    pool.size += 1;
    let a = 1;
    let b = 2;
    let c = 3;
    let d = 4;
    log(pool.size);
}

pub fn shrink(pool: &mut Pool) {
    pool.size -= 1;
}
"""


def overlap_json(repo: Repo, *args: str, cwd: Path | None = None) -> dict:
    result = repo.gatekit("overlap", "--format", "json", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_branches_changing_one_python_function_on_different_lines_are_named(repo: Repo) -> None:
    repo.commit("db", {"app/db.py": DB_PY})
    branch_with(
        repo,
        "dual-write-a",
        {"app/db.py": DB_PY.replace("validate(record)", "validate(record, strict=True)")},
    )
    branch_with(repo, "dual-write-b", {"app/db.py": DB_PY.replace("flush()", "flush(sync=True)")})
    report = overlap_json(repo)
    assert report["conflicts"] == []  # no textual conflict: exactly the dangerous case
    definitions = [(d["path"], d["qualname"], d["writers"]) for d in report["definitions"]]
    assert definitions == [("app/db.py", "save", ["dual-write-a", "dual-write-b"])]
    text = repo.gatekit("overlap").stdout
    assert "app/db.py: save  dual-write-a, dual-write-b" in text


def test_two_branches_changing_one_rust_fn_are_named(repo: Repo) -> None:
    repo.commit("pool", {"src/pool.rs": POOL_RS})
    branch_with(repo, "grow-fast", {"src/pool.rs": POOL_RS.replace("pool.size += 1;", "pool.size += 2;")})
    branch_with(repo, "grow-log", {"src/pool.rs": POOL_RS.replace("log(pool.size);", "trace(pool.size);")})
    branch_with(repo, "shrink", {"src/pool.rs": POOL_RS.replace("pool.size -= 1;", "pool.size -= 2;")})
    report = overlap_json(repo)
    named = {d["qualname"]: d["writers"] for d in report["definitions"]}
    assert named == {"grow": ["grow-fast", "grow-log"]}
    assert report["files"] == [{"path": "src/pool.rs", "writers": ["grow-fast", "grow-log", "shrink"]}]


def test_different_functions_in_one_file_are_a_file_overlap_only(repo: Repo) -> None:
    repo.commit("db", {"app/db.py": DB_PY})
    branch_with(repo, "a", {"app/db.py": DB_PY.replace("return 1", "return 10")})
    branch_with(repo, "b", {"app/db.py": DB_PY.replace("return 2", "return 20")})
    report = overlap_json(repo)
    assert report["definitions"] == []
    assert report["files"] == [{"path": "app/db.py", "writers": ["a", "b"]}]


def test_config_file_changed_by_many_branches_is_a_conflict_magnet(repo: Repo) -> None:
    repo.commit("config", {"config/settings.toml": numbered_lines(40, "key"), "src/one.txt": "1\n"})
    for i in range(6):
        lines = numbered_lines(40, "key").replace(f"key {i * 5 + 1}\n", f"key {i * 5 + 1} = changed\n")
        branch_with(repo, f"feature-{i}", {"config/settings.toml": lines, f"src/f{i}.txt": "x\n"})
    report = overlap_json(repo)
    # six branches in flight, plus the commit on main that created it
    assert report["magnets"][0] == {"path": "config/settings.toml", "branches": 7}
    assert "config/settings.toml  7 branches" in repo.gatekit("overlap").stdout
    assert all(m["path"] != "src/one.txt" for m in report["magnets"])


def test_merged_history_counts_towards_magnets(repo: Repo) -> None:
    for i in range(3):
        repo.commit(f"direct {i}", {"Cargo.lock": f"version {i}\n"})
    branch_with(repo, "bump", {"Cargo.lock": "version 9\n"})
    report = overlap_json(repo)
    assert {"path": "Cargo.lock", "branches": 4} in report["magnets"]


def test_predicted_conflicts_match_what_git_merge_really_does(repo: Repo, tmp_path: Path) -> None:
    base = numbered_lines(30)
    repo.commit(
        "base",
        {"shared.txt": base, "gone.txt": base, "other.txt": base, "café and space.txt": base},
    )
    branch_with(repo, "same-line-1", {"shared.txt": base.replace("line 3\n", "one\n")})
    branch_with(repo, "same-line-2", {"shared.txt": base.replace("line 3\n", "two\n")})
    branch_with(repo, "far-apart", {"shared.txt": base.replace("line 25\n", "far\n")})
    branch_with(repo, "delete-gone", {"gone.txt": None})
    branch_with(repo, "edit-gone", {"gone.txt": base.replace("line 9\n", "nine\n")})
    branch_with(repo, "elsewhere", {"other.txt": base + "tail\n"})
    branch_with(repo, "unicode-1", {"café and space.txt": base.replace("line 1\n", "un\n")})
    branch_with(repo, "unicode-2", {"café and space.txt": base.replace("line 1\n", "uno\n")})
    report = overlap_json(repo)
    predicted = {frozenset((c["ours"], c["theirs"])): set(c["paths"]) for c in report["conflicts"]}
    names = [w["name"] for w in report["writers"]]
    actual = {}
    for ours, theirs in itertools.combinations(names, 2):
        conflicted = real_merge_conflicts(repo, tmp_path / "scratch", ours, theirs)
        if conflicted is not None:
            actual[frozenset((ours, theirs))] = conflicted
    assert predicted == actual
    assert frozenset(("same-line-1", "same-line-2")) in predicted
    assert frozenset(("delete-gone", "edit-gone")) in predicted
    assert predicted[frozenset(("unicode-1", "unicode-2"))] == {"café and space.txt"}


def test_uncommitted_work_in_a_worktree_counts_and_is_left_untouched(repo: Repo, tmp_path: Path) -> None:
    repo.commit("db", {"app/db.py": DB_PY})
    branch_with(repo, "committed", {"app/db.py": DB_PY.replace("flush()", "flush(sync=True)")})
    wt = repo.worktree_add(tmp_path / "wt-dirty", "dirty")
    wt.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, 2)"))
    wt.write("untracked note.txt", "keep me\n")
    wt.git("add", "app/db.py")
    wt.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, 3)"))
    before = capture_state(wt.path, repo.env)
    report = overlap_json(repo)
    assert capture_state(wt.path, repo.env) == before
    dirty = next(w for w in report["writers"] if w["name"] == "dirty")
    assert dirty["dirty"] is True
    assert sorted(dirty["paths"]) == ["app/db.py", "untracked note.txt"]
    assert [d["writers"] for d in report["definitions"]] == [["committed", "dirty"]]


@pytest.mark.parametrize("name", ["with space.txt", "café.txt", "-leading.txt", "new\nline.txt"])
def test_nasty_paths_are_reported_exactly(repo: Repo, name: str) -> None:
    repo.commit("base", {name: numbered_lines(20)})
    branch_with(repo, "x", {name: numbered_lines(20).replace("line 2\n", "x\n")})
    branch_with(repo, "y", {name: numbered_lines(20).replace("line 18\n", "y\n")})
    report = overlap_json(repo)
    assert report["files"] == [{"path": name, "writers": ["x", "y"]}]
    assert report["conflicts"] == []


def test_unknown_target_is_a_usage_error(repo: Repo) -> None:
    result = repo.gatekit("overlap", "--onto", "no-such-branch")
    assert result.returncode == 2
    assert "no-such-branch" in result.stderr


# -- the staged check (gatekit-overlap hook) -------------------------------------------------


@pytest.fixture
def staged_setup(make_repo, tmp_path: Path) -> tuple[Repo, Repo]:  # type: ignore[no-untyped-def]
    repo = make_repo("origin-repo", {"app/db.py": DB_PY, "settings.ini": numbered_lines(20)})
    branch_with(
        repo,
        "other-writer",
        {
            "app/db.py": DB_PY.replace("flush()", "flush(sync=True)"),
            "settings.ini": numbered_lines(20) + "x\n",
        },
    )
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    return repo, mine


def test_staged_change_touching_a_definition_another_branch_changed_warns(
    staged_setup: tuple[Repo, Repo],
) -> None:
    repo, mine = staged_setup
    mine.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, strict=True)"))
    mine.git("add", "app/db.py")
    before = capture_state(mine.path, repo.env)
    result = mine.gatekit("overlap", "--staged")
    assert result.returncode == 0
    assert "save in app/db.py, also changed on other-writer" in result.stderr
    assert capture_state(mine.path, repo.env) == before


def test_staged_overlap_blocks_when_configured(staged_setup: tuple[Repo, Repo], tmp_path: Path) -> None:
    repo, mine = staged_setup
    config = tmp_path / "block.toml"
    config.write_text('[fleet]\noverlap = "block"\n')
    mine.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, strict=True)"))
    mine.git("add", "app/db.py")
    result = mine.gatekit("--config", str(config), "overlap", "--staged")
    assert result.returncode == 1
    assert "other-writer" in result.stderr


@pytest.mark.parametrize("stacked", ["branch", "detached worktree", "branch changing save too"])
def test_a_branch_stacked_on_mine_does_not_overlap_me_with_my_own_commits(
    make_repo, tmp_path: Path, stacked: str
) -> None:  # type: ignore[no-untyped-def]
    # The stacked branch (or a worktree left at one of my commits) holds my commit to save();
    # it never touched save() itself. Counting my own commit as its change warned, and with
    # `overlap = "block"` refused, every further commit of mine to save().
    repo = make_repo("origin-repo", {"app/db.py": DB_PY})
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.commit(
        "save, first", {"app/db.py": DB_PY.replace("validate(record)", "validate(record, strict=True)")}
    )
    if stacked.startswith("branch"):
        edit = ("a = 1", "a = 10") if stacked.endswith("too") else ("return 2", "return 3")
        branch_with(repo, "stacked", {"app/db.py": mine.read("app/db.py").decode().replace(*edit)}, "mine")
    else:
        repo.git("worktree", "add", "-q", "--detach", str(tmp_path / "old"), "mine")
    mine.write("app/db.py", mine.read("app/db.py").decode().replace("flush()", "flush(sync=True)"))
    mine.git("add", "app/db.py")
    config = tmp_path / "block.toml"
    config.write_text('[fleet]\noverlap = "block"\n')
    result = mine.gatekit("--config", str(config), "overlap", "--staged")
    if stacked.endswith("too"):  # its own change to save() still counts
        assert result.returncode == 1 and "save in app/db.py, also changed on stacked" in result.stderr
    else:
        assert (result.returncode, result.stderr) == (0, "")


def test_staged_change_to_another_definition_is_quiet(staged_setup: tuple[Repo, Repo]) -> None:
    _, mine = staged_setup
    mine.write("app/db.py", DB_PY.replace("return 2", "return 3"))
    mine.git("add", "app/db.py")
    mine.write("app/db.py", DB_PY.replace("flush()", "flush(unstaged=True)"))  # unstaged: ignored
    result = mine.gatekit("overlap", "--staged")
    assert (result.returncode, result.stderr) == (0, "")


def test_staged_change_to_file_without_grammar_warns_at_file_level(
    staged_setup: tuple[Repo, Repo],
) -> None:
    _, mine = staged_setup
    mine.write("settings.ini", "changed\n" + numbered_lines(20))
    mine.git("add", "settings.ini")
    result = mine.gatekit("overlap", "--staged", "--format", "json")
    assert result.returncode == 0
    found = json.loads(result.stdout)
    assert (found["version"], found["staged"]) == (1, True)
    assert [(o["path"], o["qualname"], o["writer"]) for o in found["overlaps"]] == [
        ("settings.ini", None, "other-writer")
    ]


LINTS_PY = """import re

# Lints by name.
LINTS = {
    "unused": 1,
    "shadow": 2,
}

# A loose note about the table above.

def lint(name):
    return LINTS[name]
"""


def test_staged_same_line_edit_of_a_module_level_dict_is_named(repo: Repo, tmp_path: Path) -> None:
    repo.commit("lints", {"app/lints.py": LINTS_PY})
    branch_with(repo, "other-writer", {"app/lints.py": LINTS_PY.replace('"shadow": 2', '"shadow": 3')})
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.write("app/lints.py", LINTS_PY.replace('"shadow": 2', '"shadow": 4'))
    mine.git("add", "app/lints.py")
    result = mine.gatekit("overlap", "--staged")
    assert result.returncode == 0
    assert "touches LINTS in app/lints.py, also changed on other-writer" in result.stderr


def test_staged_same_line_edit_outside_any_definition_reports_the_conflict(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit("lints", {"app/lints.py": LINTS_PY})
    note = "# A loose note about the table above."
    branch_with(repo, "other-writer", {"app/lints.py": LINTS_PY.replace(note, "# Theirs.")})
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.write("app/lints.py", LINTS_PY.replace(note, "# Mine."))
    mine.git("add", "app/lints.py")
    result = mine.gatekit("overlap", "--staged", "--format", "json")
    assert result.returncode == 0
    overlaps = json.loads(result.stdout)["overlaps"]
    assert [(o["path"], o["writer"], o["conflict"]) for o in overlaps] == [
        ("app/lints.py", "other-writer", True)
    ]
    text = mine.gatekit("overlap", "--staged").stderr
    assert "the staged change conflicts with other-writer in app/lints.py (git merge-tree)" in text


def test_staged_change_warns_about_uncommitted_work_in_another_worktree(repo: Repo, tmp_path: Path) -> None:
    repo.commit("db", {"app/db.py": DB_PY})
    busy = repo.worktree_add(tmp_path / "busy", "busy-writer")
    busy.write("app/db.py", DB_PY.replace("flush()", "flush(now=True)"))  # not even staged
    busy.write("notes/untracked.txt", "elsewhere\n")
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, 1)"))
    mine.git("add", "app/db.py")
    before = capture_state(busy.path, repo.env)
    result = mine.gatekit("overlap", "--staged")
    assert result.returncode == 0
    assert "save in app/db.py, also changed on busy-writer" in result.stderr
    assert capture_state(busy.path, repo.env) == before


def test_staged_check_passes_in_a_repository_without_the_target_branch(
    tmp_path: Path, git_env: dict[str, str]
) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    repo = Repo(fresh, git_env)
    repo.git("init", "-q", "-b", "trunk")
    repo.write("a.py", "def f():\n    pass\n")
    repo.git("add", "a.py")
    result = repo.gatekit("overlap", "--staged")
    assert (result.returncode, result.stderr) == (0, "")
    assert repo.gatekit("overlap", "--staged", "--onto", "main").returncode == 2


def test_the_root_commit_does_not_make_every_file_a_magnet(make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo("rooted", {"shared.cfg": numbered_lines(10)})
    branch_with(repo, "one", {"shared.cfg": numbered_lines(10).replace("line 1\n", "a\n")})
    branch_with(repo, "two", {"shared.cfg": numbered_lines(10).replace("line 9\n", "b\n")})
    assert overlap_json(repo)["magnets"] == []


def test_staged_check_asks_other_worktrees_only_about_the_staged_paths(repo: Repo, tmp_path: Path) -> None:
    """Issue 13: with 30 worktrees the hook ran 30 full `git status` walks per commit."""
    repo.commit("db", {"app/db.py": DB_PY, **{f"bulk/f{i}.txt": f"{i}\n" for i in range(50)}})
    for n in range(3):
        other = repo.worktree_add(tmp_path / f"other{n}", f"other-{n}")
        other.write(f"bulk/f{n}.txt", "dirty elsewhere\n")
    busy = repo.worktree_add(tmp_path / "busy", "busy-writer")
    busy.write("app/db.py", DB_PY.replace("flush()", "flush(now=True)"))  # uncommitted, same file
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, 1)"))
    mine.git("add", "app/db.py")
    trace = tmp_path / "trace"

    result = mine.gatekit("overlap", "--staged", env={"GIT_TRACE": str(trace)})

    assert "save in app/db.py, also changed on busy-writer" in result.stderr
    statuses = [
        line for line in trace.read_text().splitlines() if "built-in: git" in line and " status " in line
    ]
    assert len(statuses) == 5  # the four other worktrees and the main one
    assert all(line.endswith("-- ':(literal)app/db.py'") for line in statuses), statuses
    assert not [line for line in trace.read_text().splitlines() if "built-in: git add" in line]


def test_staged_check_trusts_a_clean_answer_until_head_index_or_file_changes(
    repo: Repo, tmp_path: Path
) -> None:
    from gatekit.fleet.clean_cache import FRESH_SECONDS

    repo.commit("db", {"app/db.py": DB_PY})
    others = [repo.worktree_add(tmp_path / f"other{n}", f"other-{n}") for n in range(3)]
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.write("app/db.py", DB_PY.replace("validate(record)", "validate(record, 1)"))
    mine.git("add", "app/db.py")
    time.sleep(FRESH_SECONDS + 0.2)  # stats younger than this are never trusted

    def statuses() -> tuple[list[str], str]:
        trace = tmp_path / "trace"
        trace.unlink(missing_ok=True)
        result = mine.gatekit("overlap", "--staged", env={"GIT_TRACE": str(trace)})
        assert result.returncode == 0, result.stderr
        lines = [
            line for line in trace.read_text().splitlines() if "built-in: git" in line and " status " in line
        ]
        return lines, result.stderr

    assert len(statuses()[0]) == 4  # main and the three others, asked once
    assert statuses() == ([], "")  # nothing changed: no worktree is asked again
    others[1].write("app/db.py", DB_PY.replace("flush()", "flush(now=True)"))
    asked, warning = statuses()
    assert len(asked) == 1  # only the worktree whose file changed
    assert "save in app/db.py, also changed on other-1" in warning


def test_magnets_read_only_the_window_of_history(repo: Repo, tmp_path: Path) -> None:
    day = 86400
    for i in range(4):  # 200 days before the tip: outside the 90-day window
        Repo(repo.path, {**repo.env, "GIT_COMMITTER_DATE": f"{1700000000 - 200 * day + i} +0000"}).commit(
            f"old {i}", {"old.txt": f"{i}\n"}
        )
    for i in range(3):
        Repo(repo.path, {**repo.env, "GIT_COMMITTER_DATE": f"{1700000000 + i} +0000"}).commit(
            f"new {i}", {"new.txt": f"{i}\n"}
        )
    branch_with(repo, "x", {"new.txt": "x\n"})
    trace = tmp_path / "trace"
    result = repo.gatekit("overlap", "--format", "json", env={"GIT_TRACE": str(trace)})
    magnets = json.loads(result.stdout)["magnets"]
    assert {"path": "new.txt", "branches": 4} in magnets
    assert all(m["path"] != "old.txt" for m in magnets)
    walks = [line for line in trace.read_text().splitlines() if "built-in: git log --first-parent" in line]
    assert walks and all("--max-age=" in line for line in walks)  # git stops at the window's edge


def test_overlap_suggests_a_commit_graph_only_when_there_is_none(repo: Repo) -> None:
    branch_with(repo, "x", {"a.txt": "x\n"})
    assert "git commit-graph write" in repo.gatekit("overlap").stderr
    repo.git("commit-graph", "write", "--reachable")
    assert "git commit-graph write" not in repo.gatekit("overlap").stderr


def test_a_file_past_the_parse_size_cap_is_compared_at_file_level(
    staged_setup: tuple[Repo, Repo],
) -> None:
    from gatekit.fleet.overlap import PARSE_MAX_BYTES

    repo, mine = staged_setup
    functions = PARSE_MAX_BYTES // 40 + 10
    big = "".join(f"def func_{i}(x):\n    return x + {i}\n\n\n" for i in range(functions))
    repo.git("checkout", "-q", "main")
    repo.commit("generated", {"gen/big.py": big})
    branch_with(repo, "big-writer", {"gen/big.py": big.replace("return x + 1\n", "return x + 100\n", 1)})
    mine.git("merge", "-q", "main")
    mine.write("gen/big.py", big.replace(f"return x + {functions - 1}\n", "return -1\n"))
    mine.git("add", "gen/big.py")
    result = mine.gatekit("overlap", "--staged", "--format", "json")
    assert result.returncode == 0, result.stderr
    overlaps = json.loads(result.stdout)["overlaps"]
    assert [(o["path"], o["qualname"], o["writer"]) for o in overlaps] == [("gen/big.py", None, "big-writer")]


def test_overlap_json_is_versioned_and_names_each_writers_commits(repo: Repo, tmp_path: Path) -> None:
    repo.commit("db", {"app/db.py": DB_PY})
    head = branch_with(repo, "feature", {"app/db.py": DB_PY.replace("return 2", "return 3")})
    busy = repo.worktree_add(tmp_path / "busy", "busy")
    busy.write("app/db.py", DB_PY.replace("return 1", "return 100"))
    report = overlap_json(repo)
    assert (report["version"], report["target"], report["target_commit"]) == (1, "main", repo.rev("main"))
    writers = {w["name"]: w for w in report["writers"]}
    assert (writers["feature"]["head"], writers["feature"]["base"]) == (head, repo.rev("main"))
    assert writers["feature"]["commit"] == head
    # uncommitted work is captured as a state commit on top of the worktree's HEAD
    assert writers["busy"]["commit"] == repo.rev("busy") and writers["busy"]["head"] != repo.rev("busy")
    assert writers["busy"]["dirty"] is True


def test_a_racily_clean_edit_in_a_worktree_is_still_seen(repo: Repo, tmp_path: Path) -> None:
    """An edit of the same size within the index's own timestamp: git re-reads such a file
    (racy-git). A copy of the index made to build the state commit must keep that protection."""
    repo.commit("db", {"app/db.py": DB_PY})
    busy = repo.worktree_add(tmp_path / "busy", "busy")
    busy.git("config", "core.trustctime", "false")
    path = busy.path / "app" / "db.py"
    before = path.stat()
    busy.write("app/db.py", DB_PY.replace("return 1", "return 0"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    index = Path(busy.git("rev-parse", "--path-format=absolute", "--git-path", "index").strip())
    os.utime(index, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert busy.git("--no-optional-locks", "status", "--porcelain").strip() == "M app/db.py"
    writers = {w["name"]: w for w in overlap_json(repo)["writers"]}
    assert writers["busy"]["dirty"] is True and writers["busy"]["paths"] == ["app/db.py"]


def test_staged_edit_of_a_file_another_writer_moved_names_only_what_both_changed(
    repo: Repo, tmp_path: Path
) -> None:
    repo.commit("db", {"lib/db.py": DB_PY})
    moved = DB_PY.replace("flush()", "flush(sync=True)")
    branch_with(repo, "move-db", {"lib/db.py": None, "src/db.py": moved})
    mine = repo.worktree_add(tmp_path / "mine", "mine")
    mine.write(
        "lib/db.py", DB_PY.replace("return 2", "return 20").replace("validate(record)", "check(record)")
    )
    mine.git("add", "lib/db.py")
    result = mine.gatekit("overlap", "--staged", "--format", "json")
    assert result.returncode == 0, result.stderr
    overlaps = json.loads(result.stdout)["overlaps"]
    assert [(o["path"], o["qualname"], o["writer"]) for o in overlaps] == [("lib/db.py", "save", "move-db")]

"""Protection you can audit (issue 12): `git merge` on main is refused by the pre-merge-commit
hook, and every other way onto a protected branch is named afterwards by doctor and status."""

from __future__ import annotations

import subprocess

import pytest

from testing.clients import with_checkout
from testing.landing import branch_with
from testing.repo import Repo


def _run(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo.path, env=with_checkout(repo.env), capture_output=True, text=True
    )


def test_git_merge_on_main_is_refused_by_the_installed_pre_merge_commit_hook(app: Repo) -> None:
    assert app.gatekit("install-hooks").returncode == 0
    branch_with(app, "side", {"side.py": "S = 1\n"})
    head = app.rev("main")
    result = _run(app, "merge", "--no-ff", "-m", "merge side", "side")
    assert result.returncode != 0, result.stdout + result.stderr
    assert "refusing to merge into protected branch 'main'" in result.stderr
    assert app.rev("main") == head
    _run(app, "merge", "--abort")


def test_hook_order_is_protect_clobber_overlap_check() -> None:
    from gatekit.integrations.hook_runner import steps_for

    assert [s.name for s in steps_for("pre-commit")] == ["protect", "clobber", "overlap", "check"]
    assert [s.name for s in steps_for("pre-merge-commit")] == ["protect", "check"]


def test_init_and_readme_list_protect_before_the_build() -> None:
    from gatekit.integrations.initialize import precommit_snippet
    from testing.repo import REPO_ROOT

    for text in (precommit_snippet(), (REPO_ROOT / "README.md").read_text()):
        ids = [line.split("id:")[1].split()[0] for line in text.splitlines() if "- id: gatekit-" in line]
        assert ids.index("gatekit-protect") < ids.index("gatekit-check"), ids
        assert "pre-merge-commit" in text


def _land_something(repo: Repo) -> None:
    branch_with(repo, "landed", {"landed.py": "L = 1\n"})
    assert repo.gatekit("land", "landed").returncode == 0


def _commit_no_verify(repo: Repo) -> None:
    repo.write("direct.py", "D = 1\n")
    repo.git("add", "direct.py")
    repo.git("commit", "-q", "--no-verify", "-m", "direct")


def _rebase_onto_side(repo: Repo) -> None:
    repo.write("direct.py", "D = 1\n")
    repo.git("add", "direct.py")
    repo.git("commit", "-q", "--no-verify", "-m", "direct")
    repo.git("rebase", "-q", "side")


def _fetch_into_main(repo: Repo) -> None:
    repo.git("switch", "-q", "-c", "elsewhere")
    repo.git("fetch", "-q", ".", "side:main")


# (route name, how to do it, what doctor names)
ROUTES = [
    ("no-verify", _commit_no_verify, "git commit with the protect hook bypassed"),
    ("merge", lambda r: r.git("merge", "-q", "--no-ff", "--no-verify", "-m", "m", "side"), "git merge"),
    ("cherry-pick", lambda r: r.git("cherry-pick", "side"), "git cherry-pick"),
    ("rebase", _rebase_onto_side, "git rebase"),
    ("reset", lambda r: r.git("reset", "-q", "--hard", "side"), "git reset"),
    ("update-ref", lambda r: r.git("update-ref", "refs/heads/main", r.rev("side")), "git update-ref"),
    ("fetch", _fetch_into_main, "git fetch into the branch"),
    ("pull", lambda r: r.git("pull", "-q", "--no-rebase", "--no-edit", ".", "side"), "git pull"),
]


@pytest.mark.parametrize("route", [r[0] for r in ROUTES])
def test_each_way_around_protection_is_named_by_doctor_and_status(app: Repo, route: str) -> None:
    _land_something(app)
    doctor = app.gatekit("doctor")
    assert "unverified-protected" not in doctor.stdout  # land's own merge is verified
    branch_with(app, "side", {"side.py": "S = 1\n"})
    _name, act, expected = next(r for r in ROUTES if r[0] == route)
    act(app)
    doctor = app.gatekit("doctor")
    assert doctor.returncode == 1
    assert "unverified-protected: main:" in doctor.stdout, doctor.stdout + doctor.stderr
    assert expected in doctor.stdout, doctor.stdout
    status = app.gatekit("status", "--all-branches")
    assert "unverified" in status.stdout, status.stdout


def test_reference_transaction_hook_warns_when_main_moves_to_an_unverified_commit(app: Repo) -> None:
    assert app.gatekit("install-hooks", "--hook", "reference-transaction").returncode == 0
    _land_something(app)
    branch_with(app, "side", {"side.py": "S = 1\n"})
    quiet = _run(app, "branch", "-f", "other", "side")  # not protected: no word
    assert "warning" not in quiet.stderr
    loud = _run(app, "reset", "-q", "--hard", "side")
    assert loud.returncode == 0
    assert "protected branch 'main' moved to" in loud.stderr and "no gate verified" in loud.stderr
    branch_with(app, "next", {"next.py": "N = 1\n"})
    landed = app.gatekit("land", "next")  # its update-ref runs the hook too: a verified move, no word
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert "no gate verified" not in landed.stderr


def test_doctor_does_not_report_lands_own_integration_commits_as_lost_work(app: Repo) -> None:
    # A bisected batch leaves merge commits nothing points at (the failed halves).
    branch_with(app, "good", {"good.py": "G = 1\n"})
    branch_with(app, "bad", {"bad.py": "from lib import nothing_here\n"})
    branch_with(app, "good2", {"good2.py": "G = 2\n"})
    assert app.gatekit("land", "good", "bad", "good2").returncode == 1
    doctor = app.gatekit("doctor")
    assert "orphaned-commit" not in doctor.stdout, doctor.stdout

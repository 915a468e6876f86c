"""`gatekit init`: a starter config, the pre-commit entry and the CI include, never overwriting.

Every file is created with O_EXCL: if it already exists (or appears meanwhile) it is left alone and
the snippet to add is printed instead.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from gatekit import __version__, git
from gatekit.config import Gate, find_config_file

# Where the hooks and templates are published. One place, so a fork changes one line.
HOOK_REPO_URL = "https://github.com/gatekit-dev/gatekit"
GITLAB_PROJECT = "gatekit-dev/gatekit"
GITHUB_REPO = "gatekit-dev/gatekit"
DEFAULT_REV = f"v{__version__}"


@dataclass(frozen=True)
class InitFile:
    """One file init would write: where, what, and what happened."""

    path: Path
    content: str
    what: str  # a short description for the report
    snippet: str = ""  # what to add by hand when the file exists (defaults to content)


def config_text(gates: list[Gate], pyproject: bool = False, target: str = "main") -> str:
    """A starter gatekit.toml: settings, and the detected gates as commented-out examples.

    Detected gates stay detected (not written as [[gates]]): with no gates configured gatekit
    detects them on every run, follows the workspace as it changes, and in --affected mode
    scopes them to the changed packages, which configured gates cannot be.
    With pyproject, the same settings as the [tool.gatekit] tables of a pyproject.toml.
    """
    gates_table = "[[tool.gatekit.check.gates]]" if pyproject else "[[gates]]"
    lines = [
        "# gatekit configuration (docs/integrations.md). Gates run on the exact subject",
        "# (staged tree, pushed commit, merge result) in a sandbox worktree of gatekit's own.",
        *(["[tool.gatekit]"] if pyproject else []),
        "# The branch `land` moves and --affected compares with (this repository's default branch).",
        f"target = {_toml_str(target)}",
        f"protected = {_toml_list(sorted({target, 'main', 'master'}))}",
        "",
    ]
    if gates:
        lines += [
            "# Detected from the workspace; gatekit runs these while no gates are configured.",
            "# To replace them with your own, uncomment and edit (configured gates always run whole).",
        ]
    else:
        lines.append("# No toolchain detected: add the commands that must pass.")
        gates = [Gate("test", ("make", "test"))]
    for gate in gates:
        command = gate.run[0] if gate.shell else shlex.join(gate.run)
        lines += [f"# {gates_table}", f"# name = {_toml_str(gate.name)}", f"# run = {_toml_str(command)}"]
        if gate.shell:
            lines.append("# shell = true")
        if gate.cwd not in ("", "."):
            lines.append(f"# cwd = {_toml_str(gate.cwd)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def precommit_snippet(repo_url: str = HOOK_REPO_URL, rev: str = DEFAULT_REV, with_header: bool = True) -> str:
    """The `.pre-commit-config.yaml` entry (the whole file when with_header)."""
    body = (
        f"  - repo: {repo_url}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: gatekit-check\n"
        "      - id: gatekit-check-push\n"
        "      - id: gatekit-protect\n"
        "      - id: gatekit-clobber\n"
        "      - id: gatekit-snapshot\n"
    )
    if not with_header:
        return body
    return (
        "# gatekit checks the staged tree in a sandbox; pre-commit itself stashes unstaged\n"
        "# changes (`git checkout -- .`) while hooks run: see docs/integrations.md, or use\n"
        "# `gatekit install-hooks`, which never stashes.\n"
        "default_install_hook_types:\n"
        "  [pre-commit, pre-push, post-commit, post-checkout, post-merge]\n"
        "repos:\n" + body
    )


def gitlab_snippet(project: str = GITLAB_PROJECT, rev: str = DEFAULT_REV) -> str:
    # No pip_spec: the template installs its own version (git-gatekit==<rev's version>).
    return (
        "include:\n"
        f"  - project: {project}\n"
        f"    ref: {rev}\n"
        "    file: /templates/gatekit.yml\n"
        "    inputs:\n"
        "      args: []   # more arguments for `gatekit check`, one item each\n"
    )


def github_caller(repo: str = GITHUB_REPO, rev: str = DEFAULT_REV) -> str:
    return (
        "name: gatekit\n"
        "on:\n"
        "  pull_request:\n"
        "  merge_group:\n"
        "  push:\n"
        "    branches: [main]\n"
        "permissions:\n"
        "  contents: read\n"
        "jobs:\n"
        "  gatekit:\n"
        f"    uses: {repo}/.github/workflows/gatekit.yml@{rev}\n"
        "    with:\n"
        '      args: ""   # more arguments for `gatekit check`, one per line\n'
    )


def detect_ci(root: Path) -> str | None:
    """gitlab or github from remote.origin.url, else None."""
    url = (git.config_value(root, "remote.origin.url") or "").lower()
    if "gitlab" in url:
        return "gitlab"
    if "github" in url:
        return "github"
    return None


def plan(root: Path, *, ci: str | None, pre_commit: bool, repo_url: str, rev: str) -> list[InitFile]:
    """The files init writes for the repository at root."""
    files: list[InitFile] = []
    existing = find_config_file(root)
    if existing is not None and existing[1] and not _has_tool_gatekit(existing[0]):
        existing = None  # a pyproject.toml without [tool.gatekit] is not a gatekit config
    config_path = existing[0] if existing else root / "gatekit.toml"
    from gatekit.toolchains import detect_gates

    target = git.default_branch(root) or git.current_branch(root) or "main"
    config = config_text(detect_gates(root), pyproject=bool(existing and existing[1]), target=target)
    files.append(InitFile(config_path, config, "gatekit config"))
    if pre_commit:
        files.append(
            InitFile(
                root / ".pre-commit-config.yaml",
                precommit_snippet(repo_url, rev),
                "pre-commit hooks",
                snippet="repos:\n" + precommit_snippet(repo_url, rev, with_header=False),
            )
        )
    if ci == "gitlab":
        files.append(InitFile(root / ".gitlab-ci.yml", gitlab_snippet(rev=rev), "GitLab CI include"))
    elif ci == "github":
        files.append(
            InitFile(
                root / ".github" / "workflows" / "gatekit.yml",
                github_caller(rev=rev),
                "GitHub workflow",
            )
        )
    return files


def write_new(file: InitFile) -> bool:
    """Create the file only if it does not exist; False (and nothing written) when it does."""
    file.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(file.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(file.content)
    return True


def _has_tool_gatekit(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\[tool\.gatekit[\].]", text, re.MULTILINE) is not None


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"

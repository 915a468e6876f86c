"""Read a git command line the way git does: global options, the repository it acts on, the
subcommand and its arguments. Pure string work: no git call, no import beyond the standard
library, because every intercepted command passes through here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Subcommands that can discard uncommitted or unreachable work in some spelling. A command line
# that names none of them is allowed without asking git anything (the hot path of every hook).
DESTRUCTIVE_SUBCOMMANDS = frozenset(
    (
        "reset",
        "checkout",
        "restore",
        "switch",
        "stash",
        "clean",
        "rebase",
        "pull",
        "worktree",
        "branch",
        "update-ref",
    )
)

# git's own commands (`git --list-cmds=main` of git 2.39, and later builtins): git never expands
# an alias that shadows one, so only another word needs an alias lookup, which keeps `git status`,
# `git log` and the like free of it. A newer command missing here costs one `git config` call.
_COMMAND_NAMES = (
    "add am annotate apply archive backfill bisect blame branch bugreport bundle cat-file check-attr "
    "check-ignore check-mailmap check-ref-format checkout checkout-index cherry cherry-pick clean "
    "clone column commit commit-graph commit-tree config count-objects credential credential-cache "
    "credential-store daemon describe diagnose diff diff-files diff-index diff-tree difftool "
    "fast-export fast-import fetch fetch-pack filter-branch fmt-merge-msg for-each-ref for-each-repo "
    "format-patch fsck fsck-objects gc get-tar-commit-id grep hash-object help hook http-backend "
    "http-fetch http-push imap-send index-pack init init-db instaweb interpret-trailers last-modified "
    "log ls-files ls-remote ls-tree mailinfo mailsplit maintenance merge merge-base merge-file "
    "merge-index merge-octopus merge-one-file merge-ours merge-recursive merge-recursive-ours "
    "merge-recursive-theirs merge-resolve merge-subtree merge-tree mergetool mktag mktree "
    "multi-pack-index mv name-rev notes pack-objects pack-redundant pack-refs patch-id pickaxe prune "
    "prune-packed pull push quiltimport range-diff read-tree rebase receive-pack reflog refs remote "
    "remote-ext remote-fd remote-ftp remote-ftps remote-http remote-https repack replace replay repo "
    "request-pull rerere reset restore rev-list rev-parse revert rm send-pack shell shortlog show "
    "show-branch show-index show-ref sparse-checkout stage stash status stripspace submodule subtree "
    "switch symbolic-ref tag unpack-file unpack-objects update-index update-ref update-server-info "
    "upload-archive upload-pack var verify-commit verify-pack verify-tag version whatchanged worktree "
    "write-tree"
)
GIT_COMMANDS = frozenset(_COMMAND_NAMES.split())

# Global options that take the next word as their value (`git -C dir`, `git -c k=v`).
_VALUED = frozenset(("-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env"))


@dataclass(frozen=True)
class GitCommand:
    """One git invocation, its global options applied."""

    cwd: str  # absolute: the process cwd after every -C
    subcommand: str | None
    args: tuple[str, ...]
    git_dir: str | None = None  # --git-dir or GIT_DIR, absolute
    work_tree: str | None = None  # --work-tree or GIT_WORK_TREE, absolute
    config: tuple[tuple[str, str], ...] = field(default=())  # -c key=value, in order
    argv: tuple[str, ...] = ()  # everything after `git`, as written

    def config_value(self, key: str) -> str | None:
        """The last -c value for key (git config keys are case-insensitive in section/name)."""
        value = None
        for k, v in self.config:
            if k.lower() == key.lower():
                value = v
        return value


def parse_git_argv(argv: Sequence[str], cwd: str, env: Mapping[str, str] | None = None) -> GitCommand:
    """argv is everything after the `git` word; cwd the directory the command starts in."""
    env = env if env is not None else os.environ
    here = cwd
    git_dir = env.get("GIT_DIR") or None
    work_tree = env.get("GIT_WORK_TREE") or None
    if git_dir:
        git_dir = os.path.join(here, git_dir)
    if work_tree:
        work_tree = os.path.join(here, work_tree)
    config: list[tuple[str, str]] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            break
        name, eq, value = arg.partition("=")
        if name in ("-C", "-c") or (name in _VALUED and not eq):
            name = arg
            if i + 1 >= len(argv):
                return GitCommand(here, None, (), git_dir, work_tree, tuple(config), tuple(argv))
            value = argv[i + 1]
            i += 2
        else:
            i += 1
            if name not in _VALUED:
                continue  # a flag (--no-pager, -p, --literal-pathspecs, ...)
        if name == "-C":
            here = os.path.normpath(os.path.join(here, value)) if value else here
        elif name == "-c":
            key, has_value, val = value.partition("=")
            config.append((key, val if has_value else "true"))
        elif name == "--git-dir":
            git_dir = os.path.join(here, value)
        elif name == "--work-tree":
            work_tree = os.path.join(here, value)
    if i >= len(argv):
        return GitCommand(here, None, (), git_dir, work_tree, tuple(config), tuple(argv))
    sub = argv[i]
    rest = tuple(argv[i + 1 :])
    alias = _alias(sub, config)
    if alias is not None:
        sub, rest = alias[0], (*alias[1:], *rest)
    return GitCommand(here, sub, rest, git_dir, work_tree, tuple(config), tuple(argv))


def _alias(sub: str, config: Sequence[tuple[str, str]]) -> list[str] | None:
    """`git -c alias.wipe='reset --hard' wipe`: the alias given on the command line itself."""
    import shlex

    for key, value in reversed(config):
        if key.lower() == f"alias.{sub}".lower() and value and not value.startswith("!"):
            try:
                words = shlex.split(value)
            except ValueError:
                return None
            return words or None
    return None


def names_destructive_word(words: Sequence[str]) -> bool:
    """True when any word could be a destructive subcommand: the cheap first filter."""
    return any(word in DESTRUCTIVE_SUBCOMMANDS for word in words)

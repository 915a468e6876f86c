"""Aliases from git config: `git config alias.nuke 'reset --hard'` makes `git nuke` a reset.

Only a subcommand that is not one of git's own commands is looked up (git never lets an alias
shadow one), so `git status` and every other builtin costs nothing here. An alias is decided as
what it runs: `nuke = reset --hard` as `git reset --hard`, a `!` alias as the shell command git
hands to `sh -c` (from the top of the worktree, with the arguments appended), read by the same
shell parser as an agent's command line. An alias of an alias is followed up to
decide.MAX_ALIAS_DEPTH deep.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from gatekit.guard.decide import DENY, Decision, decide, strongest
from gatekit.guard.gitargv import GitCommand
from gatekit.guard.owners import Caller


def config_alias(cmd: GitCommand) -> str | None:
    """The value of alias.<subcommand>: from `-c` on the command line, else from git config."""
    from gatekit.git import guarding

    name = cmd.subcommand or ""
    given = cmd.config_value(f"alias.{name}")
    if given is not None:
        return given
    if not os.path.isdir(cmd.cwd):
        return None  # git would fail to start there: nothing runs
    pinned = {k: v for k, v in (("GIT_DIR", cmd.git_dir), ("GIT_WORK_TREE", cmd.work_tree)) if v}
    return guarding.config_value(cmd.cwd, pinned, f"alias.{name}")


def decide_alias(
    cmd: GitCommand,
    alias: str,
    caller: Caller,
    env: Mapping[str, str] | None,
    mode: str | None,
    act: bool,
    stdin: bytes | None,
    depth: int,
) -> Decision:
    """The decision on `git <alias> args`: on the command (or shell line) it stands for."""
    prefix = list(cmd.argv[: len(cmd.argv) - len(cmd.args) - 1])  # -C, -c, --git-dir ...
    if alias.startswith("!"):
        decision = _shell_alias(cmd, alias[1:], caller, env, mode, act, depth)
        shown = alias
    else:
        try:
            words = shlex.split(alias)
        except ValueError:
            return Decision(DENY, reason=f"gatekit cannot read the alias `{cmd.subcommand} = {alias}`.")
        decision = decide([*prefix, *words, *cmd.args], cmd.cwd, caller, env, mode, act, stdin, depth + 1)
        shown = " ".join(words)
    if decision.reason and decision.action != "allow":
        decision.reason = f"`git {cmd.subcommand}` is an alias of `{shown}`: {decision.reason}"
    return decision


def _shell_alias(
    cmd: GitCommand,
    line: str,
    caller: Caller,
    env: Mapping[str, str] | None,
    mode: str | None,
    act: bool,
    depth: int,
) -> Decision:
    from gatekit.guard.agent_entry import find_worktree
    from gatekit.guard.shell import git_calls

    found = find_worktree(cmd.cwd)
    top = found[0] if found is not None else cmd.cwd  # git runs a `!` alias from the top
    command = " ".join([line, *(shlex.quote(a) for a in cmd.args)])
    parsed = git_calls(command, top)
    base = dict(env if env is not None else os.environ)
    decisions = [
        decide(call.argv, call.cwd, caller, {**base, **call.env}, mode, act, call.stdin, depth + 1)
        for call in parsed.calls
    ]
    if not parsed.exact:
        reason = (
            f"gatekit refused the alias `{cmd.subcommand}`: it could not read its shell command safely "
            f"({parsed.problem})."
        )
        decisions.append(Decision(DENY, reason=reason))
    return strongest(decisions)

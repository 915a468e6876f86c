"""Agent hosts and the git shim: agent install/uninstall/pre-tool/post-tool/stop, shim, shell-init.

`agent pre-tool|post-tool|stop --host H` and `shim-exec` are normally answered by the click-free
entry in gatekit/guard/agent_entry.py; these commands are the same thing for other spellings.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from gatekit.app import App

_HOSTS = click.Choice(["claude-code", "codex", "gemini", "cursor"])
_HOST = click.option("--host", type=_HOSTS, required=True, help="The agent host that runs this hook.")


@click.group()
def agent() -> None:
    """Guard coding-agent hosts (Claude Code, Codex, Gemini CLI, Cursor) through their hooks."""


@agent.command("install")
@click.argument("host", type=_HOSTS)
@click.option("--scope", type=click.Choice(["project", "user"]), default="project", show_default=True)
@click.option("--uninstall", is_flag=True, help="Take gatekit's hooks out again.")
@click.pass_obj
def agent_install(app: App, host: str, scope: str, uninstall: bool) -> None:
    """Merge gatekit's hooks into HOST's settings file (other settings are kept)."""
    from gatekit.guard import host_settings

    root = app.repo.toplevel if scope == "project" else Path.home()
    if uninstall:
        path, removed = host_settings.uninstall(host, scope, root)
        click.echo(f"removed gatekit's hooks from {path}" if removed else f"no gatekit hooks in {path}")
        return
    path = host_settings.install(host, scope, root)
    click.echo(f"gatekit hooks installed in {path}")


def _hook_command(event: str) -> click.Command:
    @click.command(event)
    @_HOST
    def command(host: str) -> None:
        from gatekit.guard.agent_entry import fast_main

        fast_main(["agent", event, "--host", host])  # exits

    command.help = f"The {event} hook: reads the host's JSON payload on stdin."
    return command


for _event in ("pre-tool", "post-tool", "stop"):
    agent.add_command(_hook_command(_event))


@click.group()
def shim() -> None:
    """A `git` wrapper first on PATH that runs the guard before destructive commands."""


@shim.command("install")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None)
def shim_install(directory: Path | None) -> None:
    """Write the shim (default ~/.local/share/gatekit/shim/git); put its directory first on PATH."""
    from gatekit.guard import shim as shims

    target = shims.install(directory)
    click.echo(str(target))
    click.echo(f'put it first on PATH: export PATH="{target.parent}:$PATH"', err=True)


@shim.command("uninstall")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None)
def shim_uninstall(directory: Path | None) -> None:
    """Remove the shim."""
    from gatekit.guard import shim as shims

    click.echo("removed" if shims.uninstall(directory) else "no gatekit shim there")


@click.command("shell-init")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None)
def shell_init(directory: Path | None) -> None:
    """Print shell lines for `eval "$(gatekit shell-init)"`: the shim first on PATH."""
    from gatekit.guard import shim as shims

    sys.stdout.write(shims.shell_init(directory))


@click.command("shim-exec", hidden=True, context_settings={"ignore_unknown_options": True})
@click.argument("argv", nargs=-1, type=click.UNPROCESSED, required=True)
def shim_exec(argv: tuple[str, ...]) -> None:
    """Run by the shim: decide, then exec the real git."""
    from gatekit.guard.agent_entry import shim_exec as run

    raise click.exceptions.Exit(run(argv[0], list(argv[1:])))


@click.command("witness", hidden=True)
@click.argument("state")
@click.pass_obj
def witness(app: App, state: str) -> None:
    """Run by the reference-transaction hook: journal who moved a watched ref (guard/witness.py)."""
    if state == "committed" and not sys.stdin.isatty():
        from gatekit.guard.witness import record

        record(sys.stdin.read().splitlines(), app.repo)

"""The command line: parse, call, render. No logic lives here.

Command modules import click only; each command imports what it needs when it runs, so a hook
that runs `gatekit protect` never pays for the modules of `gatekit land`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from gatekit import __version__
from gatekit.app import App
from gatekit.errors import EXIT_INTERRUPTED, EXIT_USAGE, GatekitError
from gatekit.exits import exit_code_of, reader_gone
from gatekit.git.location import pin_user_location


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gatekit")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run as if gatekit was started in this directory.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Use this config file instead of the one at the repository root.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour output (NO_COLOR is honoured in auto mode).",
)
@click.pass_context
def cli(ctx: click.Context, directory: Path | None, config_path: Path | None, color: str) -> None:
    """Keep main buildable, and keep parallel writers from destroying each other's work."""
    app = App(color=color, config_path=config_path)
    if directory is not None:
        if not directory.is_dir():
            raise GatekitError(f"-C {directory}: no such directory")
        app.cwd = directory.resolve()
    pin_user_location(app.cwd)
    ctx.obj = app


def _register_commands() -> None:
    from gatekit.commands import check, guard
    from gatekit.commands import land as land_commands

    cli.add_command(check.check)
    cli.add_command(check.gates)
    cli.add_command(check.verdicts)
    cli.add_command(land_commands.protect)
    cli.add_command(land_commands.verify_push)
    cli.add_command(land_commands.land)
    for command in (guard.clobber, guard.session, guard.snapshot, guard.watch, guard.rescue):
        cli.add_command(command)

    from gatekit.commands import agent

    for command in (agent.agent, agent.shim, agent.shell_init, agent.shim_exec, agent.witness):
        cli.add_command(command)

    from gatekit.commands import fleet

    for command in (fleet.status, fleet.overlap, fleet.worktree, fleet.doctor, fleet.plan):
        cli.add_command(command)

    from gatekit.commands import integrations

    cli.add_command(integrations.install_hooks)
    cli.add_command(integrations.hook)
    cli.add_command(integrations.init)
    cli.add_command(integrations.ci)

    from gatekit.commands import resident

    cli.add_command(resident.resident)


_register_commands()


def run(argv: list[str] | None = None) -> int:
    """Run one command line; its exit code (0/1/2/3/130/141), never an exception.

    With --format json an error is also a JSON document on stdout, so a script reading it
    gets an answer it can parse instead of nothing.
    """
    errors: list[str] = []

    def err(line: str) -> None:
        errors.append(line.strip())
        _to_stderr(line)

    code = exit_code_of(lambda: _run_click(argv, errors), err)
    if errors and _wants_json(sys.argv[1:] if argv is None else argv):
        click.echo(
            json.dumps({"version": 1, "status": "error", "exit_code": code, "error": " ".join(errors)})
        )
    return code


def _wants_json(argv: list[str]) -> bool:
    return any(
        a == "--format=json" or (a == "--format" and b == "json") for a, b in zip(argv, [*argv[1:], ""])
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command line and exit with its code."""
    sys.exit(run(argv))


def _run_click(argv: list[str] | None, errors: list[str]) -> int:
    """Click's own outcomes as exit codes; everything else is exit_code_of's to map."""
    try:
        code = cli.main(args=argv, prog_name="gatekit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:
        # click turns a closed stdout into exit 1 ("failed") after wrapping the streams; the
        # reader going away is not a failure of anything gatekit checked.
        if "PacifyFlushWrapper" in type(sys.stdout).__name__:
            return reader_gone()
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click.exceptions.Abort:
        click.echo("gatekit: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        errors.append(exc.format_message())
        return EXIT_USAGE
    return code if isinstance(code, int) else 0


def _to_stderr(line: str) -> None:
    click.echo(line, err=True)

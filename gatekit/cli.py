"""The command line: parse, call, render. No logic lives here.

Command modules import click only; each command imports what it needs when it runs, so a hook
that runs `gatekit protect` never pays for the modules of `gatekit land`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gatekit import __version__
from gatekit.app import App
from gatekit.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_READER_GONE, EXIT_USAGE, GatekitError


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
    ctx.obj = app


def _register_commands() -> None:
    from gatekit.commands import check, guard
    from gatekit.commands import land as land_commands

    cli.add_command(check.check)
    cli.add_command(check.gates)
    cli.add_command(land_commands.protect)
    cli.add_command(land_commands.verify_push)
    cli.add_command(land_commands.land)
    for command in (guard.clobber, guard.session, guard.snapshot, guard.watch, guard.rescue):
        cli.add_command(command)

    from gatekit.commands import agent

    for command in (agent.agent, agent.shim, agent.shell_init, agent.shim_exec):
        cli.add_command(command)

    from gatekit.commands import fleet

    for command in (fleet.status, fleet.overlap, fleet.worktree, fleet.doctor, fleet.plan):
        cli.add_command(command)

    from gatekit.commands import integrations

    cli.add_command(integrations.install_hooks)
    cli.add_command(integrations.hook)
    cli.add_command(integrations.init)
    cli.add_command(integrations.ci)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: map every outcome to gatekit's exit codes (0/1/2/3/130)."""
    try:
        code = cli.main(args=argv, prog_name="gatekit", standalone_mode=False)
    except GatekitError as exc:
        click.echo(f"gatekit: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        # click turns a closed stdout into exit 1 ("failed") after wrapping the streams; the
        # reader going away is not a failure of anything gatekit checked.
        if "PacifyFlushWrapper" in type(sys.stdout).__name__:
            _reader_gone()
        raise
    except click.exceptions.Abort:
        click.echo("gatekit: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("\ngatekit: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _reader_gone()
    except OSError as exc:
        from gatekit.errors import from_os_error

        translated = from_os_error(exc)
        if translated is None:
            _crash()
        else:
            click.echo(f"gatekit: {translated.message}", err=True)
            sys.exit(translated.exit_code)
    except Exception:  # noqa: BLE001 - the one place that turns a bug into exit 3 and a log
        _crash()
    sys.exit(code if isinstance(code, int) else 0)


def _reader_gone() -> None:
    """The reader of our output went away (`gatekit status | head`): quiet, like any Unix
    filter killed by SIGPIPE (128 + 13)."""
    from gatekit.report.stream import silence_stdout

    silence_stdout()
    sys.exit(EXIT_READER_GONE)


def _crash() -> None:
    from gatekit.crash import write_crash_log

    path = write_crash_log()
    click.echo(f"gatekit: internal error; the traceback is in {path}", err=True)
    sys.exit(EXIT_INTERNAL)

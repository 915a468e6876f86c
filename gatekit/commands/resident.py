"""`gatekit resident status|stop`: parse, call, render."""

from __future__ import annotations

import os

import click


@click.group("resident")
def resident() -> None:
    """The resident server that runs hooks without a cold start (GATEKIT_RESIDENT=0 turns it off)."""


@resident.command("status")
def status() -> None:
    """List this user's resident servers."""
    from gatekit.resident import admin, protocol

    servers = admin.running_servers()
    if not servers:
        click.echo("no resident server is running")
    for server in servers:
        click.echo(admin.describe(server))
    if not protocol.enabled(dict(os.environ)):
        click.echo(
            f"{protocol.ENABLE_VAR}={os.environ.get(protocol.ENABLE_VAR)}: runs here start no server and use none"
        )


@resident.command("stop")
def stop() -> None:
    """Stop this user's resident servers (each finishes the runs it is serving)."""
    from gatekit.resident import admin

    for server in admin.stop(admin.running_servers()):
        click.echo(f"stopped {admin.describe(server)}")

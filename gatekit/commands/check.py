"""`gatekit check` and `gatekit gates`."""

from __future__ import annotations

import click


@click.command()
@click.pass_obj
def check(app: object) -> None:
    """Run the workspace-wide gates on a subject (placeholder)."""
    raise click.UsageError("not implemented yet")


@click.command()
@click.pass_obj
def gates(app: object) -> None:
    """List the resolved gates and where each came from (placeholder)."""
    raise click.UsageError("not implemented yet")

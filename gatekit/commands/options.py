"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

junit_option = click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a JUnit XML report here.",
)
codequality_option = click.option(
    "--codequality",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write a GitLab Code Quality report here.",
)

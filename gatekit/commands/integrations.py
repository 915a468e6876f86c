"""`gatekit install-hooks`, `gatekit hook`, `gatekit init` and `gatekit ci`: parse, call, render."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gatekit.app import App
from gatekit.commands.options import codequality_option, junit_option
from gatekit.integrations.hook_runner import GIT_HOOKS, OPTIONAL_HOOKS


@click.command("install-hooks")
@click.option("--uninstall", is_flag=True, help="Remove gatekit's hooks and restore the hooks they chained.")
@click.option(
    "--hook",
    "hooks",
    multiple=True,
    type=click.Choice(GIT_HOOKS + OPTIONAL_HOOKS),
    help="Only this git hook (repeatable; default: all). Naming reference-transaction also makes it "
    "start gatekit for every branch move (protect's warning), not only for the guard's witness.",
)
@click.pass_obj
def install_hooks(app: App, uninstall: bool, hooks: tuple[str, ...]) -> None:
    """Install plain git hooks that run gatekit's guards (they never stash).

    Hooks go where git runs them: core.hooksPath if set, else the common git dir shared by all
    worktrees. An existing hook is kept as <hook>.gatekit-chained and runs first.
    """
    from gatekit.integrations import hooks_install

    selected = hooks or GIT_HOOKS
    root = app.repo.toplevel
    if uninstall:
        changes = hooks_install.uninstall(root, selected)
    else:
        every_branch = "reference-transaction" in hooks
        changes = hooks_install.install(root, selected, every_branch=every_branch)
    for change in changes:
        click.echo(f"{change.action:<9} {change.path}{_explain(change.action)}")
    directory = hooks_install.hooks_dir(root)
    if not uninstall and not _is_within(directory, app.repo.common_dir, root):
        click.echo(
            f"note: core.hooksPath points outside this repository ({directory}): "
            "these hooks run for every repository that uses that directory"
        )


def _is_within(path: Path, *parents: Path) -> bool:
    resolved = path.resolve()
    return any(resolved == p.resolve() or p.resolve() in resolved.parents for p in parents)


def _explain(action: str) -> str:
    return {
        "chained": " (the existing hook is kept as .gatekit-chained and runs first)",
        "restored": " (the hook that was there before gatekit is back)",
        "foreign": " (not a gatekit hook: left alone)",
    }.get(action, "")


@click.command("hook", context_settings={"ignore_unknown_options": True})
@click.argument("name", type=click.Choice(GIT_HOOKS + OPTIONAL_HOOKS))
@click.argument("git_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--only", "only", multiple=True, metavar="GUARD", help="Run only this guard (repeatable).")
@click.pass_obj
def hook(app: App, name: str, git_args: tuple[str, ...], only: tuple[str, ...]) -> None:
    """Run the guards of one git hook (for the installed hooks and the pre-commit manifest)."""
    from gatekit.integrations import hook_runner
    from gatekit.integrations.precommit_hazard import find_hidden_changes, hazard_warning

    for source, names in (("--only", only), (hook_runner.SKIP_VAR, hook_runner.skipped(os.environ))):
        unknown = hook_runner.unknown_guard_names(names)
        if unknown:
            raise click.UsageError(
                f"{source} names no guard: {', '.join(unknown)} (guards: {', '.join(hook_runner.guard_names())})"
            )
    stdin = b""
    if name in ("pre-push", "reference-transaction") and not sys.stdin.isatty():
        stdin = sys.stdin.buffer.read()
    if name == "pre-commit":
        hidden = find_hidden_changes()
        if hidden is not None:
            click.echo(hazard_warning(hidden), err=True)
    steps = hook_runner.steps_for(name, stdin, git_args=git_args)
    if only:
        steps = [step for step in steps if step.name in only]
    results = hook_runner.run_steps(steps, stdin=stdin, runner=hook_runner.run_in_process)
    click.get_current_context().exit(hook_runner.hook_exit_code(results))


@click.command("init")
@click.option(
    "--ci",
    type=click.Choice(["auto", "gitlab", "github", "none"]),
    default="auto",
    show_default=True,
    help="Which CI include to add (auto: from remote.origin.url).",
)
@click.option(
    "--pre-commit/--no-pre-commit",
    "pre_commit",
    default=True,
    help="Write the .pre-commit-config.yaml entry.",
)
@click.option(
    "--hook-repo",
    default=None,
    metavar="URL",
    help="The repository pre-commit installs the hooks from.",
)
@click.option(
    "--rev",
    default=None,
    metavar="REV",
    help="The gatekit tag or commit the hooks and templates pin.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.pass_obj
def init(app: App, ci: str, pre_commit: bool, hook_repo: str | None, rev: str | None, dry_run: bool) -> None:
    """Write a starter config, the pre-commit entry and the CI include; never overwrite a file.

    A file that already exists is left alone and the snippet to add to it is printed instead.
    """
    from gatekit.integrations import initialize

    root = app.repo.toplevel
    chosen = initialize.detect_ci(root) if ci == "auto" else (None if ci == "none" else ci)
    files = initialize.plan(
        root,
        ci=chosen,
        pre_commit=pre_commit,
        repo_url=hook_repo or initialize.HOOK_REPO_URL,
        rev=rev or initialize.DEFAULT_REV,
    )
    for file in files:
        relative = os.path.relpath(file.path, root)
        if not dry_run and initialize.write_new(file):
            click.echo(f"wrote {relative} ({file.what})")
            continue
        if dry_run and not file.path.exists():
            click.echo(f"{relative}: would write:\n")
            click.echo(_indent(file.content))  # exactly what init writes
        else:
            click.echo(f"{relative}: exists, not changed; add this:\n")
            click.echo(_indent(file.snippet or file.content))
    if ci == "auto" and chosen is None:
        click.echo(
            "no CI include: remote.origin.url names neither GitLab nor GitHub (use --ci gitlab|github)"
        )


def _indent(text: str) -> str:
    return "".join(f"    {line}" if line.strip() else line for line in text.splitlines(keepends=True))


@click.command("ci", context_settings={"ignore_unknown_options": True})
@junit_option
@codequality_option
@click.option("--no-fetch", is_flag=True, help="Do not fetch the target branch or unshallow the clone.")
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Print the check command this pipeline runs; run nothing.",
)
@click.option(
    "--args",
    "arg_list",
    default="",
    metavar="LIST",
    help="More arguments for `gatekit check` as a list: a JSON array, or one argument per line "
    "(what the templates' `args` input becomes, so a value may hold spaces).",
)
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def ci(
    app: App,
    junit: Path | None,
    codequality: Path | None,
    no_fetch: bool,
    print_only: bool,
    arg_list: str,
    extra: tuple[str, ...],
) -> None:
    """Verify what this CI pipeline is about: the merge result of a merge/pull request, else HEAD.

    Reads GitLab's and GitHub's variables; EXTRA arguments go to `gatekit check` unchanged.
    The reports are written even when nothing could be verified (the reason is their failure).
    """
    import shlex

    from gatekit.integrations import ci_run
    from gatekit.report.files import reports_even_on_error
    from gatekit.system.processes import run_attached

    with reports_even_on_error(junit, codequality):
        subject = ci_run.detect_subject(os.environ)
        arguments = [*ci_run.parse_arg_list(arg_list), *extra]
        root = app.repo.toplevel
        plan = ci_run.resolve_target(root, subject, fetch=not (no_fetch or print_only))
        argv = ci_run.check_argv(
            plan, junit, codequality, arguments, explicit_config=app.config_path is not None
        )
    if print_only:
        click.echo(shlex.join(["gatekit", *argv]))
        return
    for note in plan.notes:
        click.echo(f"gatekit ci: {note}", err=True)
    click.echo(f"gatekit ci: {subject.platform} {subject.event}: gatekit {shlex.join(argv)}", err=True)
    prefix = [sys.executable, "-m", "gatekit"]
    if app.config_path is not None:
        prefix += ["--config", str(app.config_path)]
    code = run_attached([*prefix, *argv], root)
    click.get_current_context().exit(code)

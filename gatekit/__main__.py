"""Entry point of `python -m gatekit` and of the `gatekit` script."""

from __future__ import annotations

import sys

# The commands a resident server runs (gatekit/resident/): the hooks and the guards they run, and
# the commands people and agents run between commits. Not the agent hooks: those answer in a few
# milliseconds from a path of their own, and their attribution reads the process tree.
RESIDENT_COMMANDS = ("hook", "protect", "overlap", "snapshot", "clobber", "check")


def main() -> None:
    _open_closed_streams()
    if sys.argv[1:2] and sys.argv[1] in RESIDENT_COMMANDS:
        from gatekit.resident.client import hand_over

        code = hand_over(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    dispatch(sys.argv[1:])


def _open_closed_streams() -> None:
    """A standard descriptor closed at start reads and writes /dev/null, as a served run's does
    (its client hands the worker /dev/null for it): Python starts with sys.stdout None there,
    which every report would crash on."""
    import posix  # not os: every hook starts here, and os costs a start 1-2 ms (system/bare_os.py)

    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        if getattr(sys, name) is not None:
            continue
        null = posix.open("/dev/null", posix.O_RDWR)
        if null != fd:
            posix.dup2(null, fd)
            posix.close(null)
        errors = "backslashreplace" if name == "stderr" else None
        setattr(sys, name, open(fd, "r" if fd == 0 else "w", errors=errors, closefd=False))  # noqa: SIM115 (lives as sys.std*)
        setattr(sys, f"__{name}__", getattr(sys, name))


def dispatch(argv: list[str]) -> None:
    """Run gatekit with argv in this process (sys.argv holds the same arguments)."""
    if argv[:1] in (["hook"], ["protect"], ["overlap"], ["snapshot"]):
        # Every git hook, and the manifest's single guards, without loading click (issue 13).
        from gatekit.integrations.hook_entry import fast_main as hook_main

        hook_main(argv)  # exits when it could read the arguments
    if argv[:1] == ["clobber"]:
        # The commit hook's command is answered without loading click: it runs on every commit.
        from gatekit.guard.clobber_entry import fast_main

        fast_main(argv)  # exits when it could read the arguments
    if argv[:1] in (["agent"], ["shim-exec"]):
        # Agent hooks run on every shell command an agent issues: no click (issue 10).
        from gatekit.guard.agent_entry import fast_main as agent_main

        agent_main(argv)
    if sys.flags.no_site:
        # The installed hooks start Python with -S (no site: the hook path needs only gatekit's
        # own directory); the full CLI needs click from site-packages.
        import site

        site.main()
    from gatekit.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

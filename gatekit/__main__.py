"""Entry point of `python -m gatekit` and of the `gatekit` script."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] in (["hook"], ["protect"], ["overlap"], ["snapshot"]):
        # Every git hook, and the manifest's single guards, without loading click (issue 13).
        from gatekit.integrations.hook_entry import fast_main as hook_main

        hook_main(sys.argv[1:])  # exits when it could read the arguments
    if sys.argv[1:2] == ["clobber"]:
        # The commit hook's command is answered without loading click: it runs on every commit.
        from gatekit.guard.clobber_entry import fast_main

        fast_main(sys.argv[1:])  # exits when it could read the arguments
    if sys.argv[1:2] in (["agent"], ["shim-exec"]):
        # Agent hooks run on every shell command an agent issues: no click (issue 10).
        from gatekit.guard.agent_entry import fast_main as agent_main

        agent_main(sys.argv[1:])
    if sys.flags.no_site:
        # The installed hooks start Python with -S (no site: the hook path needs only gatekit's
        # own directory); the full CLI needs click from site-packages.
        import site

        site.main()
    from gatekit.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

"""Entry point of `python -m gatekit` and of the `gatekit` script."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["clobber"]:
        # The commit hook's command is answered without loading click: it runs on every commit.
        from gatekit.guard.clobber_entry import fast_main

        fast_main(sys.argv[1:])  # exits when it could read the arguments
    from gatekit.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()

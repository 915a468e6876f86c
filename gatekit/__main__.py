import sys

if sys.argv[1:2] == ["clobber"]:
    # The commit hook's command is answered without loading click (issue 3: hook latency).
    from gatekit.guard.hook import fast_main

    fast_main(sys.argv[1:])  # exits when it could read the arguments

from gatekit.cli import main  # noqa: E402

if __name__ == "__main__":
    main()

"""How every run ends: one exit code (0/1/2/3/130) and at most one line on stderr.

The click entry, the click-free clobber entry and the hook runner's in-process guards all end
through exit_code_of, so an error, an interrupt or a bug maps to the same code everywhere. A bug
is exit 3 with its traceback written to a log file whose path is printed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gatekit import __version__
from gatekit.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_READER_GONE, GatekitError, from_os_error


def to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def exit_code_of(body: Callable[[], int], err: Callable[[str], None] = to_stderr) -> int:
    """Run body and return its exit code, or the code of the exception that ended it."""
    try:
        return body()
    except GatekitError as exc:
        err(f"gatekit: {exc.message}")
        return exc.exit_code
    except KeyboardInterrupt:
        err("\ngatekit: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`gatekit ... | head`): nothing left to say
        return reader_gone()
    except OSError as exc:  # a read-only or full disk is the machine's state, said in a sentence
        translated = from_os_error(exc)
        if translated is None:
            return _crash(err)
        err(f"gatekit: {translated.message}")
        return translated.exit_code
    except Exception:  # noqa: BLE001 - the one place that turns a bug into exit 3 and a log
        return _crash(err)


def _crash(err: Callable[[str], None]) -> int:
    err(f"gatekit: internal error; the traceback is in {write_crash_log()}")
    return EXIT_INTERNAL


def reader_gone() -> int:
    """The reader of our output went away (`gatekit status | head`): quiet, like any Unix
    filter killed by SIGPIPE (128 + 13)."""
    from gatekit.report.stream import silence_stdout

    silence_stdout()
    return EXIT_READER_GONE


def write_crash_log() -> Path:
    """Write the current exception's traceback to a fresh log file and return its path."""
    import tempfile  # here, not at the top: every hook imports this module, and crashes are rare
    import traceback

    directory = Path(tempfile.gettempdir()) / "gatekit-logs"
    try:
        from gatekit.git import get_repo_paths
        from gatekit.state_dirs import logs_dir

        directory = logs_dir(get_repo_paths(Path.cwd()).common_dir)
        directory.mkdir(parents=True, exist_ok=True)
    except Exception:  # noqa: BLE001 - outside a repository, or its log dir unusable: the temp dir
        directory = Path(tempfile.gettempdir()) / "gatekit-logs"
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = directory / f"crash-{stamp}-{os.getpid()}.log"
    with path.open("w", encoding="utf-8") as log:
        log.write(f"gatekit {__version__}, python {sys.version.split()[0]}\n")
        log.write(f"argv: {sys.argv!r}\n\n")
        traceback.print_exc(file=log)
    return path

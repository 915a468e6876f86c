"""Fault injection for tests: kill or pause gatekit at a named phase of a multi-step write.

Tests of crash safety must hit exactly the moment they name, not a moment a sleep guessed.
Production code calls reached(PHASE) at each step boundary; nothing happens unless a test set:

- GATEKIT_TEST_KILL_AT=PHASE: SIGKILL this process's whole process group there;
- GATEKIT_TEST_PAUSE_AT=PHASE:DIR: write DIR/reached and wait until DIR/resume exists.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

KILL_ENV = "GATEKIT_TEST_KILL_AT"
PAUSE_ENV = "GATEKIT_TEST_PAUSE_AT"


def reached(phase: str) -> None:
    """A fault-injection point (see the module docstring); a no-op outside tests."""
    if os.environ.get(KILL_ENV) == phase:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    wanted, _, directory = os.environ.get(PAUSE_ENV, "").partition(":")
    if wanted == phase and directory:
        Path(directory, "reached").write_text(phase)
        while not Path(directory, "resume").exists():
            time.sleep(0.02)

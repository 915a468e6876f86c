"""The file primitives: flock helpers and the atomic write."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from gatekit.system.files import atomic_write, flocked, try_flock


def test_atomic_write_replaces_the_file_with_its_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.json"
    atomic_write(target, "old\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    atomic_write(target, b"new\n", mode=0o755)
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write(target, "kept\n")
    try:
        atomic_write(target, object())  # type: ignore[arg-type]
    except TypeError:
        pass
    assert target.read_text() == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_try_flock_fails_while_another_process_holds_the_lock_and_succeeds_once_it_dies(
    tmp_path: Path,
) -> None:
    lock = tmp_path / "locks" / "land.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from gatekit.system.files import flocked\n"
            "from pathlib import Path\n"
            "with flocked(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    assert try_flock(lock) is None
    holder.kill()
    holder.wait()
    fd = try_flock(lock)
    assert fd is not None
    os.close(fd)
    with flocked(lock):
        assert try_flock(lock) is None  # a second open file description is refused too

"""Resident servers for tests: a private socket directory, finding and stopping its servers, and a
launcher that starts gatekit as its console script does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from testing.repo import REPO_ROOT

SERVER_MARK = b"gatekit.resident.server"


def resident_env(env: Mapping[str, str], directory: Path, idle: float = 120.0) -> dict[str, str]:
    """env with the resident server on, its sockets in directory (created private)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    return {
        **env,
        "GATEKIT_RESIDENT": "1",
        "GATEKIT_RESIDENT_DIR": str(directory),
        "GATEKIT_RESIDENT_IDLE": str(idle),
    }


def servers(directory: Path) -> list[int]:
    """Pids of the live servers listening in directory (their last argument is a socket there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and SERVER_MARK in b" ".join(argv) and os.fsencode(directory) in b" ".join(argv[-3:]):
            found.append(int(entry.name))
    return found


def server_of(socket: Path) -> int | None:
    """The pid of the live server listening on socket, or None."""
    for pid in servers(socket.parent):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if os.fsencode(socket) in argv:
            return pid
    return None


def wait_for_server(socket: Path, timeout: float = 30.0) -> int:
    """The pid of the server on socket once it listens there, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = server_of(socket)
        if pid is not None and socket.exists():
            return pid
        time.sleep(0.02)
    raise AssertionError(f"no resident server came up on {socket}")


_SOCKET_OF = (
    "from gatekit.resident import protocol\n"
    "import os\n"
    "print(protocol.socket_path(protocol.socket_dir(dict(os.environ)), protocol.material(dict(os.environ))))\n"
)


def hooks_socket(hooks: Path, env: Mapping[str, str]) -> Path:
    """The socket a hook installed in hooks hands its runs to: asked of an interpreter started
    exactly as the hook starts it (python -S, the module path the hook keeps)."""
    script = (hooks / "pre-commit").read_text()
    python = script.split("\ngatekit_python=", 1)[1].split("\n", 1)[0]
    path = script.split("\ngatekit_path=", 1)[1].split("\n", 1)[0]
    code = "import sys\nsys.path[0:1] = [p for p in sys.argv.pop(1).split(':') if p]\n" + _SOCKET_OF
    result = subprocess.run(
        [python, "-S", "-c", code, path], env=dict(env), capture_output=True, text=True, check=True
    )
    return Path(result.stdout.strip())


def script_socket(script: Path, env: Mapping[str, str]) -> Path:
    """The socket console_script(script) hands its runs to (asked of a sibling script, whose
    module path is the same)."""
    probe = script.with_name(script.name + "-socket")
    probe.write_text(script.read_text().replace("from gatekit.__main__ import main\nmain()\n", _SOCKET_OF))
    probe.chmod(0o755)
    result = subprocess.run([str(probe)], env=dict(env), capture_output=True, text=True, check=True)
    return Path(result.stdout.strip())


def _start_ticks(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def wait_gone(pid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} is still running")


def stop_servers(directory: Path) -> None:
    for pid in servers(directory):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def console_script(path: Path) -> Path:
    """An executable that runs this checkout's gatekit as the installed `gatekit` script does: its
    own directory first on the module path (`python -m` from a directory is never served)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(1, {str(REPO_ROOT)!r})\n"
        "from gatekit.__main__ import main\nmain()\n"
    )
    path.chmod(0o755)
    return path


def run(
    argv: list[str], cwd: Path, env: Mapping[str, str], **options: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=dict(env), capture_output=True, text=True, **options)  # type: ignore[call-overload]

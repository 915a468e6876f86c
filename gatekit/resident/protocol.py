"""Where the resident server listens, what identifies it, and the messages on its socket.

Imported by every gatekit start that may hand its run over, before anything else: it uses only
modules the interpreter has already loaded (os, sys) and binascii.

One server serves one interpreter setup: the same executable, version, flags, module path and the
environment variables that shape an interpreter's start-up. That setup is the server's "material":
its socket is named by a checksum of it, and the server compares the client's full material with its
own on every request, so a checksum collision can only send the client back to run itself.

The conversation on a Unix stream socket:
- server: HELLO, once it has accepted the connection (a client sends no descriptor before: a
  stopped server would hold them, and a reader waiting for the end of the client's output with it);
- client: b"GKR1" + the request's length (4 bytes, big-endian), with the client's stdin, stdout,
  stderr and working directory as SCM_RIGHTS descriptors, then the request (REQUEST_FIELDS, argv,
  environment; NUL-separated);
- server: "P <worker pid>\\n" when a worker runs it, or "R <reason>\\n" (run it yourself);
- client: GO; a worker that reads anything else (the client gave up waiting) runs nothing;
- server: "X <exit code>\\n" or "S <signal>\\n" when the worker has ended.
"""

from __future__ import annotations

import posix
import sys

from gatekit.system.bare_os import fsdecode, fsencode
from gatekit.system.dirs import private_dir

ENABLE_VAR = "GATEKIT_RESIDENT"  # "0" (or off/no/false): never hand a run over, never start a server
DIR_VAR = "GATEKIT_RESIDENT_DIR"  # where sockets live (tests); else XDG_RUNTIME_DIR or /tmp
IDLE_VAR = "GATEKIT_RESIDENT_IDLE"  # seconds a server waits for work before it exits
DEFAULT_IDLE = 900.0
MAGIC = b"GKR1"
HELLO = b"H"  # the server has taken the connection: the client may send its descriptors
GO = b"G"  # the client's answer to "P <pid>": it is still there, the worker may run
START_TIMEOUT = 5.0  # seconds a client waits for a worker to be started before running itself
FD_COUNT = 4  # stdin, stdout, stderr, the working directory
REQUEST_FIELDS = (
    "material",
    "pid",
    "ppid",
    "umask",
    "stdin_encoding",
    "stdout_encoding",
    "stdout_errors",
    "stdout_buffering",  # "l" line-buffered, "w" write-through (-u, PYTHONUNBUFFERED), as the client's
    "stderr_buffering",
    "nice",  # the client's niceness, limits and CPUs (resident/standing.py)
    "limits",
    "cpus",
    "ignored",  # the signals the client ignores (a script's background job ignores SIGINT)
    "oom",  # the client's /proc/self/oom_score_adj
)

# What the interpreter reads from the environment when it starts, besides PYTHON*: the locale,
# and what the dynamic loader puts into the process itself (libfaketime, libeatmydata).
_STARTUP_VARS = ("LC_ALL", "LC_CTYPE", "LANG", "LD_PRELOAD", "LD_LIBRARY_PATH")


def enabled(env: dict[str, str]) -> bool:
    return sys.platform.startswith("linux") and env.get(ENABLE_VAR, "1").lower() not in _OFF


def may_start(env: dict[str, str]) -> bool:
    """Whether a client may start a server: not on a CI machine, where the job ends soon and a
    process left behind only delays its end (a server already there is used)."""
    return env.get("CI", "").lower() in ("", *_OFF)


_OFF = ("0", "off", "no", "false")


def material(environ: dict[str, str]) -> str:
    """This interpreter's setup (environ: this process's environment), as a server must share
    it to run this client's command."""
    flags = sys.flags
    parts = [
        "gatekit-resident 2",
        str(posix.getuid()),
        # A worker cannot take groups it does not have (`newgrp docker`, `sg`): they are the setup's.
        f"{posix.getgid()} {posix.getegid()} {sorted(posix.getgroups())}",
        _confinement(),
        sys.executable,
        sys.version,
        repr(tuple(flags)),
        repr(sys.warnoptions),
        repr(sorted(getattr(sys, "_xoptions", {}).items())),
        "\n".join(sys.path),
    ]
    parts += sorted(f"{k}={v}" for k, v in environ.items() if k.startswith("PYTHON") or k in _STARTUP_VARS)
    return "\n".join(parts)


# The lines of /proc/self/status a worker could not change to the client's (it can only lose more).
_CONFINING = (b"NoNewPrivs", b"Seccomp:", b"CapInh", b"CapPrm", b"CapEff", b"CapBnd", b"CapAmb")


def _confinement() -> str:
    """Where this process lives: its namespaces, root directory, capabilities and seccomp state. A client in an
    agent's sandbox (`bwrap --unshare-net`) or a container reaches a socket on a shared /tmp; a
    server outside would run its gates with the host's network and files, and a server started
    inside one would run the host's gates without them."""
    parts = []
    for name in ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts"):
        try:
            parts.append(posix.readlink(f"/proc/self/ns/{name}"))
        except OSError:
            parts.append(f"{name}:?")
    try:
        root = posix.stat("/")
        parts.append(f"root:{root.st_dev}:{root.st_ino}")
        with open("/proc/self/status", "rb") as status:
            parts += [line.decode() for line in status.read().split(b"\n") if line.startswith(_CONFINING)]
    except OSError:
        pass
    return " ".join(parts)


def socket_dir(env: dict[str, str]) -> str | None:
    """The directory of this user's sockets, created private; None when it is not private (another
    user's, a symlink, open to others): a client must not hand its environment to a stranger."""
    chosen = env.get(DIR_VAR)
    if not chosen:
        runtime = env.get("XDG_RUNTIME_DIR")
        chosen = runtime.rstrip("/") + "/gatekit" if runtime else f"/tmp/gatekit-{posix.getuid()}"
    if not chosen.startswith("/"):
        return None  # relative to whatever directory a hook runs in: it would land in a worktree
    return chosen if private_dir(chosen) else None


FAILED_SUFFIX = ".failed"  # beside a socket: its server could not start; why
FAILED_FOR = 3600.0  # seconds a failure keeps clients from starting another server


def mark_failed(path: str, why: str) -> None:
    """Say that the server of socket path cannot start here, so clients stop starting it."""
    try:
        with open(path + FAILED_SUFFIX, "a", encoding="utf-8") as handle:
            handle.write(why + "\n")
    except OSError:
        pass


def recently_failed(path: str) -> bool:
    import time

    try:
        return time.time() - posix.stat(path + FAILED_SUFFIX).st_mtime < FAILED_FOR
    except OSError:
        return False


def socket_path(directory: str, setup: str) -> str:
    import binascii

    checksum = binascii.crc32(fsencode(setup))
    return directory.rstrip("/") + f"/r{checksum:08x}.sock"


def encode_request(fields: dict[str, str], argv: list[str], environ: dict[bytes, bytes]) -> bytes:
    items = [fsencode(fields[name]) for name in REQUEST_FIELDS]
    items.append(str(len(argv)).encode())
    items += [fsencode(arg) for arg in argv]
    items += [key + b"=" + value for key, value in environ.items()]
    return b"\0".join(items)


def decode_request(payload: bytes) -> tuple[dict[str, str], list[str], dict[bytes, bytes]]:
    """(fields, argv, environment) of a request; ValueError when it is malformed."""
    items = payload.split(b"\0")
    count = len(REQUEST_FIELDS)
    if len(items) < count + 1:
        raise ValueError("a short request")
    fields = {name: fsdecode(value) for name, value in zip(REQUEST_FIELDS, items)}
    argc = int(items[count])
    argv = [fsdecode(arg) for arg in items[count + 1 : count + 1 + argc]]
    if len(argv) != argc:
        raise ValueError("a request cut short in its arguments")
    environ: dict[bytes, bytes] = {}
    for item in items[count + 1 + argc :]:
        key, sep, value = item.partition(b"=")
        if not sep or not key:
            raise ValueError("a malformed environment entry")
        environ[key] = value
    return fields, argv, environ

"""What a process inherits besides its environment: its niceness, resource limits, CPUs and OOM score.

A fresh gatekit has its caller's; a worker forked from the resident server would have those of the
client that started the server (`nice git commit`, `ulimit -n 256`, `taskset`), so the client
sends its own (client.py), the server refuses a client it cannot become, and the worker takes
the client's before it runs anything.
"""

from __future__ import annotations

import posix
import resource

Limits = list[tuple[int, int, int]]  # (resource, soft, hard); -1 is unlimited


def of_this_process() -> dict[str, str]:
    """The request fields (protocol.REQUEST_FIELDS) that say this process's standing: what a client
    sends and what adopt() takes."""
    numbers = sorted({getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")})
    return {
        "nice": str(posix.getpriority(posix.PRIO_PROCESS, 0)),
        "limits": ";".join("{}:{}:{}".format(number, *resource.getrlimit(number)) for number in numbers),
        "cpus": ",".join(str(cpu) for cpu in sorted(posix.sched_getaffinity(0))),
        "oom": oom_score_adj(),
    }


def parse_limits(text: str) -> Limits:
    """The limits a client sent ("resource:soft:hard" joined by ";"); ValueError when malformed."""
    limits = []
    for item in filter(None, text.split(";")):
        number, soft, hard = (int(part) for part in item.split(":"))
        limits.append((number, soft, hard))
    return limits


def unreachable(fields: dict[str, str]) -> str:
    """Why this process cannot become the client: "" when it can. Without privileges a process
    cannot lower its niceness nor raise a hard limit, so a server started by a niced or limited
    client cannot serve one with more (refused, it makes way for a fresh server)."""
    if int(fields["nice"]) < posix.getpriority(posix.PRIO_PROCESS, 0):
        return "a client of higher priority"
    for number, _, hard in parse_limits(fields["limits"]):
        if _above(hard, resource.getrlimit(number)[1]):
            return "a client of higher resource limits"
    if fields["oom"] and int(fields["oom"]) < int(oom_score_adj() or 0):
        return "a client of lower OOM score"
    return ""


OOM_SCORE = "/proc/self/oom_score_adj"


def oom_score_adj() -> str:
    """This process's OOM score adjustment ("" where the system has none)."""
    try:
        with open(OOM_SCORE, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def adopt(fields: dict[str, str]) -> None:
    """Take the client's niceness, limits, CPUs and OOM score (best effort: the server refused what it cannot take)."""
    try:
        nice = int(fields["nice"])
        if nice != posix.getpriority(posix.PRIO_PROCESS, 0):
            posix.setpriority(posix.PRIO_PROCESS, 0, nice)
    except (OSError, ValueError):
        pass
    for number, soft, hard in parse_limits(fields["limits"]):
        try:
            if resource.getrlimit(number) != (soft, hard):
                resource.setrlimit(number, (soft, hard))
        except (OSError, ValueError):
            pass
    if fields["oom"] and fields["oom"] != oom_score_adj():
        try:
            with open(OOM_SCORE, "w", encoding="ascii") as handle:
                handle.write(fields["oom"])
        except OSError:
            pass
    try:
        cpus = {int(cpu) for cpu in fields["cpus"].split(",") if cpu}
        if cpus and cpus != posix.sched_getaffinity(0):
            posix.sched_setaffinity(0, cpus)
    except (OSError, ValueError):
        pass


def _above(limit: int, other: int) -> bool:
    """Whether limit is higher than other (-1, RLIM_INFINITY, above everything)."""
    if limit == other:
        return False
    return limit == resource.RLIM_INFINITY or (other != resource.RLIM_INFINITY and limit > other)

"""Git subprocesses side by side, on plain threads.

concurrent.futures would do, but importing it loads logging and more (several ms): a price
paid on every commit by the overlap hook (issue 13). The work here is git processes, so a few
threads are enough and the GIL is no bottleneck.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Background(Generic[R]):
    """fn() running on its own thread; result() waits and returns (or raises) its outcome."""

    def __init__(self, fn: Callable[[], R]) -> None:
        self._fn = fn
        self._value: R | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by result()
            self._error = exc

    def result(self) -> R:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> list[R]:
    """fn over items on a few threads, results in order; the first error is raised."""
    todo = list(items)
    if len(todo) < 2:
        return [fn(item) for item in todo]
    count = min(len(todo), workers or max(2, min(8, os.cpu_count() or 2)))
    results: list[R | None] = [None] * len(todo)
    errors: list[BaseException] = []
    lock = threading.Lock()
    next_index = iter(range(len(todo)))

    def work() -> None:
        while not errors:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            try:
                results[index] = fn(todo[index])
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(exc)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]

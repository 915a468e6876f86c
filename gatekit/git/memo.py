"""Answers to git questions that cannot change while one hook runs, asked of git once.

A git hook runs several guards in one process (integrations/hook_entry.py); each asks where HEAD
is, which branch is checked out, what the staged tree is. gatekit never moves the user's HEAD or
index, so inside `remembered()` those answers are kept, keyed by the question, its arguments and
the index file git is pointed at. Outside it (every other command) nothing is kept: a long-lived
`land` sees refs move under it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_ANSWERS: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("gatekit_git_answers", default=None)


@contextmanager
def remembered() -> Iterator[None]:
    """Within: each remembered question is asked of git once (a block inside another one shares
    its answers: a check a hook runs keeps what the hook learnt)."""
    if _ANSWERS.get() is not None:
        yield
        return
    answers: dict[tuple[Any, ...], Any] = {}
    token = _ANSWERS.set(answers)
    try:
        yield
    finally:
        _ANSWERS.reset(token)
        for close in reversed(answers.get(_CLOSERS, [])):
            with contextlib.suppress(Exception):
                close()


_CLOSERS = ("resources to close",)


def active() -> bool:
    """Inside remembered() (a hook run, a check): answers are kept, conversations shared."""
    return _ANSWERS.get() is not None


def lasting(key: tuple[Any, ...], open_it: Callable[[], T], close: Callable[[T], object]) -> T | None:
    """Inside remembered(): one resource per key (a git conversation), opened on first use and
    closed when the outermost block ends. Outside: None (the caller opens its own)."""
    answers = _ANSWERS.get()
    if answers is None:
        return None
    full_key = ("lasting", *key, os.environ.get("GIT_INDEX_FILE"))
    if full_key not in answers:
        resource = open_it()
        answers[full_key] = resource
        answers.setdefault(_CLOSERS, []).append(lambda: close(resource))
    return answers[full_key]


def _key(question: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    return (
        question.__qualname__,
        tuple(str(a) for a in args),
        tuple(sorted(kwargs.items())),
        os.environ.get("GIT_INDEX_FILE"),
    )


def tell(question: Callable[..., Any], *args: Any, answer: Any) -> None:
    """Record an answer learnt another way (e.g. from `git status --branch`) inside remembered();
    an answer already known stands."""
    answers = _ANSWERS.get()
    if answers is not None:
        answers.setdefault(_key(question, args, {}), answer)


def remember(question: F) -> F:
    """Mark a read-only git question whose answer holds for the whole of a hook run."""

    @functools.wraps(question)
    def ask(*args: Any, **kwargs: Any) -> Any:
        answers = _ANSWERS.get()
        if answers is None:
            return question(*args, **kwargs)
        key = _key(question, args, kwargs)
        if key not in answers:
            answers[key] = question(*args, **kwargs)
        return answers[key]

    return ask  # type: ignore[return-value]

"""Run one coroutine at a time for many waiters: the heart of "exactly one refresh".

When many tasks find the token expired at once, the first starts the refresh
and the others await the same task. Every waiter gets the same result or the
same exception. The refresh runs in its own task, shielded, so that a waiter
being cancelled (a client hung up) does not cancel the refresh the others wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """At most one running call of a coroutine function; late callers join it."""

    __slots__ = ("_task",)

    def __init__(self) -> None:
        self._task: asyncio.Task[T] | None = None

    @property
    def in_flight(self) -> bool:
        """True while a call is running."""
        return self._task is not None

    async def run(self, start: Callable[[], Coroutine[Any, Any, T]]) -> tuple[T, bool]:
        """Join the running call, or start one with ``start()``.

        Returns:
            The call's result, and True for the caller that started it.
        """
        task = self._task
        started = task is None
        if task is None:
            task = asyncio.get_running_loop().create_task(start())
            self._task = task
            task.add_done_callback(self._finished)
        return await asyncio.shield(task), started

    def _finished(self, task: asyncio.Task[T]) -> None:
        if self._task is task:
            self._task = None
        if not task.cancelled():
            # Mark the exception retrieved even if every waiter was cancelled.
            task.exception()

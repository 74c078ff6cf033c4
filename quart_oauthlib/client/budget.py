"""A time budget for a whole operation made of several provider calls.

Each call to a provider has its own deadline (the token request 10 s, a
metadata, key set or userinfo fetch 10 s). An operation that makes several of
them, such as a login's callback (discovery, token, key set, userinfo), can
also bound their sum::

    with time_budget(15):
        token = await oauth.fetch_token(...)
        claims = await validator.validate(http, token["id_token"])

Inside the block every call's deadline is cut to what is left of the budget,
and a call that runs out of it raises :class:`~quart_oauthlib.DeadlineExceededError`
saying so. Budgets nest: the tighter one wins. The budget follows the task
(a ``contextvars`` variable), so tasks started inside the block share it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["remaining", "time_budget"]

#: (monotonic end, the budget's length in seconds) of the innermost budget.
_budget: ContextVar[tuple[float, float] | None] = ContextVar("quart_oauthlib_budget", default=None)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Bound every provider call made inside the block to ``seconds`` in total.

    Raises:
        ValueError: ``seconds`` is not a positive number.
    """
    if not seconds > 0:
        raise ValueError("A time budget must be a positive number of seconds.")
    end = time.monotonic() + seconds
    outer = _budget.get()
    if outer is not None and outer[0] <= end:
        end, seconds = outer  # the enclosing budget is tighter
    reset = _budget.set((end, seconds))
    try:
        yield
    finally:
        _budget.reset(reset)


def remaining() -> float | None:
    """Seconds left of the current budget (never negative), or None outside any."""
    budget = _budget.get()
    if budget is None:
        return None
    return max(0.0, budget[0] - time.monotonic())


def effective_deadline(seconds: float | None) -> tuple[float | None, float | None]:
    """The deadline for one call: ``seconds`` cut to the budget's rest.

    Returns:
        The deadline, and the budget's length when the budget is what limits it
        (None when ``seconds`` does).
    """
    budget = _budget.get()
    if budget is None:
        return seconds, None
    left = max(0.0, budget[0] - time.monotonic())
    if seconds is not None and seconds <= left:
        return seconds, None
    return left, budget[1]

"""The ids (``jti``) of back-channel logout tokens already used, per app."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

__all__ = ["MAX_SEEN_JTIS", "SeenJtis"]

#: At most this many logout token ids are remembered per app (oldest first out).
MAX_SEEN_JTIS: Final = 10_000


class SeenJtis:
    """The ``jti`` values of logout tokens already used: a bounded set with expiry.

    Args:
        limit: The most ids kept; past it the oldest go first (their tokens are
            past their ``iat`` window by then, in any sane volume).
        clock: Seconds since the epoch.
    """

    def __init__(self, limit: int = MAX_SEEN_JTIS, clock: Callable[[], float] = time.time):
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._limit = limit
        self._clock = clock

    def __call__(self, jti: str, until: float) -> bool:
        """True if ``jti`` was never seen (it is remembered until ``until`` now)."""
        now = self._clock()
        while self._seen and next(iter(self._seen.values())) <= now:
            self._seen.popitem(last=False)  # expired (kept in insertion ~ expiry order)
        if jti in self._seen and self._seen[jti] > now:
            return False
        self._seen[jti] = until
        while len(self._seen) > self._limit:
            self._seen.popitem(last=False)
        return True

"""``MemoryTokenStore``: tokens in a dict of this process (tests, single-process demos)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .base import BaseTokenStore, Token

__all__ = ["MemoryTokenStore"]


class MemoryTokenStore(BaseTokenStore):
    """Keeps tokens in memory, keyed by ``(provider, user_id)``.

    Everything is lost when the process ends, and several worker processes
    do not share it: use it for tests and demos. Its ``repr`` shows how many
    tokens it holds, never the tokens.

    Args:
        tokens: Tokens to start with, as ``{(provider, user_id): token}``.
    """

    def __init__(self, tokens: Mapping[tuple[str, str], Mapping[str, Any]] | None = None):
        self._tokens: dict[tuple[str, str], Token] = {
            key: copy.deepcopy(dict(value)) for key, value in (tokens or {}).items()
        }

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored for ``provider`` and ``user_id``, or None."""
        token = self._tokens.get((provider, user_id))
        return copy.deepcopy(token) if token is not None else None

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store a copy of ``token``."""
        self._tokens[(provider, user_id)] = copy.deepcopy(dict(token))

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token, if any."""
        self._tokens.pop((provider, user_id), None)

    def __len__(self) -> int:
        return len(self._tokens)

    def __repr__(self) -> str:
        return f"<MemoryTokenStore with {len(self._tokens)} token(s)>"

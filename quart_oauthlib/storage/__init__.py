"""Token stores: where the extension keeps each user's tokens.

The shared stores live in their own modules and need an extra each, imported
only when used: :mod:`.sqla` (``SQLTokenStore``, extras ``sqla``/``postgres``),
:mod:`.redis` (``RedisTokenStore``, extra ``redis``) and :mod:`.encryption`
(``FernetCodec``, extra ``crypto``).
"""

from ._factory import store_from_url
from ._lease import JSONCodec, LeaseTimeoutError, TokenCodec
from .base import (
    BaseTokenStore,
    FencedTokenStore,
    Lease,
    LockingTokenStore,
    Token,
    TokenStore,
    UserFinder,
)
from .memory import MemoryTokenStore
from .session import SessionTokenStore

__all__ = [
    "BaseTokenStore",
    "FencedTokenStore",
    "JSONCodec",
    "Lease",
    "LeaseTimeoutError",
    "LockingTokenStore",
    "MemoryTokenStore",
    "SessionTokenStore",
    "Token",
    "TokenCodec",
    "TokenStore",
    "UserFinder",
    "store_from_url",
]

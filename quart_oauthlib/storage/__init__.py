"""Token stores: where the extension keeps each user's tokens."""

from .base import BaseTokenStore, LockingTokenStore, Token, TokenStore
from .memory import MemoryTokenStore
from .session import SessionTokenStore

__all__ = [
    "BaseTokenStore",
    "LockingTokenStore",
    "MemoryTokenStore",
    "SessionTokenStore",
    "Token",
    "TokenStore",
]

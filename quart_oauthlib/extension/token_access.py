"""``oauth.<name>.token`` and ``.authorized`` that never give a wrong answer.

Reading the user's token from a server-side store is I/O, which an attribute
cannot await. So the bound sessions answer these attributes only once the
token is known to this request: loaded by ``await oauth.<name>.load_token()``,
by ``@oauth.require``, or by a request; or, with the session and memory stores
(whose reads need no I/O), read on the spot at first access (see
:func:`read_token_now`). Otherwise they raise
:class:`~quart_oauthlib.errors.TokenNotLoadedError` rather than say "no token"
for a user who has one.

Nothing runs before each request: a request that never looks at a token pays nothing.
"""

from __future__ import annotations

from typing import Any

from ..errors import TokenNotLoadedError
from ..storage.base import Token
from .state import OAuthState, request_cache

__all__ = ["TokenGuard", "read_token_now"]


def read_token_now(state: OAuthState, provider: str) -> tuple[bool, Token | None]:
    """The current user's ``provider`` token without awaiting: ``(known, token)``.

    Known when this request read it already, or when the store keeps tokens in
    memory (the session cookie, ``MemoryTokenStore``) and the user is known
    without awaiting (no user loader, or a sync one).
    """
    return state.token_now(request_cache(), provider)


class TokenGuard:
    """Mixin of the bound sessions: ``token`` and ``authorized`` only once the token is known.

    It must come before the session class in the bases; the session class
    sets ``_loaded`` (whether the store was read) and ``provider``.
    """

    provider: str
    _loaded: bool
    _app_state: OAuthState
    _guarded = False  # off while the session class's __init__ sets its (empty) token

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The session class's own descriptors, found once rather than at each access.
        cls._wrapped = {  # type: ignore[attr-defined]
            name: descriptor
            for name in ("token", "authorized", "access_token")
            if (descriptor := _descriptor_after_guard(cls, name)) is not None
        }

    def _ensure_known(self) -> None:
        if not self._guarded or self._loaded:
            return
        known, token = read_token_now(self._app_state, self.provider)
        if known:  # read this request already (by require...), or read now from memory
            self._take(token)
            return
        raise TokenNotLoadedError(
            f"The {self.provider!r} token of this user is not loaded yet, and this token "
            f"store needs I/O to read it: call `await oauth.{self.provider}.load_token()` "
            f"first (or protect the view with @oauth.require({self.provider!r}))."
        )

    def _take(self, token: Token | None) -> None:
        self._loaded = True
        if token:
            _next_property(self, "token").__set__(self, token)

    @property
    def token(self) -> Any:
        """The user's token (``{}`` when they hold none).

        Raises:
            TokenNotLoadedError: The store needs I/O and the token was not loaded yet.
        """
        self._ensure_known()
        return _next_property(self, "token").__get__(self, type(self))

    @token.setter
    def token(self, value: Any) -> None:
        _next_property(self, "token").__set__(self, value)

    @property
    def access_token(self) -> str | None:
        """The user's access token (OAuth 2), or None when they hold none.

        Raises:
            TokenNotLoadedError: The store needs I/O and the token was not loaded yet.
        """
        self._ensure_known()
        value: str | None = _next_property(self, "access_token").__get__(self, type(self))
        return value

    @access_token.setter
    def access_token(self, value: str | None) -> None:
        _next_property(self, "access_token").__set__(self, value)

    @property
    def authorized(self) -> bool:
        """Whether the user holds a token for this provider (it may have expired).

        Raises:
            TokenNotLoadedError: The store needs I/O and the token was not loaded yet.
        """
        self._ensure_known()
        value: bool = _next_property(self, "authorized").__get__(self, type(self))
        return value


def _next_property(obj: object, name: str) -> Any:
    """The ``name`` descriptor of the session class after :class:`TokenGuard`."""
    try:
        return type(obj)._wrapped[name]  # type: ignore[attr-defined]  # see __init_subclass__
    except KeyError:  # OAuth 1 sessions have no access_token
        raise AttributeError(f"{type(obj).__name__!r} object has no attribute {name!r}") from None


def _descriptor_after_guard(cls: type, name: str) -> Any:
    mro = cls.__mro__
    for klass in mro[mro.index(TokenGuard) + 1 :]:
        if name in vars(klass):
            return vars(klass)[name]
    return None

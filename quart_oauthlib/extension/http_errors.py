"""The errors of the Quart extension, which answer HTTP requests.

They live apart from :mod:`quart_oauthlib.errors` because they subclass
werkzeug's HTTP exceptions, and the framework-free client must not import
werkzeug. Each one is a :class:`~quart_oauthlib.errors.QuartOAuthlibError`
too::

    QuartOAuthlibError
    ├── CallbackError (BadRequest, 400)        a login could not complete
    │   ├── StateMismatchError                 missing, unknown, replayed or foreign state
    │   ├── FlowExpiredError                   the login took too long
    │   ├── AuthorizationDeniedError           the provider answered error=... (RFC 6749 4.1.2.1)
    │   ├── TokenExchangeError                 the code or verifier could not be exchanged
    │   ├── OpenIDVerificationError            RFC 9207 iss, ID token or userinfo sub refused
    │   ├── OpenIDProviderError (502)          discovery, keys or userinfo unusable
    │   └── TokenNotStoredError (500)          the token does not fit the session cookie
    ├── ConfigurationError (ValueError)
    │   └── SessionCookieTooLargeError         tokens do not fit in the session cookie
    └── TokenError
        └── TokenRefreshError
            ├── ReauthorizationRequiredError   a stored token is dead; log in again
            └── RefreshUnavailableError (503)  no refresh now (provider down...); token kept

The login and callback views send ``oauth_error`` before raising these, and
an app may answer them its own way with ``@app.errorhandler(CallbackError)``.
Their ``description`` is shown on the error page: it says what went wrong and
what to do, and never contains a token, secret, code, verifier or state.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from werkzeug.exceptions import BadRequest, ServiceUnavailable

from ..errors import (
    QuartOAuthlibError,
    SessionCookieTooLargeError,
    TokenRefreshError,
)

__all__ = [
    "AuthorizationDeniedError",
    "CallbackError",
    "FlowExpiredError",
    "OpenIDProviderError",
    "OpenIDVerificationError",
    "PushedAuthorizationFailedError",
    "ReauthorizationRequiredError",
    "RefreshUnavailableError",
    "SessionCookieTooLargeError",
    "StateMismatchError",
    "TokenExchangeError",
    "TokenNotStoredError",
]


class CallbackError(QuartOAuthlibError, BadRequest):
    """A login could not complete; nothing was stored.

    Attributes:
        provider: The provider's name in ``OAUTH_PROVIDERS``.
        error: A short machine-readable code, sent as ``error`` with ``oauth_error``.
    """

    error: str = "callback_error"

    def __init__(self, description: str, *, provider: str, code: int | None = None):
        BadRequest.__init__(self, description)
        self.provider = provider
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, str]:
        """A JSON-friendly summary: ``error``, ``error_description`` and ``provider``."""
        return {
            "error": self.error,
            "error_description": self.description or "",
            "provider": self.provider,
        }


class StateMismatchError(CallbackError):
    """The callback's ``state`` does not match a login started in this browser.

    Attributes:
        reason: ``"missing"`` (no state in the callback), ``"no_cookie"`` (the
            browser sent no session cookie), ``"unknown"`` (no such pending
            login: replayed, already used, or started elsewhere) or
            ``"wrong_provider"``.
    """

    error = "state_mismatch"

    def __init__(self, description: str, *, provider: str, reason: str):
        super().__init__(description, provider=provider)
        self.reason = reason


class FlowExpiredError(CallbackError):
    """The login was started too long ago (``OAUTH_FLOW_TIMEOUT``)."""

    error = "flow_expired"


class AuthorizationDeniedError(CallbackError):
    """The provider sent the user back with an ``error`` (RFC 6749 §4.1.2.1).

    ``access_denied`` (the user said no) answers 403; the other codes 400.

    Attributes:
        error: The provider's error code, such as ``"access_denied"``.
        error_description: The provider's ``error_description``, if any.
        error_uri: The provider's ``error_uri``, if any.
    """

    def __init__(
        self,
        description: str,
        *,
        provider: str,
        error: str,
        error_description: str | None = None,
        error_uri: str | None = None,
    ):
        super().__init__(
            description, provider=provider, code=403 if error == "access_denied" else None
        )
        self.error = error
        self.error_description = error_description
        self.error_uri = error_uri

    def get_description(self, environ: Any = None, scope: dict[str, Any] | None = None) -> str:
        """The default page's text, with the provider's error code (escaped) to tell cases apart."""
        code = Markup("<p>Error code: <code>{}</code></p>").format(self.error)
        # str + Markup would escape the (already escaped) page text a second time.
        return super().get_description(environ, scope) + str(code)


class TokenExchangeError(CallbackError):
    """The provider would not exchange the code (or OAuth 1 verifier) for a token.

    A protocol error (``invalid_grant`` ...) answers 400; an unreachable or
    broken provider answers 502. The original exception is the ``__cause__``.
    """

    error = "token_exchange_failed"


class OpenIDVerificationError(CallbackError):
    """An OpenID Connect check of the callback failed; nothing was stored (400).

    ``error`` names the check: ``issuer_mismatch`` (RFC 9207), ``id_token_missing``,
    ``id_token_<check>`` for each ID token check (``id_token_signature``,
    ``id_token_issuer``, ``id_token_audience``, ``id_token_expired``,
    ``id_token_nonce``, ``id_token_hash``...), or ``userinfo_sub_mismatch``.
    The client core's error (an ``IDTokenError``...) is the ``__cause__``.
    """

    def __init__(self, description: str, *, provider: str, error: str):
        super().__init__(description, provider=provider)
        self.error = error


class OpenIDProviderError(CallbackError):
    """The OpenID provider cannot be used: metadata (wrong issuer included), keys or
    userinfo unusable. Answers 502 (500 for a missing dependency); nothing was stored.

    ``error`` is ``discovery_failed``, ``jwks_unavailable``, ``userinfo_failed``
    or ``configuration_error``.
    """

    def __init__(self, description: str, *, provider: str, error: str, code: int = 502):
        super().__init__(description, provider=provider, code=code)
        self.error = error


class TokenNotStoredError(CallbackError):
    """The login worked, but its token cannot be kept: it does not fit the session cookie.

    The app's setup is at fault, not the user: a server-side token store fixes it.
    """

    error = "session_cookie_too_large"

    def __init__(self, description: str, *, provider: str):
        super().__init__(description, provider=provider, code=500)


class PushedAuthorizationFailedError(CallbackError):
    """The login could not be pushed (RFC 9126): no PAR endpoint, or the provider refused.

    A refusal (400, 401) answers 502, a busy provider (429, 5xx) 503, a provider
    without a PAR endpoint 500. The client core's error is the ``__cause__``.
    """

    error = "par_failed"


class ReauthorizationRequiredError(TokenRefreshError):
    """The user's token for ``provider`` is dead (refresh refused, or expired with no way to
    refresh it); the stored token was dropped and only a new login helps.

    Raised by the request-bound sessions. The extension answers it like
    ``@oauth.require`` answers a missing token: a redirect to the provider's
    login (or a 401 with a JSON body for a client asking for JSON).

    Attributes:
        provider: The provider's name.
    """

    def __init__(self, message: str, *, provider: str, error: str | None = None):
        super().__init__(message, error=error)
        self.provider = provider

    @property
    def needs_login(self) -> bool:
        """Always true: that is what this error says."""
        return True


# Both bases declare ``description`` (the provider's, and the page's); the page's wins.
class RefreshUnavailableError(TokenRefreshError, ServiceUnavailable):  # type: ignore[misc]
    """The user's token needs a refresh that cannot be had now; the stored token is kept.

    The provider is down or slow, answered something unusable, refused the
    client's own credentials (``invalid_client``: check the client secret), or
    another worker held the refresh lease too long. The grant itself may be
    fine, so nothing is dropped and a later request tries again. Answered as
    a 503 unless the app handles it (``@app.errorhandler(TokenRefreshError)``
    catches it too); the cause is chained as ``__cause__``.

    Attributes:
        provider: The provider's name.
    """

    def __init__(self, message: str, *, provider: str, error: str | None = None):
        TokenRefreshError.__init__(self, message, error=error)
        ServiceUnavailable.__init__(self, message)
        self.provider = provider

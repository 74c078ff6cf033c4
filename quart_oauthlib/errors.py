"""Every exception quart-oauthlib raises of its own.

Protocol errors answered by a token endpoint (``invalid_grant``,
``access_denied``, ...) stay oauthlib's own classes
(:class:`oauthlib.oauth2.OAuth2Error` subclasses), as in requests-oauthlib,
so existing ``except InvalidGrantError`` code keeps working. Everything else
is one of these::

    QuartOAuthlibError
    ├── ConfigurationError (ValueError)        bad settings, caught early
    │   └── UnknownProviderError (AttributeError)  ``oauth.githb``: no such provider
    ├── TokenError
    │   ├── TokenNotFoundError                 no token where one is needed
    │   ├── TokenNotLoadedError (RuntimeError) ``.token`` read before ``await load_token()``
    │   └── TokenRefreshError                  automatic refresh failed; old token kept
    ├── ProviderError                          the provider answered something unusable
    │   ├── TokenResponseError                 a token endpoint answer that is no token
    │   ├── TokenRequestDenied (ValueError)    OAuth 1: request/access token refused
    │   ├── TokenMissing (ValueError)          OAuth 1: answer lacks ``oauth_token``
    │   ├── DiscoveryError                     provider metadata unusable, or another issuer's
    │   │   └── JWKSError                      the provider's key set is unusable
    │   ├── IssuerMismatchError                RFC 9207: authorization response ``iss`` wrong
    │   ├── UserInfoError                      a userinfo answer that is no user
    │   │   └── UserInfoMismatchError          userinfo ``sub`` is not the ID token's
    │   ├── IDTokenError                       an ID token failed one check (OIDC Core §3.1.3.7):
    │   │   ├── IDTokenMalformedError          not a signed JWT with a JSON object and a ``sub``
    │   │   ├── IDTokenAlgorithmError          ``alg`` none, not advertised, or wrong for the key
    │   │   ├── IDTokenKeyNotFoundError        no key with that ``kid``, even after one refetch
    │   │   ├── IDTokenSignatureError          the signature does not verify
    │   │   ├── IDTokenIssuerError             ``iss`` is not the provider's issuer
    │   │   ├── IDTokenAudienceError           ``aud`` lacks our client id, or has strangers
    │   │   │   └── IDTokenAuthorizedPartyError  ``azp`` missing (several audiences) or not us
    │   │   ├── IDTokenExpiredError            ``exp`` has passed (beyond the leeway)
    │   │   ├── IDTokenIssuedAtError           ``iat`` in the future, or too long ago
    │   │   ├── IDTokenAuthTimeError           ``auth_time`` older than the ``max_age`` asked for
    │   │   ├── IDTokenNonceError              ``nonce`` missing or not the one we sent
    │   │   ├── IDTokenHashError               ``at_hash`` / ``c_hash`` missing or wrong
    │   │   └── RefreshIDTokenError            a refresh's ID token: other iss/sub/nonce (§12.2)
    │   ├── PushedAuthorizationError           RFC 9126: the PAR endpoint refused the request
    │   │   └── PushedAuthorizationRateLimited   429, with ``retry_after``
    │   ├── DPoPError                          RFC 9449: a bearer token where DPoP was asked
    │   ├── LogoutTokenError                   a back-channel logout token failed one check
    │   │   └── LogoutTokenReplayError         its ``jti`` was seen before
    │   └── RegistrationError                  RFC 7591: client registration refused or unusable
    ├── FAPI2ProfileError (ConfigurationError) a setting contradicts FAPI 2.0 (names the key)
    ├── LoginError                             a script's login (loopback or device flow) failed
    │   ├── CallbackStateError                 the loopback callback's ``state`` is not ours
    │   ├── LoginTimeoutError (TimeoutError)   the user did not finish in time
    │   └── AuthorizationError (ProviderError) the provider answered the login with an error
    │       ├── LoginDeniedError               ``access_denied``: the user said no
    │       └── DeviceCodeExpiredError         RFC 8628 ``expired_token``
    ├── TokenCacheError                        a token cache file cannot be used
    │   ├── TokenCacheCorruptError             it is not a cache this library wrote
    │   └── TokenCachePermissionError          another user's, or readable by others
    ├── VerifierMissing (ValueError)           OAuth 1: no verifier for the access token
    └── DeadlineExceededError (TimeoutError)     a token request took longer than allowed

:class:`TokenUpdated` is not an error: it is the ``Warning`` the seed API raises
to hand a refreshed token to a caller that set no ``token_updater``.

The Quart extension's HTTP-facing errors (``CallbackError`` and its
``StateMismatchError``, ``FlowExpiredError``, ``AuthorizationDeniedError``,
``TokenExchangeError``; ``ReauthorizationRequiredError``;
``SessionCookieTooLargeError``) subclass these and werkzeug's, so they live in
:mod:`quart_oauthlib.http_errors`, which the framework-free client never imports.

No message or ``repr`` here ever contains a token, secret, verifier or code.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthorizationError",
    "CallbackStateError",
    "ConfigurationError",
    "DeadlineExceededError",
    "DeviceCodeExpiredError",
    "DiscoveryError",
    "IDTokenAlgorithmError",
    "IDTokenAudienceError",
    "IDTokenAuthTimeError",
    "IDTokenAuthorizedPartyError",
    "IDTokenError",
    "IDTokenExpiredError",
    "IDTokenHashError",
    "IDTokenIssuedAtError",
    "IDTokenIssuerError",
    "IDTokenKeyNotFoundError",
    "IDTokenMalformedError",
    "IDTokenNonceError",
    "IDTokenSignatureError",
    "DPoPError",
    "FAPI2ProfileError",
    "IssuerMismatchError",
    "LogoutTokenError",
    "LogoutTokenReplayError",
    "PushedAuthorizationError",
    "PushedAuthorizationRateLimited",
    "RefreshIDTokenError",
    "JWKSError",
    "LoginDeniedError",
    "LoginError",
    "LoginTimeoutError",
    "ProviderError",
    "QuartOAuthlibError",
    "SessionCookieTooLargeError",
    "RegistrationError",
    "TokenCacheCorruptError",
    "TokenCacheError",
    "TokenCachePermissionError",
    "TokenError",
    "TokenMissing",
    "TokenNotFoundError",
    "TokenNotLoadedError",
    "TokenRefreshError",
    "TokenRequestDenied",
    "TokenResponseError",
    "TokenUpdated",
    "UnknownProviderError",
    "UserInfoError",
    "UserInfoMismatchError",
    "VerifierMissing",
]

_EXCERPT_CHARS = 200


class QuartOAuthlibError(Exception):
    """Base class of every quart-oauthlib error."""


class ConfigurationError(QuartOAuthlibError, ValueError):
    """The library or a provider was configured wrongly."""


class UnknownProviderError(ConfigurationError, AttributeError):
    """No provider of that name is configured (``oauth.githb``, ``oauth["githb"]``).

    An ``AttributeError`` too, so ``hasattr(oauth, "github")`` and ``getattr``
    with a default keep working.

    Attributes:
        provider: The name asked for.
        configured: The configured names.
        suggestion: The nearest configured name, if one is close.
    """

    def __init__(self, provider: str, configured: list[str]):
        self.provider = provider
        self.configured = sorted(configured)
        close = difflib.get_close_matches(provider, self.configured, n=1)
        self.suggestion = close[0] if close else None
        hint = f" Did you mean {self.suggestion!r}?" if self.suggestion else ""
        known = ", ".join(self.configured) or "none"
        super().__init__(
            f"No OAuth provider {provider!r} in this app's OAUTH_PROVIDERS "
            f"(configured: {known}).{hint}"
        )


class TokenError(QuartOAuthlibError):
    """Something is wrong with the token we hold (not with what a provider said)."""


class TokenNotFoundError(TokenError):
    """An authorized request was asked for, but no token is available."""


class TokenNotLoadedError(TokenError, RuntimeError):
    """``.token`` or ``.authorized`` was read before the user's token was loaded.

    With a server-side token store (SQL, Redis, your own) reading the token is
    I/O, which an attribute cannot await: ``await oauth.<name>.load_token()``
    first (``@oauth.require`` and every request method load it too). With the
    session or memory store the token is read on the spot, unless the app's
    user loader is async (the user is then not known without awaiting).
    """


class TokenRefreshError(TokenError):
    """An automatic token refresh failed; the previous token is still in place.

    Attributes:
        error: The RFC 6749 §5.2 error code the provider answered
            (``"invalid_grant"`` ...), or ``None`` when the refresh failed
            for another reason (network, unusable answer). The original
            exception is chained as ``__cause__``.
        description: The provider's ``error_description``, if any.
    """

    def __init__(self, message: str, *, error: str | None = None, description: str | None = None):
        super().__init__(message)
        self.error = error
        self.description = description

    @property
    def needs_login(self) -> bool:
        """True when the user's grant itself is dead and only a new login helps.

        Only ``invalid_grant`` says that (RFC 6749 §5.2). ``invalid_client`` and
        ``unauthorized_client`` are about the client's own credentials or
        registration: dropping every user's token over a rotated client secret
        would lose tokens that work again once the configuration is fixed.
        """
        return self.error == "invalid_grant"


class ProviderError(QuartOAuthlibError):
    """The provider answered something we cannot use.

    Attributes:
        status: The HTTP status of the answer, when there was one.
        error: The RFC 6749 §5.2 ``error`` code, when the answer had one.
        description: The ``error_description``, when the answer had one.
        uri: The ``error_uri``, when the answer had one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
        description: str | None = None,
        uri: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error = error
        self.description = description
        self.uri = uri


class TokenResponseError(ProviderError):
    """A token endpoint answered, but not with a usable token.

    The message names the status and the content type, and quotes a short
    excerpt of a non-JSON body (an HTML error page, say). A JSON body is
    described by its keys only, so that a partial token never reaches a log.

    Attributes:
        content_type: The ``Content-Type`` of the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        content_type: str | None = None,
        error: str | None = None,
        description: str | None = None,
        uri: str | None = None,
    ):
        super().__init__(message, status=status, error=error, description=description, uri=uri)
        self.content_type = content_type


class TokenRequestDenied(ProviderError, ValueError):  # noqa: N818 -- requests-oauthlib name
    """OAuth 1: the provider refused to issue a request or access token.

    ``status_code`` and ``text`` keep requests-oauthlib's spelling.
    """

    def __init__(self, message: str, *, status: int, text: str):
        super().__init__(message, status=status)
        self.text = text

    @property
    def status_code(self) -> int:
        """The HTTP status the provider answered (requests-oauthlib's name)."""
        return self.status or 0


class TokenMissing(ProviderError, ValueError):  # noqa: N818 -- requests-oauthlib name
    """OAuth 1: the provider's answer has no ``oauth_token``."""

    def __init__(self, message: str, *, status: int | None = None, keys: list[str] | None = None):
        super().__init__(message, status=status)
        self.keys = keys or []


class DiscoveryError(ProviderError):
    """The provider's metadata could not be fetched, or cannot be used.

    Raised for a failed or oversized answer, a document that is no JSON
    object, a malformed field, or an ``issuer`` other than the one expected
    (OpenID Connect Discovery 1.0 §4.3, RFC 8414 §3.3).
    """


class JWKSError(DiscoveryError):
    """The provider's JSON Web Key Set could not be fetched, or holds no usable key."""


class IssuerMismatchError(ProviderError):
    """RFC 9207: the authorization response's ``iss`` is missing or not the provider's.

    A mix-up attack sends the user back with another provider's code; the
    ``iss`` parameter is how a client that talks to several providers notices.
    """


class UserInfoError(ProviderError):
    """The userinfo endpoint answered something that is not a user's claims."""


class UserInfoMismatchError(UserInfoError):
    """The userinfo ``sub`` is not the ID token's ``sub`` (OIDC Core §5.3.2).

    The claims may belong to someone else: they must not be used.
    """


class IDTokenError(ProviderError):
    """An ID token failed validation. Each subclass names the check that failed.

    Messages say which claim or header was wrong and why; they never quote
    the token.
    """


class IDTokenMalformedError(IDTokenError):
    """Not a compact JWS with a JSON object payload and a string ``sub``.

    Encrypted (JWE) ID tokens are not supported and raise this too.
    """


class IDTokenAlgorithmError(IDTokenError):
    """The ``alg`` is ``none``, not among the provider's, or does not fit the key.

    Also raised for an ``HS*`` token when there is no client secret: a
    symmetric algorithm is only ever checked with the client secret, never
    with one of the provider's public keys (the RS/HS key-confusion attack).
    """


class IDTokenKeyNotFoundError(IDTokenError):
    """No key in the provider's set has the token's ``kid``, even after a refetch."""


class IDTokenSignatureError(IDTokenError):
    """The signature does not verify with the provider's key (or the client secret)."""


class IDTokenIssuerError(IDTokenError):
    """The ``iss`` claim is missing or not exactly the provider's issuer."""


class IDTokenAudienceError(IDTokenError):
    """The ``aud`` claim lacks our client id, or lists audiences we do not trust."""


class IDTokenAuthorizedPartyError(IDTokenAudienceError):
    """``azp`` is missing although there are several audiences, or is not our client id."""


class IDTokenExpiredError(IDTokenError):
    """The ``exp`` claim is missing, or has passed by more than the leeway."""


class IDTokenIssuedAtError(IDTokenError):
    """The ``iat`` claim is missing, in the future, or older than allowed."""


class IDTokenAuthTimeError(IDTokenError):
    """``auth_time`` is missing or too old although a ``max_age`` was requested."""


class IDTokenNonceError(IDTokenError):
    """The ``nonce`` claim is missing or not the one sent in the authorization request."""


class IDTokenHashError(IDTokenError):
    """``at_hash`` or ``c_hash`` does not match the access token or code, or is missing.

    A hash is required where the flow requires it (implicit and hybrid), and
    checked wherever it is present.
    """


class RefreshIDTokenError(IDTokenError):
    """An ID token from a refresh is not about the original login (OIDC Core §12.2).

    Its ``iss`` or ``sub`` differs from the original ID token's, or it carries a
    ``nonce`` other than the original one. The refreshed token must not be used.
    """


class PushedAuthorizationError(ProviderError):
    """The pushed authorization request endpoint (RFC 9126) refused the request.

    ``error``, ``description`` and ``uri`` hold the RFC 6749 error fields the
    endpoint answered (``invalid_request``, ``invalid_client`` ...), and
    ``status`` its HTTP status (400, 401 ...).
    """


class PushedAuthorizationRateLimited(PushedAuthorizationError):  # noqa: N818 -- reads as a state
    """The PAR endpoint answered 429 Too Many Requests (RFC 9126 §2.3).

    Attributes:
        retry_after: Seconds to wait before pushing again, from ``Retry-After``
            (None when the header is absent or not a number of seconds).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **fields: Any):
        super().__init__(message, **fields)
        self.retry_after = retry_after


class DPoPError(ProviderError):
    """DPoP (RFC 9449) could not be used as asked.

    Raised when a session that asked for sender-constrained tokens gets another
    ``token_type``: a bearer token would silently lose the binding. (A server
    that asks for a new nonce again after the one retry is answered as it
    answered: the token endpoint's ``use_dpop_nonce`` error raises oauthlib's
    error class, a resource server's 401 is the response.)
    """


class LogoutTokenError(ProviderError):
    """A back-channel logout token failed one check (OIDC Back-Channel Logout 1.0 §2.6).

    The message names the check; it never quotes the token. The receiver must
    answer 400 and log nobody out.
    """


class LogoutTokenReplayError(LogoutTokenError):
    """The logout token's ``jti`` was already used: a replay."""


class FAPI2ProfileError(ConfigurationError):
    """A setting contradicts the FAPI 2.0 Security Profile.

    Attributes:
        key: The settings key at fault (``"par"``, ``"token_endpoint_auth_method"`` ...).
    """

    def __init__(self, message: str, *, key: str):
        super().__init__(message)
        self.key = key


class RegistrationError(ProviderError):
    """RFC 7591: the registration endpoint refused the client, or answered no client.

    ``error`` is the RFC 7591 §3.2.2 code (``invalid_redirect_uri``,
    ``invalid_client_metadata`` ...) when the endpoint sent one.
    """


class LoginError(QuartOAuthlibError):
    """A login from a script (loopback redirect or device flow) did not give a token."""


class CallbackStateError(LoginError):
    """The loopback callback's ``state`` is missing or not the one we sent.

    The request did not come from the login we started (a stale browser tab,
    or another page trying to slip its own code in): no code was exchanged.
    """


class LoginTimeoutError(LoginError, TimeoutError):
    """The user did not finish the login in the time allowed."""


class AuthorizationError(LoginError, ProviderError):
    """The provider answered the authorization request with an error.

    ``error``, ``description`` and ``uri`` are the provider's (RFC 6749
    §4.1.2.1, RFC 8628 §3.5).
    """


class LoginDeniedError(AuthorizationError):
    """``access_denied``: the user (or the provider's policy) refused the login."""


class DeviceCodeExpiredError(AuthorizationError):
    """RFC 8628 ``expired_token``: the user code expired before the user approved it."""


class TokenCacheError(QuartOAuthlibError):
    """A token cache file cannot be used; it is left exactly as it was.

    Attributes:
        path: The cache file.
    """

    def __init__(self, message: str, *, path: str):
        super().__init__(message)
        self.path = path


class TokenCacheCorruptError(TokenCacheError):
    """The cache file is not valid JSON, or not in the layout this library writes."""


class TokenCachePermissionError(TokenCacheError):
    """The cache file belongs to another user, is readable by others, or is no regular file."""


class VerifierMissing(QuartOAuthlibError, ValueError):  # noqa: N818 -- requests-oauthlib name
    """OAuth 1: an access token was asked for without a verifier."""


class DeadlineExceededError(QuartOAuthlibError, TimeoutError):
    """A token request did not complete within its total deadline."""


class TokenUpdated(Warning):  # noqa: N818 -- the seed API's name, kept for compatibility
    """Raised with the new token when a session refreshed it and has no ``token_updater``.

    Attributes:
        token: The new token. The session already uses it; save it.
    """

    def __init__(self, token: Mapping[str, Any]):
        super().__init__("The token was refreshed; save TokenUpdated.token.")
        self.token = token


def excerpt(text: str) -> str:
    """A short, single-line excerpt of a provider's non-JSON answer, for messages."""
    flat = " ".join(text.split())
    if len(flat) > _EXCERPT_CHARS:
        return flat[:_EXCERPT_CHARS] + "..."
    return flat


class SessionCookieTooLargeError(ConfigurationError):
    """The tokens would make the session cookie larger than browsers keep.

    Browsers silently drop a cookie over about 4 KB, which would log the user
    out with no error anywhere. Use a server-side token store instead.
    """

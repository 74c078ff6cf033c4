"""quart-oauthlib: async OAuth 1 and OAuth 2 on aiohttp + oauthlib, and a Quart extension.

The Quart extension's names are imported lazily, so that the framework-free
client (``quart_oauthlib.client``) never imports Quart.
"""

from typing import TYPE_CHECKING, Any

from .client._token_endpoint import TokenResponse
from .client.oauth1_auth import OAuth1
from .client.oauth1_session import OAuth1Session
from .client.oauth2_auth import OAuth2
from .client.oauth2_session import OAuth2Session
from .errors import (
    ConfigurationError,
    DeadlineExceededError,
    DiscoveryError,
    IDTokenError,
    IssuerMismatchError,
    ProviderError,
    QuartOAuthlibError,
    TokenError,
    TokenMissing,
    TokenNotFoundError,
    TokenNotLoadedError,
    TokenRefreshError,
    TokenRequestDenied,
    TokenResponseError,
    TokenUpdated,
    UnknownProviderError,
    UserInfoError,
    UserInfoMismatchError,
    VerifierMissing,
)
from .profile import Profile

if TYPE_CHECKING:
    from .extension.http_errors import (
        AuthorizationDeniedError,
        CallbackError,
        FlowExpiredError,
        OpenIDProviderError,
        OpenIDVerificationError,
        ReauthorizationRequiredError,
        RefreshUnavailableError,
        SessionCookieTooLargeError,
        StateMismatchError,
        TokenExchangeError,
    )
    from .extension.oauth import QuartOAuth
    from .signals import oauth_authorized, oauth_before_login, oauth_error, token_updated
    from .storage import BaseTokenStore, MemoryTokenStore, SessionTokenStore, TokenStore

# The Quart extension's public names, and the module each lives in.
_EXTENSION_NAMES = {
    "QuartOAuth": "extension.oauth",
    "AuthorizationDeniedError": "extension.http_errors",
    "CallbackError": "extension.http_errors",
    "FlowExpiredError": "extension.http_errors",
    "OpenIDProviderError": "extension.http_errors",
    "OpenIDVerificationError": "extension.http_errors",
    "ReauthorizationRequiredError": "extension.http_errors",
    "RefreshUnavailableError": "extension.http_errors",
    "SessionCookieTooLargeError": "extension.http_errors",
    "StateMismatchError": "extension.http_errors",
    "TokenExchangeError": "extension.http_errors",
    "oauth_authorized": "signals",
    "oauth_before_login": "signals",
    "oauth_error": "signals",
    "token_updated": "signals",
    "BaseTokenStore": "storage",
    "MemoryTokenStore": "storage",
    "SessionTokenStore": "storage",
    "TokenStore": "storage",
}


def __getattr__(name: str) -> Any:
    module = _EXTENSION_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "AuthorizationDeniedError",
    "BaseTokenStore",
    "CallbackError",
    "ConfigurationError",
    "DeadlineExceededError",
    "DiscoveryError",
    "FlowExpiredError",
    "IDTokenError",
    "IssuerMismatchError",
    "MemoryTokenStore",
    "OAuth1",
    "OAuth1Session",
    "OAuth2",
    "OAuth2Session",
    "OpenIDProviderError",
    "OpenIDVerificationError",
    "Profile",
    "ProviderError",
    "QuartOAuth",
    "QuartOAuthlibError",
    "ReauthorizationRequiredError",
    "RefreshUnavailableError",
    "SessionCookieTooLargeError",
    "SessionTokenStore",
    "StateMismatchError",
    "TokenError",
    "TokenExchangeError",
    "TokenMissing",
    "TokenNotFoundError",
    "TokenNotLoadedError",
    "TokenRefreshError",
    "TokenRequestDenied",
    "TokenResponse",
    "TokenResponseError",
    "TokenStore",
    "TokenUpdated",
    "UnknownProviderError",
    "UserInfoError",
    "UserInfoMismatchError",
    "VerifierMissing",
    "oauth_authorized",
    "oauth_before_login",
    "oauth_error",
    "token_updated",
]

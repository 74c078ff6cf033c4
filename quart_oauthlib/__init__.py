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
    AuthorizationError,
    CallbackStateError,
    ConfigurationError,
    DeadlineExceededError,
    DeviceCodeExpiredError,
    DiscoveryError,
    IDTokenError,
    IssuerMismatchError,
    LoginDeniedError,
    LoginError,
    LoginTimeoutError,
    ProviderError,
    QuartOAuthlibError,
    RegistrationError,
    TokenCacheCorruptError,
    TokenCacheError,
    TokenCachePermissionError,
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
    from .client.native.token_cache import TokenCache
    from .client.registration import RegisteredClient, register_client
    from .extension.http_errors import (
        AuthorizationDeniedError,
        CallbackError,
        FlowExpiredError,
        OpenIDProviderError,
        OpenIDVerificationError,
        PushedAuthorizationFailedError,
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
    "PushedAuthorizationFailedError": "extension.http_errors",
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


# Client names imported on first use too, to keep ``import quart_oauthlib`` light.
_LAZY_CLIENT_NAMES = {
    "TokenCache": "client.native.token_cache",
    "RegisteredClient": "client.registration",
    "register_client": "client.registration",
}


def __getattr__(name: str) -> Any:
    module = _EXTENSION_NAMES.get(name) or _LAZY_CLIENT_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)


__all__ = [
    "AuthorizationDeniedError",
    "AuthorizationError",
    "BaseTokenStore",
    "CallbackError",
    "CallbackStateError",
    "ConfigurationError",
    "DeadlineExceededError",
    "DeviceCodeExpiredError",
    "DiscoveryError",
    "FlowExpiredError",
    "IDTokenError",
    "IssuerMismatchError",
    "LoginDeniedError",
    "LoginError",
    "LoginTimeoutError",
    "MemoryTokenStore",
    "OAuth1",
    "OAuth1Session",
    "OAuth2",
    "OAuth2Session",
    "OpenIDProviderError",
    "OpenIDVerificationError",
    "PushedAuthorizationFailedError",
    "Profile",
    "ProviderError",
    "QuartOAuth",
    "QuartOAuthlibError",
    "ReauthorizationRequiredError",
    "RefreshUnavailableError",
    "RegisteredClient",
    "RegistrationError",
    "SessionCookieTooLargeError",
    "SessionTokenStore",
    "StateMismatchError",
    "TokenCache",
    "TokenCacheCorruptError",
    "TokenCacheError",
    "TokenCachePermissionError",
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
    "register_client",
    "token_updated",
]

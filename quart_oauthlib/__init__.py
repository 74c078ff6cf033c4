"""quart-oauthlib: async OAuth 1 and OAuth 2 on aiohttp + oauthlib, and a Quart extension."""

from .client._token_endpoint import TokenResponse
from .client.oauth1_auth import OAuth1
from .client.oauth1_session import OAuth1Session
from .client.oauth2_auth import OAuth2
from .client.oauth2_session import OAuth2Session
from .errors import (
    ConfigurationError,
    DeadlineExceededError,
    ProviderError,
    QuartOAuthlibError,
    TokenError,
    TokenMissing,
    TokenNotFoundError,
    TokenRefreshError,
    TokenRequestDenied,
    TokenResponseError,
    TokenUpdated,
    VerifierMissing,
)

__all__ = [
    "ConfigurationError",
    "DeadlineExceededError",
    "OAuth1",
    "OAuth1Session",
    "OAuth2",
    "OAuth2Session",
    "ProviderError",
    "QuartOAuthlibError",
    "TokenError",
    "TokenMissing",
    "TokenNotFoundError",
    "TokenRefreshError",
    "TokenRequestDenied",
    "TokenResponse",
    "TokenResponseError",
    "TokenUpdated",
    "VerifierMissing",
]

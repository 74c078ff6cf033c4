"""quart-oauthlib: async OAuth 1 and OAuth 2 on aiohttp + oauthlib, and a Quart extension."""

from .client._token_endpoint import TokenResponse
from .client.oauth2_auth import OAuth2
from .client.oauth2_session import OAuth2Session
from .errors import (
    ConfigurationError,
    DeadlineExceededError,
    ProviderError,
    QuartOAuthlibError,
    TokenError,
    TokenNotFoundError,
    TokenRefreshError,
    TokenResponseError,
    TokenUpdated,
)

__all__ = [
    "ConfigurationError",
    "DeadlineExceededError",
    "OAuth2",
    "OAuth2Session",
    "ProviderError",
    "QuartOAuthlibError",
    "TokenError",
    "TokenNotFoundError",
    "TokenRefreshError",
    "TokenResponse",
    "TokenResponseError",
    "TokenUpdated",
]

"""Trade the user's token for one meant for a downstream API (RFC 8693 token exchange)."""

from typing import Any

from quart_oauthlib import OAuth2Session

TOKEN_URL = "https://provider.example/token"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


async def token_for_backend(session: OAuth2Session, user_token: str) -> dict[str, Any]:
    return await session.exchange_token(
        TOKEN_URL,
        subject_token=user_token,
        subject_token_type=ACCESS_TOKEN,
        resource="https://backend.example/api",  # RFC 8707
        scope=["read"],
    )

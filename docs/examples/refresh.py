"""Refreshing OAuth 2 tokens: the three styles of requests-oauthlib, made async."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from oauthlib.oauth2 import TokenExpiredError

from quart_oauthlib import OAuth2Session, TokenUpdated

refresh_url = "https://provider.example/oauth2/token"
protected_url = "https://api.provider.example/me"

TokenSaver = Callable[[dict[str, Any]], Awaitable[None]]


# First: catch TokenExpiredError, refresh and save by hand.
async def first_style(
    client_id: str, token: Mapping[str, Any], extra: Mapping[str, str], token_saver: TokenSaver
) -> int:
    async with OAuth2Session(client_id, token=token) as client:
        try:
            response = await client.get(protected_url)
        except TokenExpiredError:
            new_token = await client.refresh_token(refresh_url, **extra)
            await token_saver(new_token)
            response = await client.get(protected_url)
        async with response:
            return response.status


# Second: refresh automatically, catch TokenUpdated to save the new token.
async def second_style(
    client_id: str, token: Mapping[str, Any], extra: Mapping[str, str], token_saver: TokenSaver
) -> int:
    async with OAuth2Session(
        client_id, token=token, auto_refresh_url=refresh_url, auto_refresh_kwargs=extra
    ) as client:
        try:
            response = await client.get(protected_url)
        except TokenUpdated as e:
            await token_saver(e.token)
            response = await client.get(protected_url)  # the session holds the new token
        async with response:
            return response.status


# Third, recommended: refresh and save automatically.
async def third_style(
    client_id: str, token: Mapping[str, Any], extra: Mapping[str, str], token_saver: TokenSaver
) -> int:
    async with OAuth2Session(
        client_id,
        token=token,
        auto_refresh_url=refresh_url,
        auto_refresh_kwargs=extra,
        token_updater=token_saver,
    ) as client:
        async with client.get(protected_url) as response:
            return response.status

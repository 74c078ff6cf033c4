"""Web application flow (authorization code grant), with PKCE."""

from collections.abc import Awaitable, Callable
from typing import Any

from quart_oauthlib import OAuth2Session

authorization_base_url = "https://github.com/login/oauth/authorize"
token_url = "https://github.com/login/oauth/access_token"
protected_url = "https://api.github.com/user"
redirect_uri = "https://127.0.0.1/callback"
scope = ["read"]


async def web_application_flow(
    client_id: str, client_secret: str, authorize: Callable[[str], Awaitable[str]]
) -> dict[str, Any]:
    # Request 1, the login page: make the URL, keep state and verifier (in the
    # user's session, say) until the provider sends the user back.
    async with OAuth2Session(
        client_id, redirect_uri=redirect_uri, scope=scope, pkce="S256"
    ) as oauth:
        authorization_url, state = oauth.authorization_url(authorization_base_url)
        code_verifier = oauth.code_verifier

    redirect_response = await authorize(authorization_url)

    # Request 2, the callback: a new session with the saved state checks it.
    async with OAuth2Session(
        client_id, redirect_uri=redirect_uri, state=state, pkce="S256"
    ) as oauth:
        await oauth.fetch_token(
            token_url,
            client_secret=client_secret,
            authorization_response=redirect_response,
            code_verifier=code_verifier,
        )
        async with oauth.get(protected_url) as response:
            response.raise_for_status()
            return await response.json()

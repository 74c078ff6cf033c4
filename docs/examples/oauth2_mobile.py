"""Mobile application flow (implicit grant): the token comes back in the URL fragment."""

from collections.abc import Awaitable, Callable
from typing import Any

from oauthlib.oauth2 import MobileApplicationClient

from quart_oauthlib import OAuth2Session

authorization_base_url = "https://provider.example/oauth2/authorize"
protected_url = "https://api.provider.example/me"
redirect_uri = "https://127.0.0.1/callback"


async def mobile_application_flow(
    client_id: str, authorize: Callable[[str], Awaitable[str]]
) -> dict[str, Any]:
    client = MobileApplicationClient(client_id=client_id)
    async with OAuth2Session(client=client, scope=["read"], redirect_uri=redirect_uri) as oauth:
        authorization_url, state = oauth.authorization_url(authorization_base_url)
        redirect_response = await authorize(authorization_url)
        # No token request: the token is in the redirect's #fragment.
        oauth.token_from_fragment(redirect_response)
        async with oauth.get(protected_url) as response:
            return await response.json()

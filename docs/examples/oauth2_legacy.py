"""Legacy application flow (resource owner password credentials grant)."""

from typing import Any

from oauthlib.oauth2 import LegacyApplicationClient

from quart_oauthlib import OAuth2Session

token_url = "https://provider.example/oauth2/token"


async def legacy_application_flow(
    client_id: str, client_secret: str, username: str, password: str
) -> dict[str, Any]:
    client = LegacyApplicationClient(client_id=client_id)
    async with OAuth2Session(client=client) as oauth:
        return await oauth.fetch_token(
            token_url=token_url,
            username=username,
            password=password,
            client_id=client_id,
            client_secret=client_secret,
        )

"""Backend application flow (client credentials grant)."""

from typing import Any

from oauthlib.oauth2 import BackendApplicationClient

from quart_oauthlib import OAuth2Session

token_url = "https://provider.example/oauth2/token"


async def backend_application_flow(client_id: str, client_secret: str) -> dict[str, Any]:
    client = BackendApplicationClient(client_id=client_id)
    async with OAuth2Session(client=client) as oauth:
        # The credentials go in HTTP Basic (RFC 6749 section 2.3.1) ...
        return await oauth.fetch_token(token_url=token_url, auth=(client_id, client_secret))


async def backend_application_flow_in_body(client_id: str, client_secret: str) -> dict[str, Any]:
    client = BackendApplicationClient(client_id=client_id)
    async with OAuth2Session(client=client) as oauth:
        # ... or in the request body, for providers that want them there.
        return await oauth.fetch_token(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            include_client_id=True,
        )

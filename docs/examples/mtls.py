"""TLS client authentication (RFC 8705): a client certificate instead of a secret."""

from typing import Any

from oauthlib.oauth2 import BackendApplicationClient

from quart_oauthlib import OAuth2Session

token_url = "https://provider.example/oauth2/token"


async def fetch_with_certificate(client_id: str, certfile: str, keyfile: str) -> dict[str, Any]:
    async with OAuth2Session(client=BackendApplicationClient(client_id=client_id)) as oauth:
        return await oauth.fetch_token(
            token_url=token_url,
            include_client_id=True,  # RFC 8705 asks for client_id in the request
            cert=(certfile, keyfile),
        )

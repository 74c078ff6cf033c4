"""private_key_jwt (RFC 7523): the client signs a short-lived assertion; no secret is sent."""

import json
from typing import Any

from oauthlib.oauth2 import BackendApplicationClient

from quart_oauthlib import OAuth2Session

issuer = "https://bank.example"
token_url = "https://bank.example/token"
introspection_url = "https://bank.example/token/introspection"


def load_jwk(path: str) -> dict[str, Any]:
    with open(path) as f:
        jwk: dict[str, Any] = json.load(f)  # the private JWK
    return jwk


async def machine_token(client_id: str, jwk_path: str) -> dict[str, Any]:
    client_jwk = load_jwk(jwk_path)  # or client_jwk=("client.pem", "my-kid")
    async with OAuth2Session(
        client=BackendApplicationClient(client_id),
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=client_jwk,
        issuer=issuer,  # the assertion's aud
    ) as oauth:
        token = await oauth.fetch_token(token_url)
        # Every call to the provider authenticates the same way, with a fresh assertion.
        answer = await oauth.introspect_token(introspection_url)
        if not answer["active"]:
            raise RuntimeError("The provider says the new token is not active.")
        return token

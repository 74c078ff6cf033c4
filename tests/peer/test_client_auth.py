"""Every token_endpoint_auth_method against oidc-provider, on every kind of provider call."""

from __future__ import annotations

from typing import Any

import pytest
from oauthlib.oauth2 import BackendApplicationClient, InvalidClientError

from quart_oauthlib import OAuth2Session
from tests.peer.conftest import REDIRECT_URI, SECRET
from tests.peer.interaction import UserAgent

SECRET_METHODS = [
    ("basic", "client_secret_basic"),
    ("post", "client_secret_post"),
    ("secret-jwt", "client_secret_jwt"),
]


@pytest.mark.parametrize(("client_id", "method"), SECRET_METHODS)
async def test_client_credentials_with_each_secret_method(
    metadata: dict[str, Any], client_id: str, method: str
) -> None:
    async with OAuth2Session(
        client=BackendApplicationClient(client_id),
        client_secret=SECRET,
        token_endpoint_auth_method=method,  # type: ignore[arg-type]
        issuer=metadata["issuer"],
    ) as session:
        token = await session.fetch_token(metadata["token_endpoint"])
        assert token["access_token"]
        answer = await session.introspect_token(metadata["introspection_endpoint"])
        assert answer["active"] is True
        assert answer["client_id"] == client_id
        await session.revoke_token(metadata["revocation_endpoint"])
        answer = await session.introspect_token(metadata["introspection_endpoint"])
        assert answer["active"] is False


@pytest.mark.parametrize("key_name", ["es256", "ps256"])
async def test_private_key_jwt_on_token_introspection_and_revocation(
    metadata: dict[str, Any], client_keys: dict[str, Any], clients: dict[str, str], key_name: str
) -> None:
    async with OAuth2Session(
        client=BackendApplicationClient(clients["private-jwt"]),
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=client_keys[key_name],
        issuer=metadata["issuer"],
    ) as session:
        token = await session.fetch_token(metadata["token_endpoint"])
        answer = await session.introspect_token(metadata["introspection_endpoint"])
        assert answer["active"] is True and answer["client_id"] == clients["private-jwt"]
        await session.revoke_token(metadata["revocation_endpoint"], token["access_token"])
        answer = await session.introspect_token(metadata["introspection_endpoint"])
        assert answer["active"] is False


async def test_a_wrong_secret_is_refused(metadata: dict[str, Any]) -> None:
    async with OAuth2Session(
        client=BackendApplicationClient("secret-jwt"),
        client_secret="not-" + SECRET,
        token_endpoint_auth_method="client_secret_jwt",
        issuer=metadata["issuer"],
    ) as session:
        with pytest.raises(InvalidClientError):
            await session.fetch_token(metadata["token_endpoint"])


async def test_a_key_the_provider_does_not_know_is_refused(
    metadata: dict[str, Any], clients: dict[str, str]
) -> None:
    from joserfc.jwk import ECKey

    stranger = ECKey.generate_key("P-256", {"kid": "c-es256"}, private=True)  # a known kid
    async with OAuth2Session(
        client=BackendApplicationClient(clients["private-jwt"]),
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=stranger,
        issuer=metadata["issuer"],
    ) as session:
        with pytest.raises(InvalidClientError):
            await session.fetch_token(metadata["token_endpoint"])


@pytest.mark.parametrize(
    ("client_id", "method"),
    [*SECRET_METHODS, ("private-jwt", "private_key_jwt"), ("public", "none")],
)
async def test_code_flow_and_refresh_with_each_method(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
    client_id: str,
    method: str,
) -> None:
    async with OAuth2Session(
        clients.get(client_id, client_id),
        client_secret=SECRET if method.startswith("client_secret") else None,
        client_jwk=client_keys["es256"] if method == "private_key_jwt" else None,
        token_endpoint_auth_method=method,  # type: ignore[arg-type]
        issuer=metadata["issuer"],
        redirect_uri=REDIRECT_URI,
        scope="openid email",
        pkce="S256",
    ) as session:
        url, _ = session.authorization_url(metadata["authorization_endpoint"])
        callback = await user_agent.authorize(url, REDIRECT_URI)
        token = await session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback
        )
        assert token["id_token"] and token["refresh_token"]
        refreshed = await session.refresh_token(metadata["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]

"""A FAPI 2.0 login end to end against oidc-provider enforcing its FAPI 2.0 profile.

PAR, PKCE S256, DPoP-bound tokens with provider nonces, private_key_jwt with
the issuer as audience, ES256 ID tokens validated, the RFC 9207 ``iss`` of the
authorization response checked, and the ID token of a refresh validated
against the original (OIDC Core §12.2).
"""

from __future__ import annotations

from typing import Any

import pytest

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.fapi2 import check_fapi2_settings
from quart_oauthlib.client.oidc import (
    IDTokenValidator,
    ProviderMetadata,
    check_authorization_response_issuer,
)
from quart_oauthlib.client.oidc.refresh import validate_refreshed_id_token
from quart_oauthlib.errors import FAPI2ProfileError, PushedAuthorizationError
from tests.peer.conftest import REDIRECT_URI
from tests.peer.interaction import UserAgent


async def test_fapi2_login_end_to_end(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
) -> None:
    settings: dict[str, Any] = {
        "par": True,
        "pkce": "S256",
        "dpop": True,
        "token_endpoint_auth_method": "private_key_jwt",
        "client_jwk": client_keys["es256"],
        "id_token_signing_algs": ["ES256"],
        "require_iss": True,
    }
    check_fapi2_settings(settings, name="peer")
    provider = ProviderMetadata.from_document(metadata, issuer=metadata["issuer"])
    async with OAuth2Session(
        clients["fapi2"],
        token_endpoint_auth_method=settings["token_endpoint_auth_method"],
        client_jwk=settings["client_jwk"],
        issuer=metadata["issuer"],
        redirect_uri=REDIRECT_URI,
        scope="openid email",
        pkce=settings["pkce"],
        dpop=settings["dpop"],
    ) as session:
        nonce = "n-" + session.new_state()
        url, _ = await session.push_authorization_request(
            metadata["pushed_authorization_request_endpoint"],
            metadata["authorization_endpoint"],
            nonce=nonce,
        )
        callback = await user_agent.authorize(url, REDIRECT_URI)
        check_authorization_response_issuer(provider, callback)
        token = await session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback
        )
        assert token["token_type"] == "DPoP"

        validator = IDTokenValidator.for_provider(
            provider, client_id=clients["fapi2"], algorithms=settings["id_token_signing_algs"]
        )
        original = await validator.validate(session.http, token["id_token"], nonce=nonce)
        assert original.header["alg"] == "ES256" and original.sub == "alice"

        async with session.get(metadata["userinfo_endpoint"]) as resp:
            assert resp.status == 200
            assert (await resp.json())["sub"] == original.sub

        refreshed = await session.refresh_token(metadata["token_endpoint"])
        assert refreshed["token_type"] == "DPoP"
        assert refreshed["id_token"] != token["id_token"]
        again = await validate_refreshed_id_token(
            validator, session.http, refreshed["id_token"], original=original
        )
        assert again.sub == original.sub


async def test_the_provider_refuses_a_fapi2_login_without_par(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
) -> None:
    from yarl import URL

    with pytest.raises(FAPI2ProfileError) as raised:
        check_fapi2_settings(
            {
                "pkce": "S256",
                "dpop": True,
                "token_endpoint_auth_method": "private_key_jwt",
                "client_jwk": client_keys["es256"],
            }
        )
    assert raised.value.key == "par"
    async with OAuth2Session(
        clients["fapi2"],
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=client_keys["es256"],
        issuer=metadata["issuer"],
        redirect_uri=REDIRECT_URI,
        scope="openid",
        pkce="S256",
        dpop=True,
    ) as session:
        url, _ = session.authorization_url(metadata["authorization_endpoint"])
        refused = await user_agent.authorize(url, REDIRECT_URI)
        assert URL(refused).query.get("error") == "invalid_request"


async def test_fapi2_wants_the_issuer_as_the_assertions_audience(
    metadata: dict[str, Any], client_keys: dict[str, Any], clients: dict[str, str]
) -> None:
    from oauthlib.oauth2 import InvalidClientError

    async def push(issuer: str | None) -> str:
        async with OAuth2Session(
            clients["fapi2"],
            token_endpoint_auth_method="private_key_jwt",
            client_jwk=client_keys["es256"],
            issuer=issuer,
            redirect_uri=REDIRECT_URI,
            scope="openid",
            pkce="S256",
            dpop=True,
        ) as session:
            url, _ = await session.push_authorization_request(
                metadata["pushed_authorization_request_endpoint"],
                metadata["authorization_endpoint"],
            )
            return url

    assert "request_uri" in await push(metadata["issuer"])
    # Without the issuer the aud falls back to the endpoint's URL, which FAPI 2.0 refuses.
    with pytest.raises((PushedAuthorizationError, InvalidClientError)) as raised:
        await push(None)
    assert raised.value.error == "invalid_client"  # type: ignore[union-attr]

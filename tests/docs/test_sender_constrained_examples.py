"""The "Sender-constrained tokens and FAPI 2.0" examples, run against oidc-provider.

They need the peer CI starts (``QUART_OAUTHLIB_TEST_PEER_URL``): they skip without it
and fail when it is set but unreachable, as the tests under tests/peer/ do.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.docs.conftest import load_example
from tests.peer.conftest import (
    KEYED_CLIENTS,
    REDIRECT_URI,
    peer_metadata,
    public_jwks,
    register_client,
)
from tests.peer.interaction import UserAgent


@pytest.fixture
async def peer(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    url = os.environ.get("QUART_OAUTHLIB_TEST_PEER_URL")
    if not url:
        pytest.skip("QUART_OAUTHLIB_TEST_PEER_URL is unset: no oidc-provider to run against.")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return await peer_metadata(url.rstrip("/"))


@pytest.fixture
async def agent() -> AsyncIterator[UserAgent]:
    ua = UserAgent()
    yield ua
    await ua.close()


def keys() -> dict[str, Any]:
    from joserfc.jwk import ECKey

    private = ECKey.generate_key("P-256", {"kid": "docs-1", "alg": "ES256"}, private=True)
    return private.as_dict(private=True)


async def keyed_client(metadata: dict[str, Any], jwk: dict[str, Any], name: str) -> str:
    """Register a private_key_jwt client (KEYED_CLIENTS[name]) with ``jwk``'s public half."""
    answer = await register_client(
        metadata,
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        response_types=["code"],
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks({"key": jwk}),
        **KEYED_CLIENTS[name],
    )
    return str(answer["client_id"])


async def test_private_key_jwt(
    peer: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    example = load_example("private_key_jwt.py")
    monkeypatch.setattr(example, "issuer", peer["issuer"])
    monkeypatch.setattr(example, "token_url", peer["token_endpoint"])
    monkeypatch.setattr(example, "introspection_url", peer["introspection_endpoint"])
    jwk = keys()
    jwk_path = tmp_path / "client.jwk"
    jwk_path.write_text(json.dumps(jwk))
    token = await example.machine_token(await keyed_client(peer, jwk, "private-jwt"), str(jwk_path))
    assert token["access_token"]


async def test_dpop_login(
    peer: dict[str, Any], monkeypatch: pytest.MonkeyPatch, agent: UserAgent
) -> None:
    example = load_example("dpop_login.py")
    monkeypatch.setattr(example, "authorization_url", peer["authorization_endpoint"])
    monkeypatch.setattr(example, "token_url", peer["token_endpoint"])
    monkeypatch.setattr(example, "userinfo_url", peer["userinfo_endpoint"])
    result = await example.login(
        "dpop-public", REDIRECT_URI, lambda url: agent.authorize(url, REDIRECT_URI)
    )
    assert result["user"]["sub"] == "alice"
    assert result["token"]["token_type"] == "DPoP"


async def test_fapi2_login(
    peer: dict[str, Any], monkeypatch: pytest.MonkeyPatch, agent: UserAgent
) -> None:
    example = load_example("fapi2_login.py")
    monkeypatch.setattr(
        example, "discovery_url", f"{peer['issuer']}/.well-known/openid-configuration"
    )
    jwk = keys()
    settings = {
        "client_id": await keyed_client(peer, jwk, "fapi2"),
        "redirect_uri": REDIRECT_URI,
        "par": True,
        "pkce": "S256",
        "dpop": True,
        "token_endpoint_auth_method": "private_key_jwt",
        "client_jwk": jwk,
        "id_token_signing_algs": ["ES256"],
    }
    result = await example.fapi2_login(settings, lambda url: agent.authorize(url, REDIRECT_URI))
    assert result["sub"] == "alice"


async def test_backchannel_logout_example(tls: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs without the peer: a logout token signed by the local fake provider."""
    import time

    from joserfc import jws

    from quart_oauthlib.client.oidc import JWKSCache
    from quart_oauthlib.client.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT
    from quart_oauthlib.errors import LogoutTokenReplayError
    from tests.fake_provider.oidc import running_oidc_provider

    example = load_example("backchannel_logout.py")
    async with running_oidc_provider(tls) as provider:
        monkeypatch.setattr(example, "issuer", provider.issuer)
        monkeypatch.setattr(example, "jwks", JWKSCache(f"{provider.issuer}/jwks"))
        claims = {
            "iss": provider.issuer,
            "aud": example.client_id,
            "iat": int(time.time()),
            "jti": "j1",
            "sub": "alice",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        header = {"alg": "RS256", "kid": provider.rsa.kid, "typ": "logout+jwt"}
        token = jws.serialize_compact(
            header, json.dumps(claims).encode(), provider.rsa, algorithms=["RS256"]
        )
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=tls.client_context)
        ) as http:
            assert (await example.on_backchannel_logout(http, token)).sub == "alice"
            with pytest.raises(LogoutTokenReplayError):
                await example.on_backchannel_logout(http, token)


async def test_fapi2_extension(peer: dict[str, Any], agent: UserAgent, tmp_path: Path) -> None:
    from joserfc.jwk import ECKey
    from yarl import URL

    example = load_example("fapi2_extension.py")
    jwk = keys()
    dpop_key = ECKey.generate_key("P-256", private=True).as_dict(private=True)
    app = example.create_app(
        peer["issuer"] + "/.well-known/openid-configuration",
        await keyed_client(peer, jwk, "fapi2"),
        jwk,
        dpop_key,
        token_store=f"sqlite+aiosqlite:///{tmp_path}/tokens.sqlite3",
        redirect_uri=REDIRECT_URI,
    )
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/bank")
        assert set(URL(start.headers["Location"]).query) == {"client_id", "request_uri"}
        callback = await agent.authorize(start.headers["Location"], REDIRECT_URI)
        back = await client.get(f"/login/bank/authorized?{URL(callback).raw_query_string}")
        assert back.status_code == 302, await back.get_data(as_text=True)
        me = await client.get("/me")
        assert me.status_code == 200, await me.get_data(as_text=True)
        assert (await me.get_json())["sub"] == "alice"

"""The Quart extension as oidc-provider's relying party: client authentication, PAR,
DPoP with nonces, DPoP-bound refresh and FAPI 2.0, configured by provider settings only."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from joserfc.jwk import ECKey
from oauthlib.oauth2 import InvalidGrantError
from yarl import URL

from quart_oauthlib import OAuth2Session
from quart_oauthlib.storage.memory import MemoryTokenStore
from tests.peer.conftest import REDIRECT_URI, SECRET
from tests.peer.ext_support import USER, login, make_app, peer_settings
from tests.peer.interaction import UserAgent


async def userinfo_status(metadata: dict[str, Any], authorization: str) -> int:
    async with aiohttp.ClientSession() as http:
        async with http.get(
            metadata["userinfo_endpoint"], headers={"Authorization": authorization}
        ) as resp:
            return resp.status


def pem_file(tmp_path: Path, jwk: dict[str, Any]) -> str:
    path = tmp_path / "client.pem"
    path.write_bytes(ECKey.import_key(jwk).as_pem(private=True))
    return str(path)


SECRET_CLIENTS: dict[str, dict[str, Any]] = {
    "client_secret_basic": {"client_id": "basic", "client_secret": SECRET},
    "client_secret_post": {
        "client_id": "post",
        "client_secret": SECRET,
        "token_endpoint_auth_method": "client_secret_post",
    },
    "client_secret_jwt": {
        "client_id": "secret-jwt",
        "client_secret": SECRET,
        "token_endpoint_auth_method": "client_secret_jwt",
    },
    "none": {"client_id": "public", "token_endpoint_auth_method": "none"},
}


async def sign_in_use_and_log_out(
    settings: dict[str, Any], metadata: dict[str, Any], agent: UserAgent
) -> None:
    """Login, userinfo through the bound session, logout with revocation."""
    store = MemoryTokenStore()
    app, _ = make_app(settings, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, agent)
        me = await client.get("/me")
        assert me.status_code == 200, await me.get_data(as_text=True)
        assert (await me.get_json())["email"] == "alice@example.test"
        token = await store.get("peer", USER)
        assert token is not None and token["sub"] == "alice"
        assert "id_token" not in token
        assert await userinfo_status(metadata, f"Bearer {token['access_token']}") == 200
        out = await client.post("/logout/peer")
        assert out.status_code == 303
    assert await store.get("peer", USER) is None
    # Revoked at the provider, with this client's authentication: the token is dead.
    assert await userinfo_status(metadata, f"Bearer {token['access_token']}") == 401


@pytest.mark.parametrize("method", sorted(SECRET_CLIENTS))
async def test_the_extension_signs_in_with_each_secret_method(
    peer_url: str, metadata: dict[str, Any], user_agent: UserAgent, method: str
) -> None:
    entry = dict(SECRET_CLIENTS[method])
    settings = peer_settings(peer_url, entry.pop("client_id"), **entry)
    await sign_in_use_and_log_out(settings, metadata, user_agent)


@pytest.mark.parametrize("form", ["jwk", "pem"])
async def test_the_extension_signs_in_with_private_key_jwt(
    peer_url: str,
    metadata: dict[str, Any],
    clients: dict[str, str],
    client_keys: dict[str, Any],
    user_agent: UserAgent,
    tmp_path: Path,
    form: str,
) -> None:
    jwk = client_keys["es256"]
    key: dict[str, Any] = (
        {"client_jwk": jwk}
        if form == "jwk"
        else {"client_jwk": pem_file(tmp_path, jwk), "client_jwk_kid": jwk["kid"]}
    )
    settings = peer_settings(peer_url, clients["private-jwt"], **key)
    await sign_in_use_and_log_out(settings, metadata, user_agent)


async def test_a_client_that_must_push_is_refused_without_par_and_signs_in_with_it(
    peer_url: str, user_agent: UserAgent
) -> None:
    base = {"client_secret": SECRET}
    app, _ = make_app(peer_settings(peer_url, "par-only", **base))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start = await client.get("/login/peer")
        callback = await user_agent.authorize(start.headers["Location"], REDIRECT_URI)
        assert URL(callback).query.get("error") == "invalid_request"  # the provider's word
        back = await client.get(f"/login/peer/authorized?{URL(callback).raw_query_string}")
        assert back.status_code == 400

    store = MemoryTokenStore()
    app, _ = make_app(peer_settings(peer_url, "par-only", par=True, **base), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        url = await login(client, user_agent)
        assert set(URL(url).query) == {"client_id", "request_uri"}
        assert (await client.get("/me")).status_code == 200
    assert await store.get("peer", USER) is not None


async def test_dpop_login_binds_the_token_and_the_bound_session_proves_possession(
    peer_url: str,
    metadata: dict[str, Any],
    clients: dict[str, str],
    client_keys: dict[str, Any],
    user_agent: UserAgent,
) -> None:
    store = MemoryTokenStore()
    settings = peer_settings(peer_url, clients["dpop"], client_jwk=client_keys["es256"], dpop=True)
    app, _ = make_app(settings, store)
    key = app.extensions["quart_oauthlib"].provider("peer").settings.dpop_key
    async with app.test_app() as test_app:
        client = test_app.test_client()
        url = await login(client, user_agent)
        assert URL(url).query["dpop_jkt"] == key.thumbprint  # the code is bound too
        token = await store.get("peer", USER)
        assert token is not None
        assert token["token_type"] == "DPoP" and token["dpop_jkt"] == key.thumbprint
        # The provider demands nonces at the token endpoint and userinfo: both handled.
        for _ in range(2):
            me = await client.get("/me")
            assert me.status_code == 200, await me.get_data(as_text=True)
        assert key.nonce_for(metadata["userinfo_endpoint"]) is not None
    # Without its proof the token is worthless.
    assert await userinfo_status(metadata, f"Bearer {token['access_token']}") == 401
    assert await userinfo_status(metadata, f"DPoP {token['access_token']}") in (400, 401)


async def test_a_dpop_bound_refresh_through_the_coordinator_uses_the_same_key(
    peer_url: str, metadata: dict[str, Any], user_agent: UserAgent
) -> None:
    store = MemoryTokenStore()
    settings = peer_settings(peer_url, "dpop-public", token_endpoint_auth_method="none", dpop=True)
    app, oauth = make_app(settings, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, user_agent)
        token = await store.get("peer", USER)
        assert token is not None and token.get("refresh_token")
        before = (await (await client.get("/claims")).get_json())["claims"]
        token["expires_at"] = time.time() - 30
        await store.set("peer", USER, token)
        await asyncio.sleep(1.1)  # a later iat for the refreshed ID token
        me = await client.get("/me")  # @require refreshes first; then userinfo with DPoP
        assert me.status_code == 200, await me.get_data(as_text=True)
        after = (await (await client.get("/claims")).get_json())["claims"]
        # The refresh's ID token was validated (OIDC Core 12.2) and its claims kept.
        assert after["sub"] == before["sub"] == "alice" and after["iat"] > before["iat"]
        refreshed = await store.get("peer", USER)
        assert refreshed is not None
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["token_type"] == "DPoP"
        assert refreshed["sub"] == "alice" and "id_token" not in refreshed  # validated, not kept
    # The refresh token is bound to the app's key: another key cannot spend it.
    async with OAuth2Session("dpop-public", token_endpoint_auth_method="none", dpop=True) as thief:
        with pytest.raises(InvalidGrantError):
            await thief.refresh_token(
                metadata["token_endpoint"], refresh_token=refreshed["refresh_token"]
            )


async def test_the_fapi2_profile_end_to_end(
    peer_url: str,
    metadata: dict[str, Any],
    clients: dict[str, str],
    client_keys: dict[str, Any],
    user_agent: UserAgent,
) -> None:
    store = MemoryTokenStore()
    settings = peer_settings(
        peer_url, clients["fapi2"], security_profile="fapi2", client_jwk=client_keys["es256"]
    )
    app, _ = make_app(settings, store)
    config = app.extensions["quart_oauthlib"].provider("peer").settings
    assert config.par is True and config.dpop_key is not None
    assert config.token_endpoint_auth_method == "private_key_jwt"
    async with app.test_app() as test_app:
        client = test_app.test_client()
        url = await login(client, user_agent)
        assert set(URL(url).query) == {"client_id", "request_uri"}  # pushed
        me = await client.get("/me")
        assert me.status_code == 200, await me.get_data(as_text=True)
        assert (await me.get_json())["sub"] == "alice"
    token = await store.get("peer", USER)
    assert token is not None and token["token_type"] == "DPoP"
    assert await userinfo_status(metadata, f"Bearer {token['access_token']}") == 401

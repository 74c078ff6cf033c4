"""An ID token from a refresh is validated (OIDC Core §12.2) in the coordinator's grant."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from quart_oauthlib import MemoryTokenStore
from quart_oauthlib.client.oidc import token_hash
from tests.ext.oidc_support import TamperingProvider, login, make_app
from tests.fake_provider.serving import TLS, serve


class RefreshingProvider(TamperingProvider):
    """The fake OpenID provider, with refresh tokens whose answers carry an ID token."""

    def __init__(self) -> None:
        super().__init__()
        self.refresh_tokens: set[str] = set()
        self.refresh_changes: dict[str, Any] = {}

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "refresh_token":
            answer = await super()._token(request)
            body = json.loads(answer.text or "{}")
            if answer.status == 200:
                body["refresh_token"] = secrets.token_urlsafe(16)
                self.refresh_tokens.add(body["refresh_token"])
            return web.json_response(body, status=answer.status)
        if form.get("refresh_token") not in self.refresh_tokens:
            return web.json_response({"error": "invalid_grant"}, status=400)
        access_token = secrets.token_urlsafe(24)
        self.access_tokens.add(access_token)
        changes = {"nonce": None, "at_hash": token_hash(access_token, "RS256")}
        changes.update(self.refresh_changes)
        return web.json_response(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": self.sign(self.claims(**changes)),
            }
        )


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[RefreshingProvider]:
    p = RefreshingProvider()
    async with serve(p.app, tls) as base_url:
        p.issuer = str(base_url)
        yield p


async def expire(store: MemoryTokenStore) -> tuple[tuple[str, str], dict[str, Any]]:
    ((key, token),) = store._tokens.items()
    token = dict(token)
    token["expires_at"] = time.time() - 30
    await store.set(*key, token)
    return key, token


async def test_a_good_refreshed_id_token_updates_the_kept_claims(
    tls: TLS, provider: RefreshingProvider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        key, old = await expire(store)
        provider.refresh_changes = {"iat": int(time.time()) + 5, "email": "new@example.test"}
        me = await client.get("/me")  # reads the claims, then refreshes for userinfo
        assert me.status_code == 200, await me.get_data(as_text=True)
        assert "email" not in (await me.get_json())["claims"]
        claims = (await (await client.get("/me")).get_json())["claims"]
        assert claims["email"] == "new@example.test" and claims["sub"] == provider.sub
        stored = await store.get(*key)
        assert stored is not None and stored["access_token"] != old["access_token"]
        assert "id_token" not in stored and stored["sub"] == provider.sub


@pytest.mark.parametrize(
    "change",
    [
        {"sub": "someone-else"},
        {"nonce": "not-the-logins"},
        {"aud": "another-client"},
        {"iss": "https://evil.example"},
    ],
    ids=["sub", "nonce", "aud", "iss"],
)
async def test_a_bad_refreshed_id_token_fails_the_refresh_and_keeps_the_token(
    tls: TLS, provider: RefreshingProvider, change: dict[str, Any]
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        key, old = await expire(store)
        provider.refresh_changes = change
        me = await client.get("/me")
        assert me.status_code == 503
        assert await store.get(*key) == old

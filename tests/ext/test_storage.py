"""Token stores: the interface, the session store's cookie budget, the memory store."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from quart import Quart, session

from quart_oauthlib import (
    BaseTokenStore,
    MemoryTokenStore,
    QuartOAuth,
    SessionCookieTooLargeError,
    SessionTokenStore,
    TokenStore,
)
from quart_oauthlib.storage.base import LockingTokenStore, store_lock
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_memory_store_copies_in_and_out() -> None:
    store = MemoryTokenStore()
    token = {"access_token": "a", "scope": ["x"]}
    await store.set("p", "u", token)
    token["scope"].append("y")
    got = await store.get("p", "u")
    assert got == {"access_token": "a", "scope": ["x"]}
    assert got is not None
    got["access_token"] = "changed"
    assert (await store.get("p", "u")) == {"access_token": "a", "scope": ["x"]}
    assert await store.get("p", "other") is None
    await store.delete("p", "u")
    await store.delete("p", "u")  # no error when absent
    assert len(store) == 0 and "a" not in repr(store)


async def test_session_store_is_per_user_and_slim() -> None:
    app = Quart(__name__)
    app.secret_key = "k"
    store = SessionTokenStore()
    async with app.test_request_context("/"):
        await store.set(
            "p",
            "user:ann",
            {"access_token": "a", "token_type": "Bearer", "id_token": "x" * 900, "user": "ann"},
        )
        assert await store.get("p", "user:ann") == {
            "access_token": "a",
            "token_type": "Bearer",
            "user": "ann",
        }
        assert await store.get("p", "user:bob") is None  # another user on this browser
        await store.delete("p", "user:bob")
        assert "_oauth_tokens" not in session


async def test_session_store_refuses_a_cookie_browsers_would_drop() -> None:
    app = Quart(__name__)
    app.secret_key = "k"
    store = SessionTokenStore()
    async with app.test_request_context("/"):
        huge = {"access_token": secrets.token_urlsafe(3500), "token_type": "Bearer"}
        with pytest.raises(SessionCookieTooLargeError, match="'p'.*server-side") as caught:
            await store.set("p", "u", huge)
        assert huge["access_token"][:20] not in str(caught.value)
        assert await store.get("p", "u") is None  # nothing half-stored


async def test_several_providers_linked_to_one_user(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    providers = {"corp": corp_settings(provider), "other": corp_settings(provider)}
    app, oauth = make_app(tls, providers, QuartOAuth(store=store, user_id_loader=lambda: 42))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        await login(client, tls, "other")
    assert sorted(store._tokens) == [("corp", "user:42"), ("other", "user:42")]


class LockingStore(BaseTokenStore):
    """A store with its own lock, as a Redis store would have."""

    def __init__(self) -> None:
        self.inner = MemoryTokenStore()
        self.locked: list[tuple[str, str]] = []

    async def get(self, provider: str, user_id: str) -> dict[str, Any] | None:
        return await self.inner.get(provider, user_id)

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        await self.inner.set(provider, user_id, token)

    async def delete(self, provider: str, user_id: str) -> None:
        await self.inner.delete(provider, user_id)

    @asynccontextmanager
    async def lock(self, provider: str, user_id: str) -> AsyncIterator[None]:
        self.locked.append((provider, user_id))
        yield


async def test_the_interface_admits_a_locking_store(tls: TLS, provider: OAuth2Provider) -> None:
    store = LockingStore()
    assert isinstance(store, TokenStore) and isinstance(store, LockingTokenStore)
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        ((key, token),) = store.inner._tokens.items()
        token["expires_at"] = time.time() - 5
        assert (await client.get("/profile")).status_code == 200
    assert store.locked == [key]
    async with store_lock(MemoryTokenStore(), "p", "u"):
        pass  # stores without a lock get a no-op

"""An expired token is refreshed on use, once per user, and written back to the store."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient

from quart_oauthlib import MemoryTokenStore, QuartOAuth, TokenRefreshError, token_updated
from tests.ext.conftest import corp_settings, hang_up_mid_grant, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def expire_memory(store: MemoryTokenStore) -> str:
    ((key, token),) = store._tokens.items()
    token["expires_at"] = time.time() - 5
    return token["access_token"]  # type: ignore[no-any-return]


async def expire_session(client: QuartClient) -> str:
    async with client.session_transaction() as session:
        tokens = dict(session["_oauth_tokens"])
        tokens["corp"]["t"]["expires_at"] = time.time() - 5
        session["_oauth_tokens"] = tokens
        return tokens["corp"]["t"]["access_token"]  # type: ignore[no-any-return]


async def test_refresh_is_written_back_to_memory_store(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    updates: list[dict[str, Any]] = []

    async def on_update(sender: Quart, **kwargs: Any) -> None:
        updates.append(kwargs)

    with token_updated.connected_to(on_update):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            await login(client, tls)
            old = await expire_memory(store)
            provider.expire_all_access_tokens()
            response = await client.get("/profile")
            assert response.status_code == 200
            assert (await response.get_json())["status"] == 200
    ((_, token),) = store._tokens.items()
    assert token["access_token"] != old
    assert token["expires_at"] > time.time() + 3000
    assert provider.grant_counts["refresh_token"] == 1
    assert [u["provider"] for u in updates] == ["corp"]
    assert updates[0]["token"]["access_token"] == token["access_token"]


async def test_refresh_is_written_back_to_session_store(tls: TLS, provider: OAuth2Provider) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        old = await expire_session(client)
        provider.expire_all_access_tokens()
        assert (await client.get("/profile")).status_code == 200
        assert (await client.get("/profile")).status_code == 200  # the new token was kept
        async with client.session_transaction() as session:
            new = session["_oauth_tokens"]["corp"]["t"]["access_token"]
    assert new != old
    assert provider.grant_counts["refresh_token"] == 1


@pytest.mark.parametrize("store_kind", ["memory", "session"])
async def test_concurrent_requests_refresh_once(
    tls: TLS, provider: OAuth2Provider, store_kind: str
) -> None:
    provider.quirks.refresh_delay_seconds = 0.2
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, OAUTH_TOKEN_STORE=store_kind)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        if store_kind == "memory":
            await expire_memory(app.extensions["quart_oauthlib"].store)
        else:
            await expire_session(client)
        provider.expire_all_access_tokens()
        responses = await asyncio.gather(*(client.get("/profile") for _ in range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert [(await r.get_json())["status"] for r in responses] == [200] * 8
    assert provider.grant_counts["refresh_token"] == 1


async def test_refused_refresh_drops_token_and_sends_to_login(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        await expire_memory(store)
        provider.quirks.fail_refresh_with = "invalid_grant"
        response = await client.get("/profile?x=1")
        assert response.status_code == 302
        assert response.headers["Location"] == "/login/corp?next=/profile?x%3D1"
        assert len(store) == 0
        json_response = await client.get("/profile", headers={"Accept": "application/json"})
    assert json_response.status_code == 401


async def test_expired_token_without_refresh_token_counts_as_logged_out(
    tls: TLS, provider: OAuth2Provider
) -> None:
    token = provider.issue_token(refresh=False)
    token["expires_at"] = time.time() - 5
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))

    @app.route("/unguarded")
    async def unguarded() -> Any:
        async with oauth["corp"].get(provider.url("/api/user")) as resp:
            return str(resp.status)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await store.set("corp", "user:alice", token)
        oauth.user_id_loader(lambda: "alice")
        assert (await client.get("/profile")).status_code == 302
        # a view without @require meets the dead token: same answer, token dropped
        response = await client.get("/unguarded")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/corp?next=")
    assert len(store) == 0


def renew_route(app: Quart, oauth: QuartOAuth) -> None:
    @app.post("/renew")
    @oauth.require("corp")
    async def renew() -> Any:
        token = await oauth["corp"].renew_token()
        return {"access_token": token["access_token"]}


async def test_renew_token_refreshes_once_for_concurrent_requests_and_stores_it(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # Each request has its own session: only the per-user lock keeps the second
    # request from spending the (rotating) refresh token the first one just used.
    provider.quirks.refresh_delay_seconds = 0.2
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    renew_route(app, oauth)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        ((_, before),) = store._tokens.items()
        responses = await asyncio.gather(*(client.post("/renew") for _ in range(4)))
        assert [r.status_code for r in responses] == [200] * 4
        renewed = {(await r.get_json())["access_token"] for r in responses}
        assert (await client.get("/profile")).status_code == 200
    ((_, after),) = store._tokens.items()
    assert renewed == {after["access_token"]}
    assert after["access_token"] != before["access_token"]
    assert provider.grant_counts["refresh_token"] == 1
    assert provider.is_active(after["refresh_token"])  # the family was not revoked


async def test_refused_renewal_drops_the_token(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    renew_route(app, oauth)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        provider.quirks.fail_refresh_with = "invalid_grant"
        response = await client.post("/renew")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login/corp")
    assert len(store) == 0


async def test_renewal_without_refresh_token_keeps_the_token(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    token = provider.issue_token(refresh=False)
    errors: list[str] = []

    @app.post("/renew")
    async def renew() -> Any:
        try:
            await oauth["corp"].renew_token()
        except TokenRefreshError as exc:
            errors.append(str(exc))
        return ""

    async with app.test_app() as test_app:
        oauth.user_id_loader(lambda: "alice")
        await store.set("corp", "user:alice", token)
        await test_app.test_client().post("/renew")
    assert errors == ["The 'corp' token of this user came without a refresh token."]
    assert await store.get("corp", "user:alice") == token
    assert provider.grant_counts["refresh_token"] == 0


async def test_forget_token_revokes_and_drops_it(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    seen: list[bool] = []

    @app.post("/forget")
    async def forget() -> Any:
        await oauth["corp"].forget_token()
        seen.append(oauth["corp"].authorized)
        return ""

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        ((_, token),) = store._tokens.items()
        await client.post("/forget")
        assert (await client.get("/profile")).status_code == 302
    assert seen == [False]
    assert len(store) == 0
    assert not provider.is_active(token["access_token"])
    assert not provider.is_active(token["refresh_token"])


@pytest.mark.parametrize("error", ["invalid_client", "unauthorized_client", "server_error"])
async def test_refresh_refused_for_the_client_keeps_the_token_and_answers_503(
    tls: TLS, provider: OAuth2Provider, error: str
) -> None:
    # A rotated client secret must not drop every user's token: the grant is fine.
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        await expire_memory(store)
        ((_, before),) = store._tokens.items()
        provider.quirks.fail_refresh_with = error
        response = await client.get("/profile")
        page = await response.get_data(as_text=True)
        assert response.status_code == 503
        assert "could not be refreshed now" in page
        assert before["refresh_token"] not in page and before["access_token"] not in page
        provider.quirks.fail_refresh_with = None  # fixed: the same token refreshes
        assert (await client.get("/profile")).status_code == 200
    assert provider.grant_counts["refresh_token"] == 2


async def test_refresh_with_the_provider_down_answers_503_and_keeps_the_token(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    down = "https://127.0.0.1:9/token"  # nothing listens on the discard port
    settings = corp_settings(provider, token_url=down)
    app, oauth = make_app(tls, {"corp": settings}, QuartOAuth(store=store))
    oauth.user_id_loader(lambda: "alice")
    token = provider.issue_token()
    token["expires_at"] = time.time() - 5
    await store.set("corp", "user:alice", token)
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/profile")
    assert response.status_code == 503
    assert await store.get("corp", "user:alice") == token


async def test_an_id_token_from_a_refresh_is_not_stored(tls: TLS, provider: OAuth2Provider) -> None:
    def with_id_token(session: Any) -> Any:  # a provider that re-issues ID tokens
        def add(response: Any) -> Any:
            body = json.loads(response.text)
            body["id_token"] = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"
            response.text = json.dumps(body)
            return response

        session.register_compliance_hook("refresh_token_response", add)
        return session

    store = MemoryTokenStore()
    settings = corp_settings(provider, compliance_fix=with_id_token)
    app, _ = make_app(tls, {"corp": settings}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        old = await expire_memory(store)
        assert (await client.get("/profile")).status_code == 200
    ((_, token),) = store._tokens.items()
    assert token["access_token"] != old  # refreshed...
    assert "id_token" not in token  # ...without keeping the unvalidated ID token


async def test_request_cancelled_mid_refresh_makes_one_grant(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # The browser hangs up while the grant is in flight: the refresh goes on in its
    # task, and the requests that follow join it (or read its result) rather than
    # replaying the refresh token, which this provider would answer by revoking the family.
    provider.quirks.refresh_delay_seconds = 0.5
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        old = await expire_memory(store)
        provider.expire_all_access_tokens()
        await hang_up_mid_grant(client, provider, "/profile")
        assert provider.grant_counts["refresh_token"] == 1  # still in flight
        responses = await asyncio.gather(*(client.get("/profile") for _ in range(4)))
        after = await client.get("/profile")
    assert provider.grant_counts["refresh_token"] == 1
    assert [r.status_code for r in [*responses, after]] == [200] * 5
    assert [(await r.get_json())["status"] for r in [*responses, after]] == [200] * 5
    ((_, token),) = store._tokens.items()
    assert token["access_token"] != old
    assert provider.is_active(token["refresh_token"])


async def test_session_store_two_workers_both_refresh_and_a_rotating_provider_signs_out(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # What docs/storage.rst states: the cookie store has no lease across workers. Two
    # concurrent requests of one browser, to two worker processes, each carry the same
    # expired token in their own cookie; both refresh. A provider that rotates refresh
    # tokens and revokes the family on replay then signs the user out.
    provider.quirks.refresh_delay_seconds = 0.3
    app_a, _ = make_app(tls, {"corp": corp_settings(provider)})
    app_b, _ = make_app(tls, {"corp": corp_settings(provider)})  # same SECRET_KEY
    async with app_a.test_app() as test_a, app_b.test_app() as test_b:
        client_a, client_b = test_a.test_client(), test_b.test_client()
        await login(client_a, tls)
        await expire_session(client_a)
        provider.expire_all_access_tokens()
        async with client_a.session_transaction() as cookie_a:
            copied = dict(cookie_a)
        async with client_b.session_transaction() as cookie_b:
            cookie_b.update(copied)  # the browser sends one cookie to either worker
        json = {"Accept": "application/json"}
        answers = await asyncio.gather(
            client_a.get("/profile", headers=json), client_b.get("/profile", headers=json)
        )
        kept = []
        for client in (client_a, client_b):
            async with client.session_transaction() as cookie:
                entry = cookie.get("_oauth_tokens", {}).get("corp")
                kept.append(entry["t"]["refresh_token"] if entry else None)
    # Two refreshes, and perhaps one more: a worker whose new token was revoked with its
    # family before its API call meets invalid_token there, and tries its refresh token
    # once (refused too).
    assert provider.grant_counts["refresh_token"] in (2, 3)
    assert 401 in [answer.status_code for answer in answers]  # the replay: sign in again
    assert not any(token and provider.is_active(token) for token in kept)


async def test_app_shutdown_lets_a_hung_up_refresh_store_its_token(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # The request hangs up and the server stops at once: the grant was sent, so the
    # provider has rotated the refresh token; the new one must not be lost.
    provider.quirks.refresh_delay_seconds = 0.3
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        old = await expire_memory(store)
        provider.expire_all_access_tokens()
        await hang_up_mid_grant(client, provider, "/profile")
    ((_, token),) = store._tokens.items()
    assert provider.grant_counts["refresh_token"] == 1
    assert token["access_token"] != old
    assert provider.is_active(token["refresh_token"])

"""Bad callbacks: each one stores nothing and answers a clear 4xx page, never a 500."""

from __future__ import annotations

import html
import time
import types
from typing import Any

import pytest
from quart import Quart
from quart.testing import QuartClient
from yarl import URL

from quart_oauthlib import CallbackError, MemoryTokenStore, QuartOAuth, oauth_error
from quart_oauthlib.extension import flow_state as flow_state_module
from tests.ext.conftest import corp_settings, follow_provider, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
def app(tls: TLS, provider: OAuth2Provider, store: MemoryTokenStore) -> Quart:
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    return app


async def start(client: QuartClient, tls: TLS, **params: str) -> URL:
    """Begin a login and let the provider answer; return the callback URL it sent back."""
    response = await client.get("/login/corp")
    return await follow_provider(tls, response.headers["Location"], **params)


async def text(response: Any) -> str:
    return html.unescape(await response.get_data(as_text=True))


async def test_missing_state(app: Quart, tls: TLS, store: MemoryTokenStore) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        query = {k: v for k, v in back.query.items() if k != "state"}
        response = await client.get(back.path, query_string=query)
    assert response.status_code == 400
    assert "carries no 'state'" in await text(response)
    assert len(store) == 0


async def test_wrong_state(app: Quart, tls: TLS, store: MemoryTokenStore) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get(back.path, query_string={**back.query, "state": "forged"})
    assert response.status_code == 400
    assert "No login with this state is pending in this browser" in await text(response)
    assert len(store) == 0


async def test_replayed_state(app: Quart, tls: TLS, store: MemoryTokenStore) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        first = await client.get(back.path, query_string=dict(back.query))
        assert first.status_code == 302
        await store.delete("corp", next(iter(store._tokens))[1])
        again = await client.get(back.path, query_string=dict(back.query))
    assert again.status_code == 400
    assert "already answered" in await text(again)
    assert len(store) == 0


async def test_replayed_refused_state_is_not_called_completed(
    app: Quart, store: MemoryTokenStore
) -> None:
    """A refused login's state is used up too; its replay says so without claiming a sign-in."""
    async with app.test_app() as test_app:
        client = test_app.test_client()
        start_login = await client.get("/login/corp")
        state = URL(start_login.headers["Location"]).query["state"]
        refusal = {"error": "access_denied", "state": state}
        refused = await client.get("/login/corp/authorized", query_string=refusal)
        assert refused.status_code == 403
        late = {"code": "late-code", "state": state}  # the provider's answer, changed
        again = await client.get("/login/corp/authorized", query_string=late)
    page = await text(again)
    assert again.status_code == 400
    assert "already answered" in page
    assert "completed" not in page
    assert len(store) == 0


async def test_expired_state(
    app: Quart, tls: TLS, store: MemoryTokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        later = types.SimpleNamespace(time=lambda: time.time() + 601)
        monkeypatch.setattr(flow_state_module, "time", later)
        response = await client.get(back.path, query_string=dict(back.query))
    assert response.status_code == 400
    assert "more than 600 seconds ago" in await text(response)
    assert len(store) == 0


async def test_lost_cookie_explains_itself(app: Quart, tls: TLS, store: MemoryTokenStore) -> None:
    async with app.test_app() as test_app:
        back = await start(test_app.test_client(), tls)
        other_browser = test_app.test_client()  # no cookie: as if the browser dropped it
        response = await other_browser.get(back.path, query_string=dict(back.query))
    body = await text(response)
    assert response.status_code == 400
    assert "sent no session cookie" in body
    assert "localhost" in body and "127.0.0.1" in body
    assert len(store) == 0


async def test_lost_cookie_names_samesite_strict(
    tls: TLS, provider: OAuth2Provider, store: MemoryTokenStore
) -> None:
    app, _ = make_app(
        tls,
        {"corp": corp_settings(provider)},
        QuartOAuth(store=store),
        SESSION_COOKIE_SAMESITE="Strict",
    )
    async with app.test_app() as test_app:
        back = await start(test_app.test_client(), tls)
        response = await test_app.test_client().get(back.path, query_string=dict(back.query))
    assert "SESSION_COOKIE_SAMESITE is 'Strict'" in await text(response)


async def test_reset_session_mentions_secret_key(
    app: Quart, tls: TLS, store: MemoryTokenStore
) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        async with client.session_transaction() as session:
            session.clear()
            session["other"] = 1
        response = await client.get(back.path, query_string=dict(back.query))
    assert response.status_code == 400
    assert "SECRET_KEY" in await text(response)


async def test_state_of_another_provider(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    providers = {"corp": corp_settings(provider), "other": corp_settings(provider)}
    app, _ = make_app(tls, providers, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get("/login/other/authorized", query_string=dict(back.query))
    assert response.status_code == 400
    assert "belongs to a login with 'corp'" in await text(response)
    assert len(store) == 0


async def test_access_denied_is_a_clear_page_and_a_signal(
    app: Quart, tls: TLS, store: MemoryTokenStore
) -> None:
    received: list[dict[str, Any]] = []

    def on_error(sender: Quart, **kwargs: Any) -> None:
        received.append(kwargs)

    with oauth_error.connected_to(on_error):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            back = await start(client, tls, deny="1")
            assert back.query["error"] == "access_denied"
            response = await client.get(back.path, query_string=dict(back.query))
            # the state was used up by the error answer
            again = await client.get(back.path, query_string={**back.query, "error": ""})
    assert response.status_code == 403
    assert "cancelled or refused" in await text(response)
    assert again.status_code == 400
    assert [r["error"] for r in received] == ["access_denied", "state_mismatch"]
    assert received[0]["provider"] == "corp"
    assert isinstance(received[0]["exception"], CallbackError)
    assert len(store) == 0


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("invalid_request", "authorize_params"),
        ("unauthorized_client", "registration"),
        ("unsupported_response_type", "does not issue codes"),
        ("invalid_scope", "'scope' setting"),
        ("server_error", "try again later"),
        ("temporarily_unavailable", "try again later"),
        ("something_new", "documentation"),
    ],
)
async def test_every_rfc6749_error_code(
    app: Quart, tls: TLS, store: MemoryTokenStore, error: str, hint: str
) -> None:
    received: list[dict[str, Any]] = []

    def on_error(sender: Quart, **kwargs: Any) -> None:
        received.append(kwargs)

    with oauth_error.connected_to(on_error):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            back = await start(client, tls)
            query = {"state": back.query["state"], "error": error, "error_description": "<b>x</b>"}
            response = await client.get(back.path, query_string=query)
    body = await text(response)
    assert response.status_code == 400
    assert hint in body
    assert "<b>" not in await response.get_data(as_text=True)  # provider text is escaped
    assert len(store) == 0
    ((told),) = received
    assert (told["provider"], told["error"]) == ("corp", error)
    assert "<b>x</b>" in told["description"]  # the provider's words, for the receiver to escape


async def test_provider_scope_error_from_the_real_provider(
    tls: TLS, provider: OAuth2Provider
) -> None:
    provider.store.allowed_scopes = {"read"}
    app, _ = make_app(tls, {"corp": corp_settings(provider, scope=["admin"])})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get(back.path, query_string=dict(back.query))
    assert back.query["error"] == "invalid_scope"
    assert response.status_code == 400


async def test_oauth_error_receiver_may_answer(app: Quart, tls: TLS) -> None:
    async def on_error(sender: Quart, **kwargs: Any) -> Any:
        return {"custom": kwargs["error"]}, 418

    with oauth_error.connected_to(on_error):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            back = await start(client, tls, deny="1")
            response = await client.get(back.path, query_string=dict(back.query))
    assert response.status_code == 418
    assert await response.get_json() == {"custom": "access_denied"}


async def test_app_error_handler_may_answer(app: Quart, tls: TLS) -> None:
    @app.errorhandler(CallbackError)
    async def handle(error: CallbackError) -> Any:
        return f"sorry: {error.error}", 400

    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/corp/authorized", query_string={"code": "x"})
    assert await text(response) == "sorry: state_mismatch"


async def test_json_clients_get_json_errors(app: Quart, tls: TLS) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get(
            "/login/corp/authorized",
            query_string={"code": "x", "state": "y"},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 400
    body = await response.get_json()
    assert body["error"] == "state_mismatch" and body["provider"] == "corp"


async def test_bad_client_secret_is_a_token_exchange_error(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    settings = corp_settings(provider, client_secret="wrong-secret")
    app, _ = make_app(tls, {"corp": settings}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get(back.path, query_string=dict(back.query))
    body = await text(response)
    assert response.status_code == 400
    assert "refused to exchange the authorization code (invalid_client" in body
    assert "wrong-secret" not in body and back.query["code"] not in body
    assert len(store) == 0


async def test_no_code_and_no_error(app: Quart, tls: TLS, store: MemoryTokenStore) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get(back.path, query_string={"state": back.query["state"]})
    assert response.status_code == 400
    assert "neither 'code' nor 'error'" in await text(response)
    assert len(store) == 0


async def test_unreachable_token_endpoint_is_a_502(tls: TLS, provider: OAuth2Provider) -> None:
    settings = corp_settings(provider, token_url="https://127.0.0.1:9/token")
    app, _ = make_app(tls, {"corp": settings})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get(back.path, query_string=dict(back.query))
    assert response.status_code == 502
    assert "unreachable" in await text(response)


async def test_html_error_page_from_token_endpoint_is_a_502(
    tls: TLS, provider: OAuth2Provider
) -> None:
    provider.quirks.html_error_status = 503
    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.test_app() as test_app:
        client = test_app.test_client()
        back = await start(client, tls)
        response = await client.get(back.path, query_string=dict(back.query))
    assert response.status_code == 502

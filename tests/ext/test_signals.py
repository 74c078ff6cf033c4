"""Signals: before login, authorized (which may stop the storing), error."""

from __future__ import annotations

from typing import Any

from quart import Quart, redirect

from quart_oauthlib import MemoryTokenStore, QuartOAuth, oauth_authorized, oauth_before_login
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


async def test_authorized_and_before_login_receive_what_they_document(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    seen: list[tuple[str, Any, dict[str, Any]]] = []

    def before(sender: Quart, **kwargs: Any) -> None:  # sync receivers work too
        seen.append(("before", sender, kwargs))

    async def authorized(sender: Quart, **kwargs: Any) -> None:
        seen.append(("authorized", sender, kwargs))

    with oauth_before_login.connected_to(before), oauth_authorized.connected_to(authorized):
        async with app.test_app() as test_app:
            await login(test_app.test_client(), tls)
    (_, sender1, before_kw), (_, sender2, auth_kw) = seen
    assert sender1 is app and sender2 is app
    assert before_kw["provider"] == "corp"
    assert before_kw["url"].startswith(provider.url("/authorize"))
    assert auth_kw["provider"] == "corp"
    assert auth_kw["token"]["token_type"] == "Bearer"
    assert len(store) == 1


async def test_authorized_returning_false_stops_the_storing(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    kept: list[dict[str, Any]] = []

    async def keep_it_myself(sender: Quart, *, provider: str, token: dict[str, Any]) -> bool:
        kept.append(token)
        return False

    with oauth_authorized.connected_to(keep_it_myself):
        async with app.test_app() as test_app:
            response = await login(test_app.test_client(), tls, next_url="/next")
    assert response.headers["Location"] == "/next"
    assert len(store) == 0 and len(kept) == 1


async def test_authorized_returning_a_response_answers_with_it(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))

    async def elsewhere(sender: Quart, **kwargs: Any) -> Any:
        return redirect("/onboarding")

    with oauth_authorized.connected_to(elsewhere):
        async with app.test_app() as test_app:
            response = await login(test_app.test_client(), tls)
    assert response.headers["Location"] == "/onboarding"
    assert len(store) == 0


async def test_before_login_may_answer_instead(tls: TLS, provider: OAuth2Provider) -> None:
    app, _ = make_app(tls, {"corp": corp_settings(provider)})

    def maintenance(sender: Quart, **kwargs: Any) -> Any:
        return "Logins are paused", 503

    with oauth_before_login.connected_to(maintenance):
        async with app.test_app() as test_app:
            response = await test_app.test_client().get("/login/corp")
    assert response.status_code == 503

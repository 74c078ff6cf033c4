"""``api_base_url``: relative API URLs resolve against it (Authlib and Flask-Dance semantics)."""

from __future__ import annotations

from typing import Any

import pytest
from quart import jsonify

from quart_oauthlib import ConfigurationError, MemoryTokenStore, QuartOAuth
from quart_oauthlib.extension.api_urls import api_url
from quart_oauthlib.extension.bound import BoundOAuth1Session
from quart_oauthlib.extension.request_sessions import bound_session
from tests.ext.conftest import corp_settings, follow_provider, login, make_app
from tests.ext.test_oauth1_login import oauth1_app, provider1, tumblr
from tests.fake_provider.oauth1 import OAuth1Provider
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS

__all__ = ["provider1"]


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        ("https://api.github.com/", "/user", "https://api.github.com/user"),
        ("https://api.github.com/", "user", "https://api.github.com/user"),
        (
            "https://api.github.com/",
            "user/repos?page=2",
            "https://api.github.com/user/repos?page=2",
        ),
        ("https://api.spotify.com/v1/", "me", "https://api.spotify.com/v1/me"),
        ("https://api.spotify.com/v1/", "/me", "https://api.spotify.com/me"),  # urljoin, as Authlib
        ("https://api.github.com/", "https://other.example/x", "https://other.example/x"),
        (None, "https://other.example/x", "https://other.example/x"),
    ],
)
def test_join(base: str | None, url: str, expected: str) -> None:
    assert api_url("github", base, url) == expected


def test_relative_url_without_a_base_names_the_setting() -> None:
    with pytest.raises(ConfigurationError, match=r"OAUTH_PROVIDERS\['corp'\]\['api_base_url'\]"):
        api_url("corp", None, "/user")


async def test_relative_calls_reach_the_api(tls: TLS, provider: OAuth2Provider) -> None:
    settings = corp_settings(provider, api_base_url=provider.url("/api/"))
    app, oauth = make_app(tls, {"corp": settings}, QuartOAuth(store=MemoryTokenStore()))

    @app.route("/calls")
    @oauth.require("corp")
    async def calls() -> Any:
        statuses = []
        for url in ("user", "/api/user", provider.url("/api/user")):
            async with oauth.corp.get(url) as resp:
                statuses.append((resp.status, (await resp.json())["sub"]))
        resp = await oauth.corp.get("user")  # Flask-Dance style, awaited: resp.ok
        ok = resp.ok
        resp.release()
        profile = await oauth.corp.profile()  # the userinfo URL stays absolute
        return jsonify(statuses=statuses, ok=ok, id=profile.id)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        body = await (await client.get("/calls")).get_json()
    assert body == {"statuses": [[200, "alice"]] * 3, "ok": True, "id": "alice"}
    assert provider.resource_requests == 5


async def test_relative_call_without_base_is_a_configuration_error(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, oauth = make_app(
        tls, {"corp": corp_settings(provider)}, QuartOAuth(store=MemoryTokenStore())
    )
    async with app.test_app(), app.test_request_context("/"):
        with pytest.raises(ConfigurationError, match="api_base_url"):
            oauth.corp.get("/user")
    assert provider.resource_requests == 0


async def test_oauth1_relative_calls(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1, api_base_url=provider1.url("/api/")), store)

    @app.route("/relative")
    async def relative() -> Any:
        session = bound_session("tumblr")
        assert isinstance(session, BoundOAuth1Session)
        async with session.get("echo", params={"q": "1"}) as resp:
            return jsonify(status=resp.status, body=await resp.json())

    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        back = await follow_provider(tls, response.headers["Location"])
        assert (await client.get(back.path, query_string=dict(back.query))).status_code == 302
        body = await (await client.get("/relative")).get_json()
    assert body["status"] == 200  # signed by the token: the provider's oauthlib verified it
    assert body["body"]["token"] == next(iter(store._tokens.values()))["oauth_token"]

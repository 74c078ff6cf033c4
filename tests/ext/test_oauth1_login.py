"""OAuth 1 login against the real (oauthlib-verified) provider, then signed API calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart, jsonify
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.errors import TokenNotFoundError, UserInfoError
from quart_oauthlib.extension.bound import BoundOAuth1Session
from quart_oauthlib.providers import PRESETS
from tests.ext.conftest import follow_provider
from tests.fake_provider.oauth1 import CLIENT_KEY, CLIENT_SECRET, OAuth1Provider, running_provider
from tests.fake_provider.serving import TLS
from tests.providers.test_catalogue import sample

CALLBACK = "https://127.0.0.1/login/tumblr/authorized"


@pytest.fixture
async def provider1(tls: TLS) -> AsyncIterator[OAuth1Provider]:
    async with running_provider(tls) as running:
        yield running


def tumblr(provider: OAuth1Provider, **overrides: Any) -> dict[str, Any]:
    return {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "request_token_url": provider.url("/oauth/request_token"),
        "authorize_url": provider.url("/oauth/authorize"),
        "access_token_url": provider.url("/oauth/access_token"),
        "userinfo_url": provider.url("/api/echo"),
        "redirect_uri": CALLBACK,
        **overrides,
    }


def oauth1_app(tls: TLS, settings: dict[str, Any], store: MemoryTokenStore) -> Quart:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k", OAUTH_CA_BUNDLE=tls.ca_pem_path, OAUTH_PROVIDERS={"tumblr": settings}
    )
    oauth = QuartOAuth(app, store=store)

    @app.route("/me")
    @oauth.require("tumblr")
    async def me() -> Any:
        session = oauth.tumblr
        assert isinstance(session, BoundOAuth1Session)
        async with session.get(settings["userinfo_url"], params={"q": "1"}) as resp:
            return jsonify(status=resp.status, body=await resp.json())

    @app.post("/forget")
    async def forget() -> Any:
        session = oauth.tumblr
        assert isinstance(session, BoundOAuth1Session)
        had_token = bool(await session.load_token())
        await session.forget_token()
        return jsonify(had_token=had_token, authorized=session.authorized)

    return app


async def test_oauth1_login_and_signed_call(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/me")).status_code == 302
        response = await client.get("/login/tumblr", query_string={"next": "/me"})
        assert response.status_code == 302
        location = URL(response.headers["Location"])
        assert str(location.with_query(None)) == provider1.url("/oauth/authorize")
        back = await follow_provider(tls, str(location))
        assert str(back.with_query(None)) == CALLBACK
        done = await client.get(back.path, query_string=dict(back.query))
        assert done.status_code == 302, await done.get_data(as_text=True)
        assert done.headers["Location"] == "/me"
        ((_, token),) = store._tokens.items()
        assert set(token) >= {"oauth_token", "oauth_token_secret"}
        me = await client.get("/me")
        body = await me.get_json()
    assert body["status"] == 200
    assert body["body"]["client_key"] == CLIENT_KEY
    assert body["body"]["token"] == token["oauth_token"]
    assert provider1.state.calls == {
        "request_token": 1,
        "authorize": 1,
        "access_token": 1,
        "echo": 1,
    }


async def test_oauth1_replayed_callback_stores_nothing(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        back = await follow_provider(tls, response.headers["Location"])
        forged = {**back.query, "oauth_token": "not-ours"}
        assert (await client.get(back.path, query_string=forged)).status_code == 400
        assert (await client.get(back.path, query_string=dict(back.query))).status_code == 302
        await store.delete("tumblr", next(iter(store._tokens))[1])
        again = await client.get(back.path, query_string=dict(back.query))
    assert again.status_code == 400
    assert len(store) == 0


async def test_oauth1_denied(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    app = oauth1_app(tls, tumblr(provider1), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        request_token = URL(response.headers["Location"]).query["oauth_token"]
        denied = await client.get(
            "/login/tumblr/authorized", query_string={"denied": request_token}
        )
    assert denied.status_code == 403
    assert len(store) == 0


async def test_oauth1_bad_secret_at_request_token_is_a_502_page(
    tls: TLS, provider1: OAuth1Provider
) -> None:
    app = oauth1_app(tls, tumblr(provider1, client_secret="wrong"), MemoryTokenStore())
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/login/tumblr")
    body = await response.get_data(as_text=True)
    assert response.status_code == 502
    assert "request token" in body and "wrong" not in body


async def test_oauth1_forget_token(tls: TLS, provider1: OAuth1Provider) -> None:
    store = MemoryTokenStore()
    settings = tumblr(provider1)
    app = oauth1_app(tls, settings, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        back = await follow_provider(tls, response.headers["Location"])
        await client.get(back.path, query_string=dict(back.query))
        assert len(store) == 1
        forgotten = await (await client.post("/forget")).get_json()
        assert (await client.get("/me")).status_code == 302
    assert forgotten == {"had_token": True, "authorized": False}
    assert len(store) == 0


OAUTH1_PRESETS = sorted(name for name, preset in PRESETS.items() if preset.get("version") == 1)


def preset_userinfo(name: str) -> URL:
    url = PRESETS[name].get("userinfo_url")
    assert url, f"{name} has no userinfo URL"
    return URL(url)


def local_preset(provider: OAuth1Provider, name: str) -> dict[str, Any]:
    """Preset ``name``'s own settings, its endpoints moved to the local provider.

    The userinfo URL keeps the preset's path and query (Flickr's API method is in
    the query, and so signed) under ``/userinfo``.
    """
    userinfo = preset_userinfo(name)
    local = URL(provider.url("/userinfo" + userinfo.raw_path))
    return {
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "request_token_url": provider.url("/oauth/request_token"),
        "authorize_url": provider.url("/oauth/authorize"),
        "access_token_url": provider.url("/oauth/access_token"),
        "userinfo_url": str(local.with_query(userinfo.raw_query_string)),
        "redirect_uri": f"https://127.0.0.1/login/{name}/authorized",
    }


def profile_app(tls: TLS, name: str, settings: dict[str, Any], store: MemoryTokenStore) -> Quart:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="k", OAUTH_CA_BUNDLE=tls.ca_pem_path, OAUTH_PROVIDERS={name: settings}
    )
    oauth = QuartOAuth(app, store=store)

    @app.route("/me")
    async def me() -> Any:
        try:
            profile = await oauth[name].profile()
        except TokenNotFoundError:
            return jsonify(error="signed out"), 401
        except UserInfoError as exc:
            return jsonify(error=str(exc), status=exc.status), 502
        fields = ("id", "email", "email_verified", "name", "avatar_url")
        return jsonify(
            profile={field: getattr(profile, field) for field in fields}, raw=dict(profile.raw)
        )

    return app


@pytest.mark.parametrize("name", OAUTH1_PRESETS)
async def test_oauth1_preset_profile_end_to_end(
    tls: TLS, provider1: OAuth1Provider, name: str
) -> None:
    """Log in with an OAuth 1 preset, then ``await oauth.<name>.profile()``: a signed
    userinfo request (verified by oauthlib's ResourceEndpoint) whose answer, in the
    shape the provider documents (tests/providers/data), maps to the Profile."""
    recorded = sample(name)
    provider1.userinfo = recorded["answer"]
    store = MemoryTokenStore()
    settings = local_preset(provider1, name)
    app = profile_app(tls, name, settings, store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/me")).status_code == 401  # no token yet
        response = await client.get(f"/login/{name}")
        back = await follow_provider(tls, response.headers["Location"])
        assert back.path == f"/login/{name}/authorized"
        done = await client.get(back.path, query_string=dict(back.query))
        assert done.status_code == 302, await done.get_data(as_text=True)
        ((_, token),) = store._tokens.items()
        me = await client.get("/me")
        assert me.status_code == 200, await me.get_data(as_text=True)
        body = await me.get_json()
    assert body == {"profile": recorded["profile"], "raw": recorded["answer"]}
    assert provider1.state.calls == {
        "request_token": 1,
        "authorize": 1,
        "access_token": 1,
        "userinfo": 1,
    }
    (seen,) = provider1.seen
    assert seen.valid and seen.method == "GET"
    assert seen.path == URL(settings["userinfo_url"]).path
    assert seen.query.startswith(preset_userinfo(name).raw_query_string)
    assert seen.authorization is not None
    assert f'oauth_token="{token["oauth_token"]}"' in seen.authorization


async def test_oauth1_profile_refused_by_the_provider(tls: TLS, provider1: OAuth1Provider) -> None:
    """A token the provider no longer knows: oauthlib refuses the signed userinfo call."""
    store = MemoryTokenStore()
    app = profile_app(tls, "tumblr", local_preset(provider1, "tumblr"), store)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        response = await client.get("/login/tumblr")
        back = await follow_provider(tls, response.headers["Location"])
        assert (await client.get(back.path, query_string=dict(back.query))).status_code == 302
        provider1.state.access_tokens.clear()  # revoked at the provider
        me = await client.get("/me")
        body = await me.get_json()
    assert me.status_code == 502 and body["status"] == 401
    assert "answered status 401" in body["error"]
    assert [seen.valid for seen in provider1.seen] == [False]

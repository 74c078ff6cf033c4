"""The Provider (settings, discovered metadata, Flow) and the Flow protocol behind the views."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from quart import Quart
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.client.oidc.discovery import DEFAULT_METADATA_MAX_AGE
from quart_oauthlib.extension import provider as provider_module
from quart_oauthlib.extension.flows.base import Flow, LoginContext, LoginResult, LoginStart
from quart_oauthlib.extension.flows.oauth1 import OAuth1Flow
from quart_oauthlib.extension.flows.oauth2 import OAuth2Flow
from quart_oauthlib.extension.flows.oidc import OpenIDFlow
from quart_oauthlib.extension.provider import Provider
from quart_oauthlib.extension.state import get_state
from quart_oauthlib.providers.settings import ProviderConfig
from quart_oauthlib.storage.base import Token
from tests.ext import oidc_support
from tests.ext.conftest import corp_settings, login, make_app
from tests.ext.oidc_support import TamperingProvider
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS

TUMBLR = {
    "client_key": "k",
    "client_secret": "s",
    "request_token_url": "https://127.0.0.1/rt",
    "authorize_url": "https://127.0.0.1/a",
    "access_token_url": "https://127.0.0.1/at",
}


@pytest.fixture
async def oidc(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with oidc_support.running(tls) as running:
        yield running


def test_each_provider_gets_the_flow_its_settings_call_for(oidc: TamperingProvider) -> None:
    app = Quart(__name__)
    app.config["OAUTH_PROVIDERS"] = {
        "plain": {
            "client_id": "c",
            "client_secret": "s",
            "authorize_url": "https://a/",
            "token_url": "https://t/",
        },
        "corp": oidc_support.settings(oidc),
        "tumblr": TUMBLR,
    }
    QuartOAuth(app)
    state = get_state(app)
    kinds = {name: type(state.provider(name).flow) for name in ("plain", "corp", "tumblr")}
    assert kinds == {"plain": OAuth2Flow, "corp": OpenIDFlow, "tumblr": OAuth1Flow}
    # Each provider has its own flow object: an OpenIDFlow keeps that provider's keys.
    assert state.provider("corp").flow is not Provider(state.provider("corp").settings).flow


async def test_discovery_runs_once_for_concurrent_callers_and_again_on_expiry(
    tls: TLS, oidc: TamperingProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = oidc_support.make_app(tls, oidc)
    oidc.metadata_delay = 0.2  # all callers arrive while the first fetch is in flight
    async with app.test_app(), app.test_request_context("/"):
        state = get_state()
        corp = state.provider("corp")
        assert corp.needs_discovery and corp.config is corp.settings  # no I/O at init_app
        configs = await asyncio.gather(*(corp.resolve(state.http_session()) for _ in range(8)))
        assert oidc.calls["metadata"] == 1
        assert all(config is configs[0] for config in configs)
        assert corp.config is configs[0] and configs[0].token_url == oidc.issuer + "/token"
        assert not corp.needs_discovery
        assert await corp.resolve(state.http_session()) is configs[0]  # cached
        assert oidc.calls["metadata"] == 1

        later = provider_module._monotonic() + DEFAULT_METADATA_MAX_AGE + 1
        monkeypatch.setattr(provider_module, "_monotonic", lambda: later)
        renewed = await corp.resolve(state.http_session())
        assert oidc.calls["metadata"] == 2  # expired: fetched again
        assert renewed is not configs[0] and renewed.metadata is not configs[0].metadata


class MarkedFlow(OAuth2Flow):
    """A new kind of login, as a later issue would add one: the views are left alone."""

    def __init__(self) -> None:
        self.finished: list[str] = []
        self.logged_out: list[Token | None] = []

    async def start_login(
        self,
        config: ProviderConfig,
        ctx: LoginContext,
        redirect_uri: str,
        next_url: str | None,
        args: Mapping[str, str],
    ) -> LoginStart:
        start = await super().start_login(config, ctx, redirect_uri, next_url, args)
        return LoginStart(str(URL(start.url).update_query(marked="yes")), start.key, start.record)

    async def finish_login(self, config: ProviderConfig, ctx: LoginContext) -> LoginResult:
        result = await super().finish_login(config, ctx)
        self.finished.append(result.record.provider)
        return result

    async def logout(
        self, config: ProviderConfig, ctx: LoginContext, token: Token | None, *, revoke: bool
    ) -> None:
        self.logged_out.append(token)
        await super().logout(config, ctx, token, revoke=revoke)


async def test_a_new_flow_plugs_in_without_touching_the_views(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, _ = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    state = get_state(app)
    flow = MarkedFlow()
    state.providers["corp"] = Provider(state.provider("corp").settings, flow)
    assert isinstance(flow, Flow)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        started = await client.get("/login/corp")
        assert URL(started.headers["Location"]).query["marked"] == "yes"
        response = await login(client, tls)
        assert response.status_code == 302, await response.get_data(as_text=True)
        assert flow.finished == ["corp"]
        assert (await client.get("/profile")).status_code == 200
        out = await client.post("/logout/corp")
        assert out.status_code == 303
        assert len(flow.logged_out) == 1 and flow.logged_out[0] is not None
        assert (await client.get("/profile")).status_code == 302  # signed out


async def test_authorize_redirect_runs_the_providers_flow(
    tls: TLS, provider: OAuth2Provider
) -> None:
    """An app's own login view (Authlib's authorize_redirect) starts the same Flow."""
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth())
    state = get_state(app)
    flow = MarkedFlow()  # takes no app_params keyword: an older Flow still works
    state.providers["corp"] = Provider(state.provider("corp").settings, flow)

    @app.route("/own-login")
    async def own_login() -> Any:
        return await oauth.corp.authorize_redirect()

    async with app.test_app() as test_app:
        client = test_app.test_client()
        started = await client.get("/own-login", query_string={"prompt": "none"})
    query = URL(started.headers["Location"]).query
    assert query["marked"] == "yes"
    assert "prompt" not in query  # the app's own route: its query is not a login link's


@pytest.mark.parametrize(
    ("token", "refresh_url", "usable"),
    [
        ({"access_token": "a"}, None, True),
        ({"access_token": "a", "expires_at": 1}, None, False),
        ({"access_token": "a", "expires_at": 1, "refresh_token": "r"}, None, False),
        ({"access_token": "a", "expires_at": 1, "refresh_token": "r"}, "https://t/", True),
        ({"refresh_token": "r"}, "https://t/", False),
    ],
)
def test_oauth2_usable_tokens(token: Token, refresh_url: str | None, usable: bool) -> None:
    config = ProviderConfig(name="p", version=2, client_id="c", refresh_url=refresh_url)
    assert OAuth2Flow().usable(config, token) is usable
    assert Provider(config).usable(token) is usable


def test_a_discovered_provider_may_refresh_before_its_first_discovery() -> None:
    config = ProviderConfig(
        name="p", version=2, client_id="c", server_metadata_url="https://idp/.well-known/x"
    )
    expired = {"access_token": "a", "expires_at": 1, "refresh_token": "r"}
    assert Provider(config).usable(expired)  # the token URL comes with the metadata


def test_oauth1_usable_tokens() -> None:
    config = ProviderConfig(name="t", version=1, client_id="c")
    assert Provider(config).usable({"oauth_token": "t", "oauth_token_secret": "s"})
    assert not Provider(config).usable({"oauth_token_secret": "s"})
    assert not Provider(config).usable(None)
    assert not Provider(config).usable({})


async def test_reading_the_users_token_needs_no_discovery(
    tls: TLS, oidc: TamperingProvider
) -> None:
    """Whether a user is signed in is read from the store, even with the provider down."""
    app, oauth = oidc_support.make_app(tls, oidc)

    @app.route("/signed-in")
    async def signed_in() -> Any:
        return {"token": bool(await oauth.corp.load_token())}

    async with app.test_app():
        client = app.test_client()
        assert (await oidc_support.login(client, oidc)).status_code == 302
        oidc_support.forget_discovery(app)  # as after a restart of the app
        oidc.metadata_body = b"<html>maintenance</html>"  # and the provider is down
        calls = oidc.calls["metadata"]
        response = await client.get("/signed-in")
        assert response.status_code == 200
        assert await response.get_json() == {"token": True}
        assert oidc.calls["metadata"] == calls  # the provider was not asked

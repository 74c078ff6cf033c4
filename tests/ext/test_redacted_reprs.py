"""Nothing of the extension that holds a token prints it: error reporters capture locals."""

from __future__ import annotations

from typing import Any

from quart import g

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.extension.flow_state import FlowRecord
from quart_oauthlib.extension.flows.base import LoginResult
from quart_oauthlib.storage.base import Lease
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret[:6]}... printed in {text!r}"


async def test_no_repr_along_a_request_shows_a_token(tls: TLS, provider: OAuth2Provider) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    shown: list[str] = []

    @app.route("/reprs")
    async def reprs() -> Any:
        state = app.extensions["quart_oauthlib"]
        bound = oauth.corp
        await bound.load_token()
        provider_object = state.provider("corp")
        shown.extend(
            repr(x)
            for x in (bound, state, state.refresher, provider_object, vars(g), g._quart_oauthlib)
        )
        return "ok"

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        ((_, token),) = store._tokens.items()
        # A refresh remembered by the coordinator (old and new token) is not shown either.
        provider.expire_all_access_tokens()
        store._tokens[next(iter(store._tokens))] = {**token, "expires_at": 1}
        assert (await client.get("/profile")).status_code == 200
        assert (await client.get("/reprs")).status_code == 200
    (new,) = store._tokens.values()
    assert new["access_token"] != token["access_token"]
    assert len(shown) == 6
    secrets = [token["access_token"], token["refresh_token"], new["access_token"]]
    for text in shown:
        assert_hidden(text, *secrets, "web-secret")
    assert "corp" in shown[0]


def test_login_records_and_results_hide_their_secrets() -> None:
    record = FlowRecord(
        "corp", 0.0, "https://app/cb", code_verifier="VERIFIER-x", nonce="NONCE-x",
        request_token_secret="RTS-x",
    )  # fmt: skip
    token = {"access_token": "AT-secret", "refresh_token": "RT-secret"}
    result = LoginResult(received=token, token=token, record=record)
    lease = Lease("corp", "browser:x", 30.0)
    for text in (repr(record), repr(result), repr(lease)):
        assert_hidden(text, "VERIFIER-x", "NONCE-x", "RTS-x", "AT-secret", "RT-secret")


async def test_a_bound_sessions_repr_never_needs_its_token(
    tls: TLS, provider: OAuth2Provider
) -> None:
    app, oauth = make_app(
        tls, {"corp": corp_settings(provider)}, QuartOAuth(store=MemoryTokenStore())
    )
    async with app.test_app(), app.test_request_context("/"):
        assert repr(oauth.corp) == "<BoundOAuth2Session 'corp', token not read yet>"

"""The lazy bound session: a protected request sends the token @oauth.require read
without building a whole ``OAuth2Session``, and anything else completes it first.

What the lazy path sends must be exactly what the whole session would send:
``adopted_bearer`` is checked against a real ``OAuth2Session`` for any token shape.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from oauthlib.oauth2.rfc6749.utils import is_secure_transport
from quart import jsonify

from quart_oauthlib import MemoryTokenStore, OAuth2Session, QuartOAuth
from quart_oauthlib.client._transport import secure_transport
from quart_oauthlib.client.oauth2_auth import adopted_bearer, authorization_value
from tests.ext.conftest import corp_settings, login, make_app
from tests.fake_provider.oauth2 import OAuth2Provider
from tests.fake_provider.serving import TLS


def _lazy(session: Any) -> bool:
    return "_client" not in vars(session)


async def test_a_protected_call_sends_the_read_token_without_a_whole_session(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    seen: dict[str, Any] = {}

    @app.route("/call")
    @oauth.require("corp")
    async def call() -> Any:
        session = oauth.corp
        seen["lazy before"] = _lazy(session)
        async with session.get(provider.url("/api/user")) as resp:
            body = await resp.json()
        seen["lazy after"] = _lazy(session)
        seen["same object"] = session is oauth["corp"]
        return jsonify(status=resp.status, body=body)

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        calls = provider.resource_requests
        body = await (await client.get("/call")).get_json()
    assert body == {"status": 200, "body": body["body"]} and body["body"]["sub"] == "alice"
    assert provider.resource_requests - calls == 1
    assert seen == {"lazy before": True, "lazy after": True, "same object": True}


async def test_touching_anything_else_completes_the_session_with_the_read_token(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    seen: dict[str, Any] = {}

    @app.route("/inspect")
    @oauth.require("corp")
    async def inspect() -> Any:
        session = oauth.corp
        seen["lazy"] = _lazy(session)
        seen["token"] = dict(session.token)  # completes it
        seen["completed"] = not _lazy(session)
        seen["scope"] = session.scope
        async with session.get(provider.url("/api/user")) as resp:  # the whole path now
            seen["status"] = resp.status
        return "ok"

    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        assert (await client.get("/inspect")).status_code == 200
    ((_, stored),) = store._tokens.items()
    assert seen["lazy"] is True and seen["completed"] is True
    assert seen["token"]["access_token"] == stored["access_token"]
    assert seen["scope"] == ["read"]
    assert seen["status"] == 200


async def test_an_expired_read_token_is_refreshed_before_it_is_sent(
    tls: TLS, provider: OAuth2Provider
) -> None:
    store = MemoryTokenStore()
    app, oauth = make_app(tls, {"corp": corp_settings(provider)}, QuartOAuth(store=store))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        await login(client, tls)
        key = next(iter(store._tokens))
        store._tokens[key] = {**store._tokens[key], "expires_at": time.time() + 5}  # in the margin
        response = await client.get("/profile")
        assert response.status_code == 200
    assert provider.grant_counts["refresh_token"] == 1
    assert store._tokens[key]["expires_at"] > time.time() + 60


# -- what the lazy path sends is what the whole session sends ----------------------

_numbers = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
    st.none(),
)
_tokens = st.fixed_dictionaries(
    {"access_token": st.one_of(st.text(min_size=0, max_size=20), st.integers(), st.none())},
    optional={
        "token_type": st.one_of(
            st.sampled_from(["Bearer", "bearer", "BEARER", "MAC", "DPoP"]), st.none(), st.integers()
        ),
        "expires_at": _numbers,
        "expires_in": _numbers,
        "refresh_token": st.text(max_size=10),
    },
)  # fmt: skip


_STORED = {"access_token": "a", "token_type": "Bearer", "expires_at": 1_900_000_000}


@settings(max_examples=400, deadline=None)
@given(token=_tokens, margin=st.sampled_from([-10.0, 0.0, 5.0, 30.0, 600.0]))
# The shapes stored tokens have, each with a margin below, inside and above a quarter
# of the lifetime, and a negative one (refresh_margin is the app's to set).
@example(token={**_STORED, "expires_in": 3600}, margin=-10.0)
@example(token={**_STORED, "expires_in": 3600}, margin=30.0)
@example(token={**_STORED, "expires_in": 20}, margin=30.0)
@example(token={**_STORED, "expires_in": 0}, margin=30.0)
@example(token={**_STORED, "expires_at": 1_900_000_000.5, "expires_in": 3600}, margin=600.0)
@example(token=_STORED, margin=30.0)
def test_the_adopted_bearer_is_what_a_session_would_send(
    token: dict[str, Any], margin: float
) -> None:
    adopted = adopted_bearer(token, margin)
    if adopted is None:
        return  # the full path decides: nothing to compare
    session = OAuth2Session("client", token=token, refresh_margin=margin)
    value, deadline = adopted
    assert value == authorization_value(session._client)
    if math.isinf(deadline):
        assert math.isinf(session._fresh_until)
    elif isinstance(token.get("expires_at"), int | float) and token["expires_at"]:
        assert deadline == session._fresh_until
    else:  # counted from now (expires_in): both read the clock, a second apart at most
        assert abs(deadline - session._fresh_until) <= 1


def test_an_unusual_token_takes_the_full_path() -> None:
    assert adopted_bearer({"access_token": "a", "token_type": "MAC"}, 30) is None
    assert adopted_bearer({"access_token": "a", "expires_in": "an hour"}, 30) is None
    assert adopted_bearer({"access_token": "a", "expires_at": float("nan")}, 30) is None
    assert adopted_bearer({"access_token": "", "expires_at": 1}, 30) is None
    assert adopted_bearer({"access_token": "a"}, 30) == ("Bearer a", math.inf)


@pytest.mark.parametrize("value", [None, "", "1", "yes"])
@pytest.mark.parametrize(
    "url", ["https://api.example/x", "http://api.example/x", "HTTPS://api.example/x", "ftp://x"]
)
def test_the_transport_check_answers_as_oauthlib(
    monkeypatch: pytest.MonkeyPatch, value: str | None, url: str
) -> None:
    if value is None:
        monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    else:
        monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", value)
    assert secure_transport(url) == is_secure_transport(url)


async def test_every_template_attribute_reaches_a_lazy_session_through_completion(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # A lazy session completes itself when it misses an attribute. One its class also
    # defines (a class-level default) would not be missed, and the lazy session would
    # read the class's value instead of the template's: only the prototype may hold those.
    from quart_oauthlib.extension.bound import BoundOAuth2Session
    from quart_oauthlib.extension.request_sessions import _lazy_prototype
    from quart_oauthlib.extension.state import get_state

    app, _ = make_app(tls, {"corp": corp_settings(provider)})
    async with app.app_context():
        prototype = get_state().provider("corp").derived(_lazy_prototype)
    assert prototype is not None
    template = prototype["_template"]
    shadowed = {
        name
        for name in vars(template)
        if any(name in vars(klass) for klass in BoundOAuth2Session.__mro__)
        and name not in prototype
    }
    assert shadowed == set()


async def test_an_openid_provider_sends_lazily_discovered_or_not(tls: TLS) -> None:
    # Sending a fresh token needs none of the discovered endpoints (a refresh does, and
    # the whole session discovers first): calls go lazy in a process that has not
    # discovered the provider yet, and after.
    from quart_oauthlib.extension.state import get_state
    from tests.ext import oidc_support

    async with oidc_support.running(tls) as oidc:
        app, oauth = oidc_support.make_app(tls, oidc)
        seen: list[bool] = []

        @app.route("/call")
        @oauth.require("corp")
        async def call() -> Any:
            session = oauth.corp
            seen.append(_lazy(session))
            async with session.get(f"{oidc.issuer}/userinfo") as resp:
                return jsonify(status=resp.status)

        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await oidc_support.login(client, oidc)).status_code == 302
            oidc_support.forget_discovery(app)  # a new process: nothing discovered yet
            first = await (await client.get("/call")).get_json()
            assert get_state(app).provider("corp").needs_discovery
            await (await client.get("/me")).get_json()  # userinfo: discovers
            assert not get_state(app).provider("corp").needs_discovery
            second = await (await client.get("/call")).get_json()
    assert first == second == {"status": 200}
    assert seen == [True, True]


async def test_a_provider_with_client_authentication_sends_lazily_and_completes_anew(
    tls: TLS, provider: OAuth2Provider
) -> None:
    # private_key_jwt: the client authentication object holds state of its own, so there
    # is no template to copy; the call still goes lazy (the token endpoint is not
    # involved), and completing the session builds a whole one.
    from joserfc.jwk import ECKey

    key = ECKey.generate_key("P-256", {"kid": "k1", "alg": "ES256"}, private=True)
    token = provider.issue_token()
    store = MemoryTokenStore({("corp", "user:alice"): token})
    settings = corp_settings(
        provider, token_endpoint_auth_method="private_key_jwt", client_jwk=key.as_dict(private=True)
    )
    app, oauth = make_app(
        tls, {"corp": settings}, QuartOAuth(store=store, user_id_loader=lambda: "alice")
    )
    seen: dict[str, Any] = {}

    @app.route("/call")
    @oauth.require("corp")
    async def call() -> Any:
        session = oauth.corp
        async with session.get(provider.url("/api/user")) as resp:
            seen["status"] = resp.status
        seen["lazy after the call"] = _lazy(session)
        seen["method"] = session.client_authentication.method  # completes it
        seen["completed"] = not _lazy(session)
        seen["access token"] = session.access_token
        return "ok"

    async with app.test_app() as test_app:
        assert (await test_app.test_client().get("/call")).status_code == 200
    assert seen == {
        "status": 200,
        "lazy after the call": True,
        "method": "private_key_jwt",
        "completed": True,
        "access token": token["access_token"],
    }

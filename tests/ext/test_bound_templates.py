"""Bound sessions copied from a per-provider template are new sessions, sharing nothing.

A protected request makes its bound session by copying the provider's
template (``bound._new_oauth2``) rather than building one from scratch. The
copy must be indistinguishable from a session built by ``__init__``, and two
requests' sessions must share no mutable state: one user's token, hooks or
settings changed in place must never reach another's request.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart

from quart_oauthlib import QuartOAuth
from quart_oauthlib.client._single_flight import SingleFlight
from quart_oauthlib.client._transport import SessionHolder
from quart_oauthlib.extension.bound import BoundOAuth2Session
from quart_oauthlib.extension.request_sessions import NOT_READ, _new_oauth2, _oauth2_template
from quart_oauthlib.extension.state import get_state, request_cache

#: Values a session may share with another: they never change in place.
_IMMUTABLE = (str, bytes, int, float, bool, type(None), tuple, frozenset, types.FunctionType)
#: Attributes that are the app's, not the request's: shared on purpose (the template
#: only while the session is lazy: it is read, never changed).
_SHARED = {"_app_state", "_source", "_template", "_http_session"}


def _app(**settings: Any) -> Quart:
    app = Quart(__name__)
    app.config.update(
        SECRET_KEY="test",
        OAUTH_PROVIDERS={
            "corp": {
                "client_id": "cid",
                "client_secret": "csecret",
                "authorize_url": "https://corp.example/authorize",
                "token_url": "https://corp.example/token",
                "scope": ["read", "write"],
                **settings,
            }
        },
    )
    QuartOAuth(app)
    return app


@pytest.fixture
async def app() -> AsyncIterator[Quart]:
    app = _app()
    async with app.test_app():
        yield app


async def _bound(app: Quart, token: dict[str, Any] | None) -> BoundOAuth2Session:
    async with app.test_request_context("/"):
        request_cache().tokens["corp"] = token  # as @oauth.require leaves it
        from quart_oauthlib.extension.request_sessions import bound_session

        bound = bound_session("corp")
        assert isinstance(bound, BoundOAuth2Session)
        return bound


def _shared_mutables(a: object, b: object) -> list[str]:
    return [
        key
        for key, value in vars(a).items()
        if key not in _SHARED
        and value is vars(b).get(key)
        and not isinstance(value, _IMMUTABLE)
        and not isinstance(value, type)
    ]


async def test_two_requests_sessions_share_no_mutable_state(app: Quart) -> None:
    alice = await _bound(app, {"access_token": "alice-token", "token_type": "Bearer"})
    bob = await _bound(app, None)
    assert _shared_mutables(alice, bob) == []
    assert _shared_mutables(alice._client, bob._client) == []
    assert alice.access_token == "alice-token"
    assert bob.token == {} and bob.access_token is None


async def test_a_copy_is_the_session_init_would_build(app: Quart) -> None:
    async with app.test_request_context("/"):
        state = get_state()
        provider = state.provider("corp")
        http = state.http_session()
        built = BoundOAuth2Session(provider, state, http)
        copied = _new_oauth2(provider, state, http, NOT_READ)
    assert provider.derived(_oauth2_template) is not None  # the copy did come from a template
    assert type(copied) is type(built)
    assert "_client" not in vars(copied)  # lazy until something needs the whole session
    assert copied.client_id == "cid"
    sends_through = vars(copied).pop("_http_session")  # kept from its lazy days
    assert sends_through is http
    assert vars(copied).keys() == vars(built).keys()
    for key, value in vars(built).items():
        other = vars(copied)[key]
        if isinstance(value, SingleFlight | SessionHolder):
            assert type(other) is type(value), key
        elif key == "_client":
            assert type(other) is type(value)
            assert vars(other) == vars(value)
        else:
            assert other == value, key


async def test_what_one_request_changes_in_place_does_not_reach_the_next(app: Quart) -> None:
    first = await _bound(app, {"access_token": "alice-token", "token_type": "Bearer"})
    first.register_compliance_hook("protected_request", lambda *args: args)
    first.token_types.add("MAC")
    first.auto_refresh_kwargs["extra"] = "x"
    assert isinstance(first.scope, list)
    first.scope.append("admin")
    first._client.token["planted"] = "1"
    second = await _bound(app, None)
    assert second.compliance_hook["protected_request"] == []
    assert "MAC" not in second.token_types
    assert second.auto_refresh_kwargs == {}
    assert second.scope == ["read", "write"]
    assert second._client.token == {}


async def test_a_compliance_fix_still_runs_on_every_requests_session() -> None:
    fixed: list[object] = []
    app = _app(compliance_fix=fixed.append)
    async with app.test_app():
        first = await _bound(app, None)
        second = await _bound(app, None)
        assert get_state(app).provider("corp").derived(_oauth2_template) is None
    assert fixed == [first, second]


async def test_a_secret_factory_makes_a_secret_for_every_request() -> None:
    made: list[int] = []

    def factory(config: Any) -> str:
        made.append(1)
        return f"secret-{len(made)}"

    app = _app(
        client_secret=None,
        client_secret_factory=factory,
        token_endpoint_auth_method="client_secret_post",
        team_id="t",
        key_id="k",
        private_key="p",
    )
    async with app.test_app():
        first = await _bound(app, None)
        second = await _bound(app, None)
        made_before = len(made)
        first_secret = first.auto_refresh_kwargs["client_secret"]  # made as it is completed
        second_secret = second.auto_refresh_kwargs["client_secret"]
    assert len(made) == made_before + 2
    assert first_secret == f"secret-{made_before + 1}"
    assert second_secret == f"secret-{made_before + 2}"


async def test_a_new_config_gets_a_new_template(app: Quart) -> None:
    provider = get_state(app).provider("corp")
    template = provider.derived(_oauth2_template)
    assert provider.derived(_oauth2_template) is template  # made once per config
    # What discovery does: a new config object (here, a new token URL).
    provider._config = dataclasses.replace(provider.config, refresh_url="https://corp.example/r")
    renewed = provider.derived(_oauth2_template)
    assert renewed is not template
    assert renewed is not None and renewed.auto_refresh_url == "https://corp.example/r"
    bound = await _bound(app, None)
    assert bound.auto_refresh_url == "https://corp.example/r"

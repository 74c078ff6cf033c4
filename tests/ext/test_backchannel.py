"""The back-channel logout route against the fake OpenID provider's keys: what it refuses."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from quart_oauthlib import MemoryTokenStore
from quart_oauthlib.client.oidc.logout_token import BACKCHANNEL_LOGOUT_EVENT
from quart_oauthlib.extension.seen_jtis import SeenJtis
from tests.ext.oidc_support import TamperingProvider, login, make_app, running
from tests.fake_provider.oidc import CLIENT_ID
from tests.fake_provider.serving import TLS

ROUTE = "/logout/corp/backchannel"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


def logout_token(provider: TamperingProvider, key: Any = None, **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "jti": secrets.token_urlsafe(12),
        "sub": provider.sub,
        "sid": "session-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    key = key or provider.rsa
    header = {"alg": "RS256", "typ": "logout+jwt", "kid": key.kid}
    return jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=["RS256"])


async def signed_in(tls: TLS, provider: TamperingProvider) -> tuple[Any, MemoryTokenStore]:
    store = MemoryTokenStore()
    app, _ = make_app(tls, provider, store)
    return app, store


async def test_a_valid_logout_token_deletes_the_users_token_once(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, store = await signed_in(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        assert len(store) == 1
        token = logout_token(provider)
        server = test_app.test_client()  # the provider: no cookie, no Origin
        answer = await server.post(ROUTE, form={"logout_token": token})
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "no-store"
        assert len(store) == 0
        again = await server.post(ROUTE, form={"logout_token": token})
        assert again.status_code == 400
        assert (await again.get_json())["error"] == "invalid_request"
        assert "already used" in (await again.get_json())["error_description"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("foreign key", "signature"),
        ("audience", "aud"),
        ("nonce", "nonce"),
        ("no event", "event"),
        ("old", "older"),
        ("no sub", "sub"),
    ],
)
async def test_a_bad_logout_token_is_refused_and_nothing_is_deleted(
    tls: TLS, provider: TamperingProvider, case: str, expected: str
) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": provider.rsa.kid})
    token = {
        "foreign key": lambda: logout_token(provider, key=other),
        "audience": lambda: logout_token(provider, aud="someone-else"),
        "nonce": lambda: logout_token(provider, nonce="n"),
        "no event": lambda: logout_token(provider, events={"other": {}}),
        "old": lambda: logout_token(provider, iat=int(time.time()) - 3600),
        "no sub": lambda: logout_token(provider, sub=None),  # sid only: no user to find
    }[case]()
    app, store = await signed_in(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        answer = await test_app.test_client().post(ROUTE, form={"logout_token": token})
        assert answer.status_code == 400
        assert answer.headers["Cache-Control"] == "no-store"
        body = await answer.get_json()
        assert body["error"] == "invalid_request"
        assert expected in body["error_description"].lower()
        assert len(store) == 1


async def test_a_post_without_logout_token_is_refused(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = await signed_in(tls, provider)
    async with app.test_app() as test_app:
        answer = await test_app.test_client().post(ROUTE, form={"token": "x"})
        assert answer.status_code == 400
        assert (await answer.get_json())["error"] == "invalid_request"


async def test_a_store_that_cannot_find_users_answers_501(
    tls: TLS, provider: TamperingProvider
) -> None:
    app, _ = make_app(tls, provider, "session")
    async with app.test_app() as test_app:
        answer = await test_app.test_client().post(
            ROUTE, form={"logout_token": logout_token(provider)}
        )
        assert answer.status_code == 501


def test_seen_jtis_forget_expired_ids_and_stay_bounded() -> None:
    now = [1000.0]
    seen = SeenJtis(limit=3, clock=lambda: now[0])
    assert seen("a", 1010) and not seen("a", 1010)
    now[0] = 1011
    assert seen("a", 1020)  # expired: may be remembered afresh
    for jti in ("b", "c", "d"):
        assert seen(jti, 1100)
    assert len(seen._seen) == 3


async def test_with_a_redis_store_the_jti_is_kept_in_redis(
    tls: TLS, provider: TamperingProvider
) -> None:
    import os

    from quart_oauthlib.storage.redis import RedisTokenStore

    url = os.environ.get("QUART_OAUTHLIB_TEST_REDIS_URL")
    if not url:
        pytest.skip("QUART_OAUTHLIB_TEST_REDIS_URL is unset (.ci/services.sh starts Redis)")
    store = RedisTokenStore(url, prefix=f"bcl-{secrets.token_hex(4)}")
    app, _ = make_app(tls, provider, store)
    token = logout_token(provider)
    try:
        async with app.test_app() as test_app:
            assert (await login(test_app.test_client(), provider)).status_code == 302
            first = await test_app.test_client().post(ROUTE, form={"logout_token": token})
            assert first.status_code == 200
            assert len(app.extensions["quart_oauthlib"].seen_logout_jtis._seen) == 0
            # Another worker (another app on the same Redis) refuses the replay.
            other, _ = make_app(tls, provider, store)
            async with other.test_app() as other_app:
                again = await other_app.test_client().post(ROUTE, form={"logout_token": token})
                assert again.status_code == 400
                assert "already used" in (await again.get_json())["error_description"]
    finally:
        await store.close()

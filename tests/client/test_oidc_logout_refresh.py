"""Back-channel logout tokens, ID tokens of a refresh (OIDC Core §12.2), and the FAPI 2.0 check."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from joserfc import jws

from quart_oauthlib.client.fapi2 import check_fapi2_settings, fapi2_problems
from quart_oauthlib.client.oidc import IDTokenValidator, JWKSCache, ProviderDiscovery
from quart_oauthlib.client.oidc.logout_token import (
    BACKCHANNEL_LOGOUT_EVENT,
    validate_logout_token,
)
from quart_oauthlib.client.oidc.refresh import validate_refreshed_id_token
from quart_oauthlib.errors import (
    FAPI2ProfileError,
    IDTokenSignatureError,
    LogoutTokenError,
    LogoutTokenReplayError,
    RefreshIDTokenError,
)
from tests.fake_provider.oidc import CLIENT_ID, OpenIDProvider, running_oidc_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    async with running_oidc_provider(tls) as p:
        yield p


def logout_claims(provider: OpenIDProvider, **changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "jti": "jti-1",
        "sub": provider.sub,
        "sid": "sid-1",
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signed(
    provider: OpenIDProvider,
    claims: dict[str, Any],
    typ: str | None = "logout+jwt",
    alg: str = "RS256",
) -> str:
    header: dict[str, Any] = {"alg": alg, "kid": provider.rsa.kid}
    if typ is not None:
        header["typ"] = typ
    return jws.serialize_compact(
        header, json.dumps(claims).encode(), provider.rsa, algorithms=[alg]
    )


class Seen:
    def __init__(self) -> None:
        self.jtis: dict[str, float] = {}

    async def __call__(self, jti: str, until: float) -> bool:
        if jti in self.jtis:
            return False
        self.jtis[jti] = until
        return True


async def check(
    provider: OpenIDProvider, http: aiohttp.ClientSession, token: str, seen: Seen | None = None
) -> Any:
    return await validate_logout_token(
        http,
        token,
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        jwks=JWKSCache(f"{provider.issuer}/jwks"),
        is_new_jti=seen or Seen(),
    )


async def test_a_valid_logout_token(provider: OpenIDProvider, http: aiohttp.ClientSession) -> None:
    seen = Seen()
    token = await check(provider, http, signed(provider, logout_claims(provider)), seen)
    assert token.sub == provider.sub and token.sid == "sid-1"
    assert seen.jtis["jti-1"] > time.time()
    with pytest.raises(LogoutTokenReplayError):
        await check(provider, http, signed(provider, logout_claims(provider)), seen)
    # Without typ, or with only one of sub and sid: still valid.
    await check(
        provider, http, signed(provider, logout_claims(provider, jti="2", sid=None), typ=None)
    )
    await check(provider, http, signed(provider, logout_claims(provider, jti="3", sub=None)))


@pytest.mark.parametrize(
    ("changes", "typ", "match"),
    [
        ({"nonce": "n"}, "logout+jwt", "nonce"),
        ({"events": None}, "logout+jwt", "events"),
        ({"events": {BACKCHANNEL_LOGOUT_EVENT: "yes"}}, "logout+jwt", "events"),
        ({"events": {"http://other/event": {}}}, "logout+jwt", "events"),
        ({"sub": None, "sid": None}, "logout+jwt", "neither sub nor sid"),
        ({"sub": 42}, "logout+jwt", "sub"),
        ({"jti": None}, "logout+jwt", "jti"),
        ({"iat": None}, "logout+jwt", "iat"),
        ({"iat": int(time.time()) - 3600}, "logout+jwt", "older"),
        ({"iat": int(time.time()) + 3600}, "logout+jwt", "future"),
        ({"exp": int(time.time()) - 3600}, "logout+jwt", "expired"),
        ({"iss": "https://evil.example"}, "logout+jwt", "iss"),
        ({"aud": "someone-else"}, "logout+jwt", "aud"),
        ({}, "JWT", "typ"),
    ],
)
async def test_each_check_refuses(
    provider: OpenIDProvider,
    http: aiohttp.ClientSession,
    changes: dict[str, Any],
    typ: str,
    match: str,
) -> None:
    seen = Seen()
    with pytest.raises(LogoutTokenError, match=match):
        await check(
            provider, http, signed(provider, logout_claims(provider, **changes), typ=typ), seen
        )
    assert not seen.jtis  # a refused token burns no jti


async def test_forged_and_unsigned_logout_tokens(
    provider: OpenIDProvider, http: aiohttp.ClientSession
) -> None:
    good = signed(provider, logout_claims(provider))
    head, payload, sig = good.split(".")
    tampered = signed(provider, logout_claims(provider, sub="someone-else")).split(".")[1]
    with pytest.raises(LogoutTokenError) as raised:
        await check(provider, http, f"{head}.{tampered}.{sig}")
    assert isinstance(raised.value.__cause__, IDTokenSignatureError)
    none_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    with pytest.raises(LogoutTokenError, match="unsigned"):
        await check(provider, http, f"{none_header}.{payload}.")
    with pytest.raises(LogoutTokenError):
        await check(provider, http, "not-a-jwt")


# -- refresh -----------------------------------------------------------------


@pytest.fixture
async def validator(provider: OpenIDProvider, http: aiohttp.ClientSession) -> IDTokenValidator:
    metadata = await ProviderDiscovery(provider.metadata_url).load(http)
    return IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID)


async def test_a_refreshed_id_token_must_be_the_same_login(
    provider: OpenIDProvider, http: aiohttp.ClientSession, validator: IDTokenValidator
) -> None:
    original = await validator.validate(
        http, provider.sign(provider.claims(auth_time=100)), nonce="n-0S6_WzA2Mj"
    )
    same = provider.sign(provider.claims(nonce=None, auth_time=100))
    assert (
        await validate_refreshed_id_token(validator, http, same, original=original)
    ).sub == provider.sub
    with_nonce = provider.sign(provider.claims(auth_time=100))  # the original nonce: allowed
    await validate_refreshed_id_token(validator, http, with_nonce, original=original)
    for changes, name in (
        ({"sub": "someone-else"}, "sub"),
        ({"nonce": "other"}, "nonce"),
        ({"auth_time": 200}, "auth_time"),
    ):
        token = provider.sign(provider.claims(**{"nonce": None, "auth_time": 100, **changes}))
        with pytest.raises(RefreshIDTokenError, match=name):
            await validate_refreshed_id_token(validator, http, token, original=original)
    with pytest.raises(IDTokenSignatureError):
        forged = provider.sign(provider.claims(nonce=None)).rsplit(".", 1)[0] + ".AAAA"
        await validate_refreshed_id_token(validator, http, forged, original=original)


# -- FAPI 2.0 ----------------------------------------------------------------

FAPI2_OK: dict[str, Any] = {
    "par": True,
    "pkce": "S256",
    "dpop": True,
    "token_endpoint_auth_method": "private_key_jwt",
    "client_jwk": {"kty": "EC"},
    "id_token_signing_algs": ["PS256", "ES256", "EdDSA"],
}


def test_fapi2_settings_that_comply() -> None:
    assert fapi2_problems(FAPI2_OK) == []
    check_fapi2_settings(
        {**FAPI2_OK, "dpop": False, "token_endpoint_auth_method": "tls_client_auth"}
    )


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"par": None}, "par"),
        ({"pkce": "plain"}, "pkce"),
        ({"dpop": False}, "dpop"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "token_endpoint_auth_method"),
        ({"client_jwk": None}, "client_jwk"),
        ({"client_jwk": {"kty": "RSA", "alg": "RS256"}}, "client_jwk"),
        ({"dpop_key": {"kty": "EC", "alg": "ES384"}}, "dpop_key"),
        ({"id_token_signing_algs": ["RS256", "ES256"]}, "id_token_signing_algs"),
        ({"require_iss": False}, "require_iss"),
    ],
)
def test_each_fapi2_contradiction_names_its_key(changes: dict[str, Any], key: str) -> None:
    settings = {k: v for k, v in {**FAPI2_OK, **changes}.items() if v is not None}
    with pytest.raises(FAPI2ProfileError, match=key) as raised:
        check_fapi2_settings(settings, name="bank")
    assert raised.value.key == key
    assert "'bank'" in str(raised.value)

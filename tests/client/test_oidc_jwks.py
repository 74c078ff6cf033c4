"""The provider's key set: rotation without restart, a rate-limited refetch, broken key sets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from joserfc.jwk import OctKey, RSAKey

from quart_oauthlib.client.oidc import (
    IDTokenValidator,
    JWKSCache,
    ProviderDiscovery,
    ProviderMetadata,
)
from quart_oauthlib.errors import IDTokenError, IDTokenKeyNotFoundError, JWKSError
from tests.fake_provider.oidc import CLIENT_ID, OpenIDProvider, running_oidc_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    async with running_oidc_provider(tls) as p:
        yield p


@pytest.fixture
async def metadata(provider: OpenIDProvider, http: aiohttp.ClientSession) -> ProviderMetadata:
    return await ProviderDiscovery(provider.metadata_url).load(http)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def validator(metadata: ProviderMetadata, clock: Clock) -> IDTokenValidator:
    jwks = JWKSCache(metadata.require("jwks_uri"), clock=clock)
    return IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, jwks=jwks)


async def rejects(
    validator: IDTokenValidator,
    http: aiohttp.ClientSession,
    token: str,
    error: type[IDTokenError],
    **kwargs: Any,
) -> None:
    with pytest.raises(IDTokenError) as caught:
        await validator.validate(http, token, **kwargs)
    assert type(caught.value) is error, repr(caught.value)


# -- key rotation and the refetch rate limit ---------------------------------------


async def test_key_rotation_refetches_once_and_succeeds(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    jwks = JWKSCache(metadata.require("jwks_uri"), clock=lambda: now[0])
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, jwks=jwks)
    await validator.validate(http, provider.sign(provider.claims()))
    assert provider.calls["jwks"] == 1

    provider.rotate()
    now[0] += 61  # providers rotate rarely; the last fetch is long past
    result = await validator.validate(http, provider.sign(provider.claims()))
    assert result.header["kid"] == provider.rsa.kid
    assert provider.calls["jwks"] == 2
    await validator.validate(http, provider.sign(provider.claims()))
    assert provider.calls["jwks"] == 2  # the new key is cached


async def test_rotation_right_after_the_first_fetch_is_fetched_at_once(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    jwks = JWKSCache(metadata.require("jwks_uri"), clock=lambda: now[0])
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, jwks=jwks)
    await validator.validate(http, provider.sign(provider.claims()))
    provider.rotate()
    now[0] += 10  # well inside the refetch interval, counted from the first fetch
    result = await validator.validate(http, provider.sign(provider.claims()))
    assert result.header["kid"] == provider.rsa.kid
    assert provider.calls["jwks"] == 2


async def test_a_second_rotation_within_the_interval_waits_for_it(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    jwks = JWKSCache(metadata.require("jwks_uri"), clock=lambda: now[0])
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, jwks=jwks)
    await validator.validate(http, provider.sign(provider.claims()))
    provider.rotate()
    await validator.validate(http, provider.sign(provider.claims()))  # refetch 1: allowed
    provider.rotate()
    token = provider.sign(provider.claims())
    now[0] += 10
    await rejects(validator, http, token, IDTokenKeyNotFoundError)
    assert provider.calls["jwks"] == 2
    now[0] += 60
    await validator.validate(http, token)
    assert provider.calls["jwks"] == 3


async def test_flood_of_unknown_kids_causes_at_most_one_refetch(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    jwks = JWKSCache(metadata.require("jwks_uri"), clock=lambda: now[0])
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, jwks=jwks)
    await validator.validate(http, provider.sign(provider.claims()))
    forged = [provider.sign(provider.claims(), kid=f"made-up-{i}") for i in range(50)]

    async def attempt(token: str) -> BaseException | None:
        try:
            await validator.validate(http, token)
        except IDTokenKeyNotFoundError as exc:
            return exc
        return None

    results = await asyncio.gather(*(attempt(t) for t in forged))
    assert all(isinstance(r, IDTokenKeyNotFoundError) for r in results)
    assert provider.calls["jwks"] == 2  # the first fetch, and one refetch for all 50
    now[0] += 30
    results = await asyncio.gather(*(attempt(t) for t in forged))
    assert provider.calls["jwks"] == 2
    now[0] += 31  # an interval after the refetch: one more, for the whole flood
    results = await asyncio.gather(*(attempt(t) for t in forged))
    assert provider.calls["jwks"] == 3


async def test_key_removed_by_the_provider_stops_working_after_max_age(
    provider: OpenIDProvider, metadata: ProviderMetadata, http: aiohttp.ClientSession
) -> None:
    clock = Clock()
    jwks = JWKSCache(metadata.require("jwks_uri"), max_age=3600, clock=clock)
    validator = IDTokenValidator.for_provider(metadata, client_id=CLIENT_ID, jwks=jwks)
    old = provider.rsa
    await validator.validate(http, provider.sign(provider.claims()))
    provider.rotate()
    clock.now += 3601
    await rejects(
        validator, http, provider.sign(provider.claims(), key=old), IDTokenKeyNotFoundError
    )
    assert provider.calls["jwks"] == 2


async def test_failed_refresh_of_a_stale_set_keeps_the_old_keys(
    provider: OpenIDProvider,
    validator: IDTokenValidator,
    clock: Clock,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await validator.validate(http, provider.sign(provider.claims()))
    provider.jwks_status = 503
    clock.now += 7200
    with caplog.at_level(logging.WARNING, logger="quart_oauthlib"):
        await validator.validate(http, provider.sign(provider.claims()))
    assert "using the old one" in caplog.text
    assert provider.calls["jwks"] == 2


async def test_key_set_that_cannot_be_fetched(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    provider.jwks_status = 500
    with pytest.raises(JWKSError, match="status 500") as caught:
        await validator.validate(http, provider.sign(provider.claims()))
    assert caught.value.status == 500


@pytest.mark.parametrize(
    "answer",
    [
        {"nokeys": []},
        {"keys": []},
        {"keys": [{"kty": "RSA", "kid": "broken", "n": "AQAB"}]},
        {"keys": [{"kty": "weird", "kid": "w"}]},
    ],
)
async def test_key_set_without_usable_keys(
    provider: OpenIDProvider,
    validator: IDTokenValidator,
    http: aiohttp.ClientSession,
    answer: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider.jwks_answer = answer
    with caplog.at_level(logging.ERROR):  # the skipped keys' warnings are expected
        with pytest.raises(JWKSError):
            await validator.validate(http, provider.sign(provider.claims()))


async def test_secret_and_private_keys_in_the_set_are_never_used(
    provider: OpenIDProvider, validator: IDTokenValidator, http: aiohttp.ClientSession
) -> None:
    shared = OctKey.generate_key(256, parameters={"kid": "shared"})
    leaked = RSAKey.generate_key(2048, parameters={"kid": "leaked"})
    provider.jwks_answer = {
        "keys": [
            shared.as_dict(),
            leaked.as_dict(private=True),
            provider.rsa.as_dict(private=False),
        ]
    }
    await validator.validate(http, provider.sign(provider.claims()))
    await rejects(
        validator, http, provider.sign(provider.claims(), key=leaked), IDTokenKeyNotFoundError
    )

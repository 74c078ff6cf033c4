"""RFC 8628 device flow against a local provider whose answers the test scripts.

The polling waits go through a fake clock and sleep, so the intervals are
checked exactly and no test waits for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from quart_oauthlib import OAuth2Session
from quart_oauthlib.errors import (
    AuthorizationError,
    DeviceCodeExpiredError,
    LoginDeniedError,
    LoginTimeoutError,
)
from tests.fake_provider.native import DEVICE_GRANT, NativeProvider, running_native_provider
from tests.fake_provider.serving import TLS


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[NativeProvider]:
    async with running_native_provider(tls, device_interval=2) as p:
        yield p


def session(tls: TLS, provider: NativeProvider, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        scope=["openid"],
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
        **kwargs,
    )


async def test_pending_twice_slow_down_once_then_token(provider: NativeProvider, tls: TLS) -> None:
    provider.device_script = ["authorization_pending", "authorization_pending", "slow_down", "ok"]
    shown: list[tuple[Any, ...]] = []
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        token = await oauth.device_login(
            provider.url("/device"),
            provider.url("/token"),
            on_code=lambda *args: shown.append(args),
            clock=fake.clock,
            sleep=fake.sleep,
        )
        assert oauth.token == token and token["access_token"] in provider.access_tokens
    assert shown == [
        (
            "WDJB-MJHT",
            provider.url("/activate"),
            provider.url("/activate?user_code=WDJB-MJHT"),
            600,
        )
    ]
    assert fake.sleeps == [2, 2, 2, 7]  # the interval, +5 s after slow_down
    polls = provider.grants(DEVICE_GRANT)
    assert len(polls) == 4
    assert all(p["client_id"] == provider.client_id and p["device_code"] for p in polls)
    assert provider.forms[0]["scope"] == "openid"  # the device authorization request


async def test_default_interval_is_five_seconds(provider: NativeProvider, tls: TLS) -> None:
    provider.device_interval = None
    provider.device_script = ["authorization_pending", "ok"]
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        await oauth.device_login(
            provider.url("/device"),
            provider.url("/token"),
            on_code=lambda *a: None,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert fake.sleeps == [5, 5]


async def test_async_on_code_and_confidential_client(tls: TLS) -> None:
    async with running_native_provider(tls, client_secret="s3cret") as provider:
        codes: list[str] = []

        async def on_code(user_code: str, *rest: Any) -> None:
            codes.append(user_code)

        fake = FakeTime()
        async with session(tls, provider, client_secret="s3cret") as oauth:
            await oauth.device_login(
                provider.url("/device"),
                provider.url("/token"),
                on_code=on_code,
                clock=fake.clock,
                sleep=fake.sleep,
            )
        assert codes == ["WDJB-MJHT"]
        assert "client_secret" not in provider.forms[0]  # sent with Basic


@pytest.mark.parametrize(
    ("answer", "error_type"),
    [("access_denied", LoginDeniedError), ("expired_token", DeviceCodeExpiredError)],
)
async def test_final_errors(
    provider: NativeProvider, tls: TLS, answer: str, error_type: type[AuthorizationError]
) -> None:
    provider.device_script = ["authorization_pending", answer]
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        with pytest.raises(error_type) as caught:
            await oauth.device_login(
                provider.url("/device"),
                provider.url("/token"),
                on_code=lambda *a: None,
                clock=fake.clock,
                sleep=fake.sleep,
            )
        assert not oauth.authorized
    assert caught.value.error == answer
    assert len(provider.grants(DEVICE_GRANT)) == 2


async def test_code_expiry_stops_polling(provider: NativeProvider, tls: TLS) -> None:
    """The provider keeps saying "pending": the code's expires_in (600 s) ends it."""
    provider.device_script = ["authorization_pending"] * 1000
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        with pytest.raises(DeviceCodeExpiredError):
            await oauth.device_login(
                provider.url("/device"),
                provider.url("/token"),
                on_code=lambda *a: None,
                clock=fake.clock,
                sleep=fake.sleep,
            )
    assert sum(fake.sleeps) <= 600
    assert len(provider.grants(DEVICE_GRANT)) == 300


async def test_timeout(provider: NativeProvider, tls: TLS) -> None:
    provider.device_script = ["authorization_pending"] * 1000
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        with pytest.raises(LoginTimeoutError):
            await oauth.device_login(
                provider.url("/device"),
                provider.url("/token"),
                on_code=lambda *a: None,
                timeout=9,
                clock=fake.clock,
                sleep=fake.sleep,
            )
    assert fake.sleeps == [2, 2, 2, 2]


async def test_cancel_stops_polling_at_once(provider: NativeProvider, tls: TLS) -> None:
    provider.device_script = ["authorization_pending"] * 1000
    sleeping = asyncio.Event()

    async def sleep(seconds: float) -> None:
        sleeping.set()
        await asyncio.sleep(3600)

    async with session(tls, provider) as oauth:
        login = asyncio.create_task(
            oauth.device_login(
                provider.url("/device"),
                provider.url("/token"),
                on_code=lambda *a: None,
                sleep=sleep,
            )
        )
        await asyncio.wait_for(sleeping.wait(), 5)
        login.cancel()
        async with asyncio.timeout(1):
            with pytest.raises(asyncio.CancelledError):
                await login
    await asyncio.sleep(0.05)
    assert provider.grants(DEVICE_GRANT) == []


async def test_real_sleep_is_the_default(provider: NativeProvider, tls: TLS) -> None:
    """One poll with the provider's 1 s interval, through asyncio's own sleep."""
    provider.device_interval = 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with session(tls, provider) as oauth:
        await oauth.device_login(
            provider.url("/device"), provider.url("/token"), on_code=lambda *a: None
        )
    assert 1 <= loop.time() - started < 5


async def test_default_on_code_prints_on_stderr_with_a_qr_code(
    provider: NativeProvider, tls: TLS, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("segno")
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        await oauth.device_login(
            provider.url("/device"), provider.url("/token"), clock=fake.clock, sleep=fake.sleep
        )
    out, err = capsys.readouterr()
    assert out == ""
    assert "WDJB-MJHT" in err and provider.url("/activate") in err
    assert "\u2588" in err or "\u2580" in err or "\u2584" in err  # the QR code's blocks


async def test_device_endpoint_error_is_typed(tls: TLS) -> None:
    async with running_native_provider(tls, client_secret="right") as provider:
        async with session(tls, provider, client_secret="wrong") as oauth:
            with pytest.raises(AuthorizationError) as caught:
                await oauth.device_login(
                    provider.url("/device"), provider.url("/token"), on_code=lambda *a: None
                )
    assert caught.value.error == "invalid_client"
    assert "wrong" not in str(caught.value)


async def test_resource_is_sent_on_both_requests(provider: NativeProvider, tls: TLS) -> None:
    fake = FakeTime()
    resources = ["https://api.example/a", "https://api.example/b"]
    async with session(tls, provider) as oauth:
        await oauth.device_login(
            provider.url("/device"),
            provider.url("/token"),
            on_code=lambda *a: None,
            resource=resources,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert provider.forms[0].getall("resource") == resources
    assert provider.grants(DEVICE_GRANT)[0].getall("resource") == resources


async def test_a_broken_connection_backs_off_and_polls_on(
    provider: NativeProvider, tls: TLS
) -> None:
    provider.device_script = ["authorization_pending", "drop", "ok"]
    fake = FakeTime()
    async with session(tls, provider) as oauth:
        token = await oauth.device_login(
            provider.url("/device"),
            provider.url("/token"),
            on_code=lambda *a: None,
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert token["access_token"] in provider.access_tokens
    assert fake.sleeps == [2, 2, 4]  # doubled after the broken connection


def test_printed_codes_cannot_drive_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from quart_oauthlib.client.native.device import print_code

    print_code("AB\x1b[2J-CD", "https://x.example/\x07", None, 600)
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "AB\N{REPLACEMENT CHARACTER}[2J-CD" in err

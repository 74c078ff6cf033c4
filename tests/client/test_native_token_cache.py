"""The token cache file: safe writes, refusals of unsafe files, and get_or_login's order."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.native import TokenCache
from quart_oauthlib.errors import (
    ConfigurationError,
    TokenCacheCorruptError,
    TokenCachePermissionError,
    TokenRefreshError,
)
from tests.fake_provider.native import DEVICE_GRANT, NativeProvider, running_native_provider
from tests.fake_provider.serving import TLS

ISSUER = "https://issuer.example"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_mode_0600_and_no_leftovers(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "sub" / "tokens.json")
    token = {"access_token": "a", "refresh_token": "r", "expires_at": 2_000_000_000}
    cache.set(ISSUER, "client", ["b", "a"], token)
    assert cache.get(ISSUER, "client", "a b") == token  # scope order does not matter
    assert cache.get(ISSUER, "client", "a") is None
    assert cache.get(ISSUER, "other", "a b") is None
    assert mode(cache.path) == 0o600
    assert mode(cache.path.parent) == 0o700
    names = sorted(p.name for p in cache.path.parent.iterdir())
    assert names == ["tokens.json", "tokens.json.lock"]  # no temporary file left
    cache.delete(ISSUER, "client", "a b")
    assert cache.get(ISSUER, "client", "a b") is None
    assert repr(cache) == f"TokenCache({str(cache.path)!r})"


def test_missing_file_is_an_empty_cache(tmp_path: Path) -> None:
    assert TokenCache(tmp_path / "none.json").get(ISSUER, "c", None) is None


@pytest.mark.parametrize(
    "content", [b"{not json", b"[]", b'{"tokens": {}}', b"\xff\xfe", b'{"format": "x"}']
)
def test_corrupt_file_is_a_clear_error_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tokens.json"
    path.write_bytes(content)
    path.chmod(0o600)
    cache = TokenCache(path)
    with pytest.raises(TokenCacheCorruptError) as caught:
        cache.get(ISSUER, "c", None)
    assert str(path) in str(caught.value) and caught.value.path == str(path)
    with pytest.raises(TokenCacheCorruptError):
        cache.set(ISSUER, "c", None, {"access_token": "a"})
    assert path.read_bytes() == content


@pytest.mark.parametrize("bits", [0o644, 0o640, 0o604, 0o660])
def test_readable_by_others_is_refused(tmp_path: Path, bits: int) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    cache.set(ISSUER, "c", None, {"access_token": "a"})
    before = cache.path.read_bytes()
    cache.path.chmod(bits)
    with pytest.raises(TokenCachePermissionError, match="chmod 600"):
        cache.get(ISSUER, "c", None)
    with pytest.raises(TokenCachePermissionError):
        cache.set(ISSUER, "c", None, {"access_token": "b"})
    assert cache.path.read_bytes() == before and mode(cache.path) == bits


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user")
def test_another_users_file_is_refused(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    cache.set(ISSUER, "c", None, {"access_token": "a"})
    os.chown(cache.path, 12345, 12345)
    with pytest.raises(TokenCachePermissionError, match="another user"):
        cache.get(ISSUER, "c", None)
    with pytest.raises(TokenCachePermissionError):
        cache.set(ISSUER, "c", None, {"access_token": "b"})
    assert cache.path.stat().st_uid == 12345


def test_symlink_and_directory_are_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    TokenCache(real).set(ISSUER, "c", None, {"access_token": "a"})
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(TokenCachePermissionError, match="symbolic link"):
        TokenCache(link).get(ISSUER, "c", None)
    folder = tmp_path / "folder.json"
    folder.mkdir()
    with pytest.raises(TokenCachePermissionError, match="not a regular file"):
        TokenCache(folder).get(ISSUER, "c", None)


WRITER = """
import sys
from quart_oauthlib.client.native import TokenCache
cache = TokenCache(sys.argv[1])
for i in range(int(sys.argv[3])):
    cache.set("https://issuer.example", sys.argv[2] + str(i), None, {"access_token": str(i)})
"""


async def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    count = 40
    writers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(path), name, str(count), cwd=os.getcwd()
        )
        for name in ("first-", "second-")
    ]
    async with asyncio.timeout(60):
        codes = [await w.wait() for w in writers]
    assert codes == [0, 0]
    tokens = json.loads(path.read_text())["tokens"]
    assert len(tokens) == 2 * count
    cache = TokenCache(path)
    for name in ("first-", "second-"):
        for i in range(count):
            assert cache.get(ISSUER, f"{name}{i}", None) == {"access_token": str(i)}
    assert mode(path) == 0o600


# -- get_or_login ------------------------------------------------------------------------


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[NativeProvider]:
    async with running_native_provider(tls) as p:
        yield p


def session(tls: TLS, provider: NativeProvider) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        scope=["openid"],
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    )


async def instant(seconds: float) -> None:
    await asyncio.sleep(0)


async def login(cache: TokenCache, provider: NativeProvider, tls: TLS, **kw: Any) -> Any:
    async with session(tls, provider) as oauth:
        token = await cache.get_or_login(
            oauth,
            token_url=provider.url("/token"),
            issuer=provider.issuer,
            device_authorization_url=provider.url("/device"),
            on_code=lambda *a: None,
            sleep=instant,
            **kw,
        )
        assert oauth.token["access_token"] == token["access_token"]
        return token


async def test_get_or_login_logs_in_then_uses_the_cache(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    first = await login(cache, provider, tls)
    assert len(provider.grants(DEVICE_GRANT)) == 1
    assert cache.get(provider.issuer, provider.client_id, "openid") == first
    second = await login(cache, provider, tls)
    assert second == first
    assert len(provider.forms) == 2  # device request and one poll: nothing more


async def test_get_or_login_refreshes_an_expired_token(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    first = await login(cache, provider, tls)
    cache.set(provider.issuer, provider.client_id, "openid", {**first, "expires_at": time.time()})
    second = await login(cache, provider, tls)
    assert second["access_token"] != first["access_token"]
    assert len(provider.grants("refresh_token")) == 1
    assert len(provider.grants(DEVICE_GRANT)) == 1  # no new login
    assert cache.get(provider.issuer, provider.client_id, "openid") == second


async def test_get_or_login_logs_in_again_when_the_grant_is_gone(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    first = await login(cache, provider, tls)
    cache.set(provider.issuer, provider.client_id, "openid", {**first, "expires_at": time.time()})
    provider.fail_refresh_with = "invalid_grant"
    provider.device_script = ["ok"]
    second = await login(cache, provider, tls)
    assert len(provider.grants(DEVICE_GRANT)) == 2
    assert cache.get(provider.issuer, provider.client_id, "openid") == second


async def test_get_or_login_keeps_the_token_when_the_refresh_fails_otherwise(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    first = await login(cache, provider, tls)
    expired = {**first, "expires_at": int(time.time())}
    cache.set(provider.issuer, provider.client_id, "openid", expired)
    provider.fail_refresh_with = "temporarily_unavailable"
    with pytest.raises(TokenRefreshError):
        await login(cache, provider, tls)
    assert cache.get(provider.issuer, provider.client_id, "openid") == expired
    assert len(provider.grants(DEVICE_GRANT)) == 1


async def test_session_refreshes_are_saved(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    async with session(tls, provider) as oauth:
        await cache.get_or_login(
            oauth,
            token_url=provider.url("/token"),
            device_authorization_url=provider.url("/device"),
            on_code=lambda *a: None,
            sleep=instant,
        )
        renewed = await oauth.renew_token()  # through the session's token_updater
    # Keyed by the token URL when no issuer is given.
    assert cache.get(provider.url("/token"), provider.client_id, "openid") == renewed


async def test_get_or_login_needs_a_way_to_log_in(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    async with session(tls, provider) as oauth:
        with pytest.raises(ConfigurationError):
            await cache.get_or_login(oauth, token_url=provider.url("/token"))


async def test_a_token_updater_waits_for_another_process(tmp_path: Path) -> None:
    """While another process holds the lock, the async updater waits without blocking."""
    cache = TokenCache(tmp_path / "tokens.json")
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(0.5)\n",
        str(tmp_path / "tokens.json.lock"),
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None
    async with asyncio.timeout(30):
        assert await holder.stdout.readline() == b"locked\n"
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        await cache.updater(ISSUER, "c", None)({"access_token": "a"})
        ticker.cancel()
        await holder.wait()
    assert ticks > 10  # the event loop kept running while we waited
    assert cache.get(ISSUER, "c", None) == {"access_token": "a"}


async def test_concurrent_refreshes_spend_the_refresh_token_once(
    provider: NativeProvider, tls: TLS, tmp_path: Path
) -> None:
    """Two sessions (as two processes would) find the token expired at once: one refreshes,
    the other waits on the lock and then uses the new token (the old refresh token is
    rotated away: spending it twice would fail)."""
    path = tmp_path / "tokens.json"
    first = await login(TokenCache(path), provider, tls)
    TokenCache(path).set(
        provider.issuer, provider.client_id, "openid", {**first, "expires_at": time.time()}
    )
    results = await asyncio.gather(
        login(TokenCache(path), provider, tls), login(TokenCache(path), provider, tls)
    )
    assert results[0] == results[1] and results[0]["access_token"] != first["access_token"]
    assert len(provider.grants("refresh_token")) == 1


def test_a_failed_write_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = TokenCache(tmp_path / "tokens.json")
    cache.set(ISSUER, "c", None, {"access_token": "old"})
    before = cache.path.read_bytes()

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", disk_full)
    with pytest.raises(OSError, match="No space"):
        cache.set(ISSUER, "c", None, {"access_token": "new"})
    monkeypatch.undo()
    assert cache.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokens.json", "tokens.json.lock"]

"""Native apps against oidc-provider: dynamic registration, the device flow, the loopback
redirect (RFC 8252) with a refresh, and the ``python -m quart_oauthlib`` command line.

The "user" is a :class:`UserAgent` on aiohttp that works the provider's pages (the
device verification page, the login form) while the client waits for it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from oauthlib.oauth2 import BackendApplicationClient

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.native.token_cache import TokenCache
from quart_oauthlib.client.oidc.userinfo import fetch_userinfo
from quart_oauthlib.client.registration import RegisteredClient, register_client
from quart_oauthlib.errors import LoginDeniedError, RegistrationError
from tests.peer.conftest import SECRET
from tests.peer.interaction import UserAgent

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
#: A native app's loopback redirect URI; the peer ignores its port (RFC 8252 §7.3).
LOOPBACK_REDIRECT = "http://127.0.0.1/callback"
#: Seconds for one login; the peer asks for no polling interval, so the client polls every 5 s.
LOGIN_TIMEOUT = 60


async def register_native(metadata: dict[str, Any]) -> RegisteredClient:
    """A public native client for the device flow and the loopback redirect."""
    return await register_client(
        metadata["registration_endpoint"],
        {
            "application_type": "native",
            "client_name": "quart-oauthlib native test",
            "redirect_uris": [LOOPBACK_REDIRECT],
            "grant_types": ["authorization_code", "refresh_token", DEVICE_CODE],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
    )


@pytest.fixture
async def native_client(metadata: dict[str, Any]) -> RegisteredClient:
    return await register_native(metadata)


async def test_a_registered_confidential_client_gets_tokens_with_its_secret(
    metadata: dict[str, Any],
) -> None:
    registered = await register_client(
        metadata["registration_endpoint"],
        {
            "redirect_uris": ["https://rp.example.test/cb"],
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "api",
        },
    )
    assert registered.client_id and registered.client_secret
    assert registered.registration_access_token and registered.registration_client_uri
    assert registered.client_secret not in repr(registered)
    assert registered.registration_access_token not in repr(registered)
    async with OAuth2Session(
        client=BackendApplicationClient(registered.client_id),
        client_secret=registered.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        issuer=metadata["issuer"],
    ) as session:
        await session.fetch_token(metadata["token_endpoint"])
        answer = await session.introspect_token(metadata["introspection_endpoint"])
    assert answer["active"] is True and answer["client_id"] == registered.client_id


async def test_a_registered_native_client_is_public_and_keeps_its_metadata(
    native_client: RegisteredClient,
) -> None:
    assert native_client.client_secret is None
    assert native_client.metadata["application_type"] == "native"
    assert DEVICE_CODE in native_client.metadata["grant_types"]


async def test_registration_refused_by_the_peer_is_a_typed_error(
    metadata: dict[str, Any],
) -> None:
    # RFC 8252 §8.4: a native app may not use a plain http redirect on another host.
    with pytest.raises(RegistrationError) as caught:
        await register_client(
            metadata["registration_endpoint"],
            {
                "application_type": "native",
                "redirect_uris": ["http://rp.example.test/callback"],
                "token_endpoint_auth_method": "none",
            },
        )
    assert caught.value.error == "invalid_redirect_uri"


async def device_login_with_user(
    session: OAuth2Session,
    metadata: dict[str, Any],
    user_agent: UserAgent,
    *,
    approve: bool,
) -> tuple[asyncio.Task[Any], str]:
    """Start ``device_login``; the user works the verification page meanwhile.

    Returns the login's task (done or failing) and the page the user ended on.
    A failure on the pages cancels the login instead of letting it poll on.
    """
    codes: asyncio.Queue[tuple[str, str, str | None, int]] = asyncio.Queue()

    def on_code(user_code: str, uri: str, complete: str | None, expires_in: int) -> None:
        codes.put_nowait((user_code, uri, complete, expires_in))

    login = asyncio.create_task(
        session.device_login(
            metadata["device_authorization_endpoint"],
            metadata["token_endpoint"],
            on_code=on_code,
            timeout=LOGIN_TIMEOUT,
        )
    )
    try:
        async with asyncio.timeout(LOGIN_TIMEOUT):
            user_code, uri, complete, expires_in = await codes.get()
        assert uri == metadata["issuer"] + "/device" and expires_in > 0
        assert complete is not None and user_code in complete
        page = await user_agent.verify_device(uri, user_code, approve=approve)
        await asyncio.wait([login], timeout=LOGIN_TIMEOUT)
    finally:
        if not login.done():
            login.cancel()
    return login, page


async def test_device_login_approved_on_the_verification_page(
    metadata: dict[str, Any], native_client: RegisteredClient, user_agent: UserAgent
) -> None:
    async with OAuth2Session(
        native_client.client_id, scope="openid email profile", issuer=metadata["issuer"]
    ) as session:
        login, page = await device_login_with_user(session, metadata, user_agent, approve=True)
        assert "Sign-in Success" in page
        token = login.result()
        assert token["access_token"] and token["id_token"]
        assert session.token == token
        claims = await fetch_userinfo(session, metadata["userinfo_endpoint"])
    assert claims["sub"] == user_agent.login
    assert claims["email"] == f"{user_agent.login}@example.test"


async def test_device_login_aborted_on_the_verification_page_is_denied(
    metadata: dict[str, Any], native_client: RegisteredClient, user_agent: UserAgent
) -> None:
    async with OAuth2Session(
        native_client.client_id, scope="openid", issuer=metadata["issuer"]
    ) as session:
        login, page = await device_login_with_user(session, metadata, user_agent, approve=False)
        assert "interrupted" in page
        with pytest.raises(LoginDeniedError) as caught:
            login.result()
        assert not session.token
    assert caught.value.error == "access_denied"


async def test_login_with_browser_through_the_loopback_then_refresh(
    metadata: dict[str, Any], native_client: RegisteredClient, user_agent: UserAgent
) -> None:
    landed: list[int] = []

    async def browser(url: str) -> None:
        # The "browser" follows the provider's pages, then calls the loopback callback.
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        assert redirect_uri.startswith("http://127.0.0.1:") and redirect_uri.endswith("/callback")
        callback = await user_agent.authorize(url, redirect_uri)
        async with user_agent.http.get(callback) as resp:
            landed.append(resp.status)

    async with OAuth2Session(
        native_client.client_id, scope="openid email", issuer=metadata["issuer"]
    ) as session:
        token = await session.login_with_browser(
            metadata["authorization_endpoint"],
            metadata["token_endpoint"],
            open_browser=browser,
            timeout=LOGIN_TIMEOUT,
            issuer=metadata["issuer"],
            require_iss=True,
        )
        assert token["access_token"] and token["refresh_token"]
        assert landed == [200]
        assert session.redirect_uri is None  # the loopback URI was the login's only
        refreshed = await session.refresh_token(metadata["token_endpoint"])
        assert refreshed["access_token"] != token["access_token"]
        claims = await fetch_userinfo(session, metadata["userinfo_endpoint"])
    assert claims["sub"] == user_agent.login


def cli(*args: str, cache: Path) -> list[str]:
    return [sys.executable, "-m", "quart_oauthlib", *args, "--cache", str(cache)]


#: The subprocess's environment: the peer is on http://127.0.0.1, and warnings fail it.
CLI_ENV = {"OAUTHLIB_INSECURE_TRANSPORT": "1", "PYTHONWARNINGS": "error"}


async def run_cli(*args: str, cache: Path) -> tuple[int, str, str]:
    """Run the command line to its end; its status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *cli(*args, cache=cache),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **CLI_ENV},
    )
    async with asyncio.timeout(LOGIN_TIMEOUT):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def introspect(metadata: dict[str, Any], access_token: str) -> dict[str, Any]:
    """What the peer says of an access token (asked by its static ``basic`` client)."""
    async with OAuth2Session(
        client=BackendApplicationClient("basic"), client_secret=SECRET, issuer=metadata["issuer"]
    ) as introspector:
        return await introspector.introspect_token(metadata["introspection_endpoint"], access_token)


async def test_cli_device_login_then_token_then_a_refreshed_token(
    metadata: dict[str, Any],
    native_client: RegisteredClient,
    user_agent: UserAgent,
    tmp_path: Path,
) -> None:
    issuer, client_id = metadata["issuer"], native_client.client_id
    cache = tmp_path / "tokens.json"
    login = await asyncio.create_subprocess_exec(
        *cli("login", issuer, "--client-id", client_id, "--device", cache=cache),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **CLI_ENV},
    )
    assert login.stderr is not None
    try:
        # The user reads the code off the terminal (stderr), and enters it on the page.
        async with asyncio.timeout(LOGIN_TIMEOUT):
            while b"enter the code: " not in (line := await login.stderr.readline()):
                assert line, "The CLI ended without showing a code."
        uri, _, code = (
            line.decode()
            .strip()
            .removeprefix("To sign in, visit ")
            .partition(" and enter the code: ")
        )
        assert uri == f"{issuer}/device"
        assert "Sign-in Success" in await user_agent.verify_device(uri, code, approve=True)
        async with asyncio.timeout(LOGIN_TIMEOUT):
            login_out, login_err = await login.communicate()
    finally:
        if login.returncode is None:
            login.kill()
            await login.wait()
    assert login.returncode == 0, login_err.decode()
    assert login_out.decode().strip() == f"Signed in as {user_agent.login} ({user_agent.login})."
    assert cache.stat().st_mode & 0o077 == 0

    status, out, err = await run_cli("token", issuer, "--client-id", client_id, cache=cache)
    assert status == 0, err
    first = out.strip()
    assert first and out == first + "\n"  # the access token alone
    answer = await introspect(metadata, first)
    assert answer["active"] is True
    assert answer["client_id"] == client_id and answer["sub"] == user_agent.login

    # Once the cached token has expired, ``token`` refreshes it at the peer and saves it.
    [(scope, cached)] = TokenCache(cache).find(issuer, client_id)
    assert "offline_access" in scope.split() and cached["refresh_token"]
    TokenCache(cache).set(issuer, client_id, scope, {**cached, "expires_at": time.time() - 1})
    status, out, err = await run_cli("token", issuer, "--client-id", client_id, cache=cache)
    assert status == 0, err
    refreshed = out.strip()
    assert refreshed and refreshed != first
    assert (await introspect(metadata, refreshed))["active"] is True
    [(_, saved)] = TokenCache(cache).find(issuer, client_id)
    assert saved["access_token"] == refreshed and saved["expires_at"] > time.time()

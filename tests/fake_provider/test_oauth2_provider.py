"""Sanity checks of the fake OAuth 2 provider, driven by plain aiohttp."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote_plus

import aiohttp
import pytest
from yarl import URL

from tests.fake_provider.oauth2 import Client, OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS

WEB_BASIC = "Basic " + base64.b64encode(b"web-client:web-secret").decode()


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


async def authorize(http: aiohttp.ClientSession, provider: OAuth2Provider, **params: str) -> URL:
    query = {"response_type": "code", "redirect_uri": "https://127.0.0.1/callback"} | params
    async with http.get(provider.url("/authorize"), params=query, allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        return URL(r.headers["Location"])


async def post_token(
    http: aiohttp.ClientSession, provider: OAuth2Provider, data: dict[str, str], **kw: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(provider.url("/token"), data=data, **kw) as r:
        return r.status, await r.json()


async def get_user(http: aiohttp.ClientSession, provider: OAuth2Provider, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(provider.url("/api/user"), headers=headers) as r:
        return r.status


async def test_code_grant_with_pkce(http: aiohttp.ClientSession, provider: OAuth2Provider) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    location = await authorize(
        http,
        provider,
        client_id="public-client",
        scope="read write",
        state="xyz",
        code_challenge=challenge.rstrip(b"=").decode(),
        code_challenge_method="S256",
    )
    assert location.query["state"] == "xyz"
    code = location.query["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "https://127.0.0.1/callback",
        "client_id": "public-client",
    }
    status, body = await post_token(http, provider, form | {"code_verifier": "wrong" * 10})
    assert (status, body["error"]) == (400, "invalid_grant")
    status, token = await post_token(http, provider, form | {"code_verifier": verifier})
    assert status == 200, token
    assert token["token_type"] == "Bearer" and token["scope"] == "read write"
    async with http.get(
        provider.url("/api/user"), headers={"Authorization": f"Bearer {token['access_token']}"}
    ) as r:
        assert await r.json() == {
            "sub": "alice",
            "name": "Alice",
            "client_id": "public-client",
            "scope": ["read", "write"],
        }
    # The code is single-use, and replaying it revokes what it bought.
    status, body = await post_token(http, provider, form | {"code_verifier": verifier})
    assert (status, body["error"]) == (400, "invalid_grant")
    assert await get_user(http, provider, token["access_token"]) == 401
    assert [r["client_auth"] for r in provider.token_requests] == ["none"] * 3


async def test_pkce_required(tls: TLS, http: aiohttp.ClientSession) -> None:
    async with running_provider(tls, require_pkce=True) as provider:
        location = await authorize(http, provider, client_id="web-client")
        assert location.query["error"] == "invalid_request"


async def test_implicit_and_denied(http: aiohttp.ClientSession, provider: OAuth2Provider) -> None:
    location = await authorize(
        http, provider, client_id="public-client", response_type="token", state="s"
    )
    fragment = parse_qs(location.fragment)
    assert fragment["state"] == ["s"] and fragment["token_type"] == ["Bearer"]
    assert await get_user(http, provider, fragment["access_token"][0]) == 200
    location = await authorize(http, provider, client_id="web-client", state="s", deny="1")
    assert location.query["error"] == "access_denied" and location.query["state"] == "s"


async def test_password_grant_client_secret_post(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    form = {"grant_type": "password", "username": "alice", "password": "wonderland"}
    creds = {"client_id": "web-client", "client_secret": "web-secret"}
    status, token = await post_token(http, provider, form | creds)
    assert status == 200 and "refresh_token" in token
    status, body = await post_token(http, provider, form | creds | {"password": "nope"})
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body = await post_token(http, provider, form | creds | {"client_secret": "nope"})
    assert (status, body["error"]) == (401, "invalid_client")
    assert provider.grant_counts["password"] == 3
    assert provider.token_requests[0] == {
        "grant_type": "password",
        "client_auth": "client_secret_post",
        "client_id": "web-client",
        "method": "POST",
        "fields": ["client_id", "client_secret", "grant_type", "password", "username"],
        "status": 200,
    }


async def test_client_credentials_basic(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    form = {"grant_type": "client_credentials", "scope": "read"}
    status, token = await post_token(http, provider, form, headers={"Authorization": WEB_BASIC})
    assert status == 200 and "refresh_token" not in token
    async with http.get(
        provider.url("/api/user"), params={"access_token": token["access_token"]}
    ) as r:
        assert (await r.json())["sub"] == "web-client"
    assert provider.token_requests[-1]["client_auth"] == "client_secret_basic"


async def test_basic_credentials_are_form_decoded(tls: TLS, http: aiohttp.ClientSession) -> None:
    client = Client("id:with space", "s3cr+t:/%", ["https://127.0.0.1/callback"])
    async with running_provider(tls, clients=[client]) as provider:
        pair = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret or '')}"
        auth = "Basic " + base64.b64encode(pair.encode()).decode()
        form = {"grant_type": "client_credentials"}
        status, _ = await post_token(http, provider, form, headers={"Authorization": auth})
        assert status == 200


async def test_refresh_rotation_and_reuse_revokes_family(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    first = provider.issue_token()
    other = provider.issue_token()  # another family, must survive
    headers = {"Authorization": WEB_BASIC}
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    status, second = await post_token(http, provider, form, headers=headers)
    assert status == 200 and second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == "read"
    assert await get_user(http, provider, second["access_token"]) == 200
    status, body = await post_token(http, provider, form, headers=headers)  # replay
    assert (status, body["error"]) == (400, "invalid_grant")
    assert await get_user(http, provider, second["access_token"]) == 401
    assert not provider.is_active(second["refresh_token"])
    assert await get_user(http, provider, other["access_token"]) == 200
    assert provider.grant_counts["refresh_token"] == 2


async def test_expired_token_is_rejected(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    token = provider.issue_token()
    provider.expire_all_access_tokens()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    async with http.get(provider.url("/api/user"), headers=headers) as r:
        assert r.status == 401
        assert r.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert provider.resource_requests == 1


async def test_mtls_client(tls: TLS, provider: OAuth2Provider, tmp_path: Path) -> None:
    cert_path = tmp_path / "client.pem"
    tls.ca.issue_cert("mtls-client").private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    context = ssl.create_default_context(cafile=tls.ca_pem_path)
    context.load_cert_chain(str(cert_path))
    form = {"grant_type": "client_credentials", "client_id": "mtls-client"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as http:
        status, token = await post_token(http, provider, form)
    assert status == 200, token
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context)) as h:
        status, body = await post_token(h, provider, form)  # no certificate
    assert (status, body["error"]) == (401, "invalid_client")
    assert [r["client_auth"] for r in provider.token_requests] == ["tls_client_auth", "none"]


async def test_revoke_and_introspect(http: aiohttp.ClientSession, provider: OAuth2Provider) -> None:
    token = provider.issue_token(scope=("read", "write"))
    headers = {"Authorization": WEB_BASIC}
    async with http.post(
        provider.url("/introspect"), data={"token": token["access_token"]}, headers=headers
    ) as r:
        claims = await r.json()
    assert claims["active"] is True and claims["scope"] == "read write"
    async with http.post(
        provider.url("/revoke"), data={"token": token["refresh_token"]}, headers=headers
    ) as r:
        assert r.status == 200
    assert await get_user(http, provider, token["access_token"]) == 401


async def test_token_quirks(http: aiohttp.ClientSession, provider: OAuth2Provider) -> None:
    provider.quirks.token_as_form = True
    provider.quirks.scope_override = "read,write"
    provider.quirks.token_type = "weird"
    form = {"grant_type": "client_credentials"}
    async with http.post(
        provider.url("/token"), data=form, headers={"Authorization": WEB_BASIC}
    ) as r:
        assert r.content_type == "application/x-www-form-urlencoded"
        body = parse_qs(await r.text())
    assert body["scope"] == ["read,write"] and body["token_type"] == ["weird"]

    provider.quirks = type(provider.quirks)(html_error_status=502)
    async with http.post(provider.url("/token"), data=form) as r:
        assert (r.status, r.content_type) == (502, "text/html")

    provider.quirks = type(provider.quirks)(fail_refresh_with="server_error")
    refresh = {"grant_type": "refresh_token", "refresh_token": "x"}
    async with http.post(provider.url("/token"), data=refresh) as r:
        assert (r.status, (await r.json())["error"]) == (500, "server_error")

    provider.quirks = type(provider.quirks)(slow_drip_seconds=0.001, huge_body_bytes=100)
    status, body = await post_token(http, provider, form, headers={"Authorization": WEB_BASIC})
    assert status == 200 and len(body["padding"]) == 100


async def test_token_endpoint_get_and_redirect(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    params = {"grant_type": "client_credentials"}
    headers = {"Authorization": WEB_BASIC}
    async with http.get(provider.url("/token"), params=params, headers=headers) as r:
        assert r.status == 200
    assert provider.token_requests[-1]["method"] == "GET"
    provider.quirks.redirect_token_endpoint_to = provider.url("/echo-headers")
    async with http.post(provider.url("/token"), data=params, headers=headers) as r:
        assert r.headers["X-Request-Method"] == "POST"
        assert (await r.json())["Authorization"] == WEB_BASIC  # same origin: kept


async def test_redirect_helper(http: aiohttp.ClientSession, provider: OAuth2Provider) -> None:
    target = provider.url("/echo-headers")
    async with http.get(
        provider.url("/redirect"), params={"to": target, "status": "303"}, allow_redirects=False
    ) as r:
        assert (r.status, r.headers["Location"]) == (303, target)


async def test_loopback_redirect_any_port(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    location = await authorize(
        http, provider, client_id="web-client", redirect_uri="http://127.0.0.1:8765/callback"
    )
    assert location.port == 8765 and "code" in location.query
    async with http.get(
        provider.url("/authorize"),
        params={"client_id": "web-client", "redirect_uri": "https://evil.example/cb"},
        allow_redirects=False,
    ) as r:
        assert r.status == 400


async def test_concurrent_refreshes_with_one_token_trip_reuse_detection(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    """What a client without a refresh lock would see: one success, then a revoked family."""
    token = provider.issue_token()
    provider.quirks.refresh_delay_seconds = 0.05
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    results = await asyncio.gather(
        *(post_token(http, provider, form, headers={"Authorization": WEB_BASIC}) for _ in range(3))
    )
    assert sorted(status for status, _ in results) == [200, 400, 400]
    assert provider.grant_counts["refresh_token"] == 3
    fresh = next(body for status, body in results if status == 200)
    assert not provider.is_active(fresh["access_token"])


async def test_without_rotation_the_refresh_token_is_reused(
    tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with running_provider(tls, rotate_refresh_tokens=False) as provider:
        token = provider.issue_token()
        form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
        for _ in range(2):
            status, body = await post_token(
                http, provider, form, headers={"Authorization": WEB_BASIC}
            )
            assert status == 200 and body["refresh_token"] == token["refresh_token"]


async def test_server_side_logs_stay_out_of_caplog(
    http: aiohttp.ClientSession, provider: OAuth2Provider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    form = {"grant_type": "client_credentials"}
    status, token = await post_token(http, provider, form, headers={"Authorization": WEB_BASIC})
    assert status == 200
    assert token["access_token"] not in caplog.text


async def test_post_with_query_parameters(
    http: aiohttp.ClientSession, provider: OAuth2Provider
) -> None:
    params = {"grant_type": "client_credentials"}
    headers = {"Authorization": WEB_BASIC}
    async with http.post(provider.url("/token"), params=params, headers=headers) as r:
        assert (r.status, (await r.json())["error"]) == (400, "invalid_request")
    provider.quirks.allow_query_in_post = True
    async with http.post(provider.url("/token"), params=params, headers=headers) as r:
        assert r.status == 200
    assert [r["status"] for r in provider.token_requests] == [400, 200]

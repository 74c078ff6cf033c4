"""The OAuth 1 dance (seed docs 3.1, 3.3.1, 3.3.8, 3.4.2) end to end against
oauthlib's provider side on 127.0.0.1: every signature method in every placement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from oauthlib.common import urldecode

from quart_oauthlib import OAuth1, OAuth1Session
from tests.fake_provider.oauth1 import (
    CALLBACK,
    CLIENT_KEY,
    CLIENT_SECRET,
    PLAIN_CLIENT_KEY,
    PLAIN_CLIENT_SECRET,
    RSA_CLIENT_KEY,
    OAuth1Provider,
    running_provider,
)
from tests.fake_provider.serving import TLS

METHODS = ["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "RSA-SHA1", "RSA-SHA256", "RSA-SHA512"]
METHODS.append("PLAINTEXT")
PLACEMENTS = ["AUTH_HEADER", "query", "body"]


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    """A fresh RSA key pair: (private PEM for the client, public PEM for the provider)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
async def provider(tls: TLS, rsa_keys: tuple[str, str]) -> AsyncIterator[OAuth1Provider]:
    async with running_provider(tls, rsa_public_key=rsa_keys[1]) as p:
        yield p


def credentials(method: str, rsa_keys: tuple[str, str]) -> dict[str, Any]:
    if method.startswith("RSA"):
        return {"client_key": RSA_CLIENT_KEY, "rsa_key": rsa_keys[0], "signature_method": method}
    if method == "PLAINTEXT":  # see PLAIN_CLIENT_SECRET
        key, secret = PLAIN_CLIENT_KEY, PLAIN_CLIENT_SECRET
        return {"client_key": key, "client_secret": secret, "signature_method": method}
    return {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, "signature_method": method}


def session(tls: TLS, **kwargs: Any) -> OAuth1Session:
    """An OAuth1Session whose own aiohttp session trusts the test CA."""
    return OAuth1Session(connector=aiohttp.TCPConnector(ssl=tls.client_context), **kwargs)


async def approve(http: aiohttp.ClientSession, authorization_url: str) -> str:
    """Play the user at the provider: open the URL, approve, return the redirect back."""
    async with http.get(authorization_url, allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        return resp.headers["Location"]


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("method", METHODS)
async def test_three_legged_dance(
    provider: OAuth1Provider,
    tls: TLS,
    http: aiohttp.ClientSession,
    rsa_keys: tuple[str, str],
    method: str,
    placement: str,
) -> None:
    creds = credentials(method, rsa_keys)
    async with session(tls, callback_uri=CALLBACK, signature_type=placement, **creds) as oauth:
        assert not oauth.authorized
        request_token = await oauth.fetch_request_token(provider.url("/oauth/request_token"))
        assert request_token["oauth_callback_confirmed"] == "true"

        callback = await approve(http, oauth.authorization_url(provider.url("/oauth/authorize")))
        assert callback.startswith(CALLBACK)
        answer = oauth.parse_authorization_response(callback)
        assert answer["oauth_token"] == request_token["oauth_token"]

        access_token = await oauth.fetch_access_token(provider.url("/oauth/access_token"))
        assert access_token["oauth_token"] != request_token["oauth_token"]
        assert oauth.authorized

        async with oauth.post(provider.url("/api/echo"), data={"status": "hello"}) as resp:
            assert resp.status == 200, await resp.text()
            echoed = await resp.json()
        assert echoed["token"] == access_token["oauth_token"]
        assert echoed["signature_method"] == method
        assert echoed["params"] == [["status", "hello"]]
        if placement != "body":  # body signatures need a body: GET cannot carry one
            resp = await oauth.get(provider.url("/api/echo"), params={"q": "x"})
            assert resp.status == 200, await resp.text()
            resp.release()
    where = {"AUTH_HEADER": "authorization", "query": "query", "body": "body"}[placement]
    last = provider.seen[0]
    assert "oauth_signature" in (getattr(last, where) or "")


async def test_seed_twitter_style_example(
    provider: OAuth1Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    """Seed 3.4.2, as a user at a terminal would run it, the terminal played by ``approve``."""
    oauth_session = session(
        tls, client_key=CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK
    )
    # First step, fetch the request token.
    fetched = await oauth_session.fetch_request_token(provider.url("/oauth/request_token"))
    assert set(fetched) >= {"oauth_token", "oauth_token_secret"}
    # Second step. Follow this link and authorize.
    url = oauth_session.authorization_url(provider.url("/oauth/authorize"))
    assert url == provider.url("/oauth/authorize") + "?oauth_token=" + fetched["oauth_token"]
    # Third step. Fetch the access token.
    redirect_response = await approve(http, url)
    parsed = oauth_session.parse_authorization_response(redirect_response)
    assert parsed["oauth_token"] == fetched["oauth_token"]
    assert oauth_session.token["oauth_verifier"] == parsed["oauth_verifier"]
    tokens = await oauth_session.fetch_access_token(provider.url("/oauth/access_token"))
    assert tokens["oauth_authorized_realms"] == "profile"
    # Done. You can now make OAuth requests.
    new_status = {"status": "hello world!"}
    resp = await oauth_session.post(provider.url("/api/echo"), data=new_status)
    assert resp.status == 200
    assert (await resp.json())["params"] == [["status", "hello world!"]]
    await oauth_session.close()


async def test_resets_callback_then_verifier(
    provider: OAuth1Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    async with session(
        tls, client_key=CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK
    ) as oauth:
        await oauth.fetch_request_token(provider.url("/oauth/request_token"), realm=["photos"])
        assert oauth.auth.client.callback_uri is None
        assert oauth.auth.client.realm is None
        callback = await approve(http, oauth.authorization_url(provider.url("/oauth/authorize")))
        verifier = dict(urldecode(callback.partition("?")[2]))["oauth_verifier"]
        # The verifier may also be passed in directly, as the seed shows.
        tokens = await oauth.fetch_access_token(provider.url("/oauth/access_token"), verifier)
        assert tokens["oauth_authorized_realms"] == "photos"
        assert oauth.auth.client.verifier is None
        assert set(oauth.token) == {"oauth_token", "oauth_token_secret"}
        resp = await oauth.get(provider.url("/api/echo"))
        assert resp.status == 200
        resp.release()


async def test_token_property_round_trip(
    provider: OAuth1Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    """A token saved from one session signs requests in another."""
    async with session(
        tls, client_key=CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK
    ) as first:
        await first.fetch_request_token(provider.url("/oauth/request_token"))
        callback = await approve(http, first.authorization_url(provider.url("/oauth/authorize")))
        first.parse_authorization_response(callback)
        await first.fetch_access_token(provider.url("/oauth/access_token"))
        saved = first.token
    async with session(tls, client_key=CLIENT_KEY, client_secret=CLIENT_SECRET) as second:
        assert not second.authorized
        second.token = saved
        assert second.authorized
        async with second.get(provider.url("/api/echo")) as resp:
            assert resp.status == 200


async def test_middleware_on_user_owned_session(
    provider: OAuth1Provider, tls: TLS, http: aiohttp.ClientSession
) -> None:
    """Seed 3.1.1's "OAuth1 auth helper" path, on a ClientSession the user owns."""
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector) as client:
        auth = OAuth1(CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK)
        async with client.post(provider.url("/oauth/request_token"), middlewares=(auth,)) as r:
            credentials = dict(urldecode(await r.text()))
        owner_key, owner_secret = credentials["oauth_token"], credentials["oauth_token_secret"]
        authorize_url = provider.url("/oauth/authorize") + "?oauth_token=" + owner_key
        verifier = dict(urldecode((await approve(http, authorize_url)).partition("?")[2]))[
            "oauth_verifier"
        ]
        auth = OAuth1(CLIENT_KEY, CLIENT_SECRET, owner_key, owner_secret, verifier=verifier)
        async with client.post(provider.url("/oauth/access_token"), middlewares=(auth,)) as r:
            assert r.status == 200
            credentials = dict(urldecode(await r.text()))

    auth = OAuth1(
        CLIENT_KEY, CLIENT_SECRET, credentials["oauth_token"], credentials["oauth_token_secret"]
    )
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector, middlewares=(auth,)) as client:
        for _ in range(3):  # a fresh nonce every time, or the provider refuses a replay
            async with client.get(provider.url("/api/echo")) as resp:
                assert resp.status == 200
                assert (await resp.json())["token"] == credentials["oauth_token"]


async def test_borrowed_session_is_not_closed(provider: OAuth1Provider, tls: TLS) -> None:
    connector = aiohttp.TCPConnector(ssl=tls.client_context)
    async with aiohttp.ClientSession(connector=connector) as borrowed:
        oauth = OAuth1Session(
            CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK, session=borrowed
        )
        async with oauth:
            assert oauth.http is borrowed
            await oauth.fetch_request_token(provider.url("/oauth/request_token"))
        assert not borrowed.closed

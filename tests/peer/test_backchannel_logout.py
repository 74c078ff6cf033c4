"""Back-channel logout: oidc-provider POSTs a logout token to our receiver; we validate it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.oidc.jwks import JWKSCache
from quart_oauthlib.client.oidc.logout_token import validate_logout_token
from quart_oauthlib.errors import LogoutTokenError, LogoutTokenReplayError
from tests.peer.conftest import REDIRECT_URI
from tests.peer.interaction import UserAgent


class Receiver:
    """A backchannel_logout_uri on 127.0.0.1 that keeps every logout_token posted to it."""

    def __init__(self) -> None:
        self.tokens: asyncio.Queue[str] = asyncio.Queue()
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.tokens.put_nowait(str(form["logout_token"]))
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/backchannel", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.url = f"http://127.0.0.1:{port}/backchannel"
    yield rec
    await runner.cleanup()


async def register(metadata: dict[str, Any], backchannel_uri: str) -> dict[str, Any]:
    registration = {
        "redirect_uris": [REDIRECT_URI],
        "post_logout_redirect_uris": ["http://127.0.0.1/bye"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
        "id_token_signed_response_alg": "ES256",
        "backchannel_logout_uri": backchannel_uri,
        "backchannel_logout_session_required": True,
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(metadata["registration_endpoint"], json=registration) as resp:
            assert resp.status == 201, await resp.text()
            client: dict[str, Any] = await resp.json()
    return client


async def test_a_logout_at_the_provider_posts_a_valid_logout_token(
    metadata: dict[str, Any], receiver: Receiver, user_agent: UserAgent
) -> None:
    client = await register(metadata, receiver.url)
    async with OAuth2Session(
        client["client_id"],
        client_secret=client["client_secret"],
        redirect_uri=REDIRECT_URI,
        scope="openid",
        pkce="S256",
    ) as session:
        url, _ = session.authorization_url(metadata["authorization_endpoint"])
        callback = await user_agent.authorize(url, REDIRECT_URI)
        token = await session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback
        )
        id_claims = json.loads(_b64(token["id_token"].split(".")[1]))

        end = (
            metadata["end_session_endpoint"]
            + "?"
            + urlencode(
                {
                    "id_token_hint": token["id_token"],
                    "post_logout_redirect_uri": "http://127.0.0.1/bye",
                }
            )
        )
        await user_agent.logout(end)
        logout_token = await asyncio.wait_for(receiver.tokens.get(), timeout=10)

        seen: set[str] = set()

        def is_new(jti: str, until: float) -> bool:
            if jti in seen:
                return False
            seen.add(jti)
            return True

        jwks = JWKSCache(metadata["jwks_uri"])
        checks = dict(
            issuer=metadata["issuer"], client_id=client["client_id"], jwks=jwks, is_new_jti=is_new
        )
        logged_out = await validate_logout_token(session.http, logout_token, **checks)  # type: ignore[arg-type]
        assert logged_out.sub == "alice" == id_claims["sub"]
        assert logged_out.sid == id_claims["sid"]
        with pytest.raises(LogoutTokenReplayError):
            await validate_logout_token(session.http, logout_token, **checks)  # type: ignore[arg-type]
        # Another client's audience: refused.
        with pytest.raises(LogoutTokenError, match="aud"):
            await validate_logout_token(
                session.http,
                logout_token,
                **{**checks, "client_id": "someone-else"},  # type: ignore[arg-type]
            )
        # The ID token is no logout token (it has no events).
        with pytest.raises(LogoutTokenError):
            await validate_logout_token(session.http, token["id_token"], **checks)  # type: ignore[arg-type]


def _b64(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

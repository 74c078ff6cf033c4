"""The OpenID provider of ``tests/fake_provider/oidc.py``, driven through the extension.

The fake provider has no authorization page: :func:`authorize` plays it, issuing a code for
the nonce of the login the app started and sending the browser back with ``iss``. Its token
endpoint can be told to mint an ID token that is wrong in exactly one way.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from quart import Quart, jsonify
from quart.testing import QuartClient
from yarl import URL

from quart_oauthlib import MemoryTokenStore, QuartOAuth
from quart_oauthlib.client.oidc import token_hash
from tests.fake_provider.oidc import CLIENT_ID, CLIENT_SECRET, OpenIDProvider
from tests.fake_provider.serving import TLS, serve

#: The issuer the fake puts in its answer: "good" (its own), None (none), or any string.
GOOD = "good"


class TamperingProvider(OpenIDProvider):
    """The fake OpenID provider, whose token endpoint can mint a bad ID token."""

    def __init__(self) -> None:
        super().__init__()
        self.claim_changes: dict[str, Any] = {}
        self.sign_options: dict[str, Any] = {}
        self.mangle: Callable[[str], str] | None = None
        self.last_id_token: str | None = None
        self.with_c_hash = False  # put the code's c_hash in the ID token

    async def _token(self, request: web.Request) -> web.Response:
        self.calls["token"] += 1
        form = await request.post()
        code = str(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or code not in self.codes:
            return web.json_response({"error": "invalid_grant"}, status=400)
        nonce = self.codes.pop(code)
        access_token = secrets.token_urlsafe(24)
        self.access_tokens.add(access_token)
        changes = {"nonce": nonce, "at_hash": token_hash(access_token, "RS256")}
        if self.with_c_hash:
            changes["c_hash"] = token_hash(code, "RS256")
        changes.update(self.claim_changes)
        id_token = self.sign(self.claims(**changes), **self.sign_options)
        if self.mangle is not None:
            id_token = self.mangle(id_token)
        self.last_id_token = id_token
        return web.json_response(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": id_token,
            }
        )


@asynccontextmanager
async def running(tls: TLS) -> AsyncIterator[TamperingProvider]:
    provider = TamperingProvider()
    async with serve(provider.app, tls) as base_url:
        provider.issuer = str(base_url)
        yield provider


def settings(provider: OpenIDProvider, **overrides: Any) -> dict[str, Any]:
    """All an OpenID provider needs: the metadata URL and the client's credentials."""
    return {
        "server_metadata_url": provider.metadata_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }


def make_app(
    tls: TLS, provider: OpenIDProvider, store: Any = None, **overrides: Any
) -> tuple[Quart, QuartOAuth]:
    """An app with provider ``corp`` and a ``/me`` view showing claims and userinfo."""
    app = Quart(__name__)
    app.config["SECRET_KEY"] = "test-secret-key"
    app.config["OAUTH_PROVIDERS"] = {"corp": settings(provider, **overrides)}
    app.config["OAUTH_CA_BUNDLE"] = tls.ca_pem_path
    oauth = QuartOAuth(store=store if store is not None else MemoryTokenStore())
    oauth.init_app(app)

    @app.route("/me")
    @oauth.require("corp")
    async def me() -> Any:
        return jsonify(
            claims=await oauth.corp.id_token_claims(), userinfo=await oauth.corp.userinfo()
        )

    return app, oauth


async def start(client: QuartClient) -> URL:
    """Begin a login; return the authorization URL the app redirected to."""
    response = await client.get("/login/corp")
    assert response.status_code == 302, await response.get_data(as_text=True)
    return URL(response.headers["Location"])


def authorize(
    provider: OpenIDProvider,
    location: URL,
    *,
    iss: str | None = GOOD,
    nonce: str | None = None,
) -> dict[str, str]:
    """Play the provider's login page: the callback query it would send the browser back with."""
    code = provider.issue_code(nonce if nonce is not None else location.query.get("nonce"))
    query = {"code": code, "state": location.query["state"]}
    if iss is not None:
        query["iss"] = provider.issuer if iss == GOOD else iss
    return query


async def login(client: QuartClient, provider: OpenIDProvider, **options: Any) -> Any:
    """The whole round trip; return the callback's response."""
    location = await start(client)
    return await client.get(
        "/login/corp/authorized", query_string=authorize(provider, location, **options)
    )


def forget_discovery(app: Any) -> None:
    """As if the process restarted: every provider of ``app`` rebuilt, nothing discovered."""
    from quart_oauthlib.extension.provider import Provider

    state = app.extensions["quart_oauthlib"]
    state.providers = {name: Provider(p.settings) for name, p in state.providers.items()}

"""A fake OAuth 2 / OpenID Connect provider on 127.0.0.1, for an app's own tests.

It is a real HTTP server (``aiohttp.web``) whose protocol decisions are
oauthlib's server side: the code grant with PKCE, client authentication,
refresh (with rotation), bearer checks and revocation (RFC 7009). Logins are
approved at once, as the configured user, so a Quart test client can follow
a whole login. ID tokens are RS256 JWTs signed with joserfc (the ``jose`` extra).

::

    async with running_fake_provider() as provider:
        app.config["OAUTH_PROVIDERS"] = {"github": provider.settings_for("github")}

Endpoints: ``/authorize``, ``/token``, ``/userinfo``, ``/revoke``, ``/jwks``,
``/.well-known/openid-configuration``, and every other path as a protected
API that answers the user's userinfo with the ``path`` and ``method`` asked
(so ``await oauth.github.get("user")`` works against ``api_base_url``).

It serves plain HTTP, so ``OAUTHLIB_INSECURE_TRANSPORT`` must be set while it
runs (the ``fake_provider`` pytest fixture sets it for the test).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import WebApplicationServer
from oauthlib.oauth2.rfc6749 import errors

from ..errors import ConfigurationError
from ..providers import PRESETS
from ..providers.settings import PLACEHOLDERS, ProviderSettings
from .validator import FakeClient, Grant, Records, Validator

if TYPE_CHECKING:
    from quart.testing import QuartClient
    from quart.wrappers import Response

__all__ = ["FakeProvider", "running_fake_provider"]

#: oauthlib's server side logs tokens at DEBUG: the fake's, but keep them out of app logs.
_SERVER_LOGGERS = ("oauthlib",)
DEFAULT_USER: dict[str, Any] = {
    "sub": "alice",
    "id": "alice",
    "login": "alice",
    "email": "alice@example.org",
    "email_verified": True,
    "name": "Alice",
}


class FakeProvider:
    """An in-memory provider; serve it with :func:`running_fake_provider`.

    Attributes:
        user: The userinfo of whoever signs in next (``sub`` is the user's id).
        records: The codes and tokens issued, and each user's userinfo.
        access_token_lifetime: The ``expires_in`` of new access tokens (seconds).
        issue_refresh_tokens: Whether token answers carry a refresh token.
        deny_logins: The ``error`` the next logins answer (``"access_denied"``...), or None.
    """

    def __init__(self, *, access_token_lifetime: int = 3600) -> None:
        self.records = Records()
        self.user: dict[str, Any] = dict(DEFAULT_USER)
        self.access_token_lifetime = access_token_lifetime
        self.issue_refresh_tokens = True
        self.deny_logins: str | None = None
        self.base_url = ""
        self._validator = Validator(self.records)
        self._server = WebApplicationServer(
            self._validator,
            token_expires_in=lambda request: self.access_token_lifetime,
            refresh_token_generator=self._refresh_token,
        )
        self._keys: list[Any] = []
        self.rotate_keys()

    # -- what a test sets up ------------------------------------------------

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` at this provider."""
        if not self.base_url:
            raise RuntimeError("The fake provider is not running: use running_fake_provider().")
        return self.base_url + path

    def register_client(self, client_id: str, client_secret: str | None) -> None:
        """Register a client (a None secret makes a public, PKCE-only client)."""
        self.records.clients[client_id] = FakeClient(client_id, client_secret)

    def settings_for(
        self, preset: str, presets: Mapping[str, ProviderSettings] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """``OAUTH_PROVIDERS`` settings for preset ``preset``, its endpoints pointing here.

        The preset's scope, profile mapping and client authentication stay; its
        endpoints, issuer and ``api_base_url`` become this provider's, and a
        client ``<preset>-client`` / ``<preset>-secret`` is registered. OpenID
        presets (and ``openid=True`` in ``overrides``) discover this provider.

        Raises:
            ConfigurationError: The preset is an OAuth 1 one, which this fake does not speak.
        """
        known = presets or PRESETS
        base: ProviderSettings = known.get(preset, ProviderSettings())
        if base.get("version") == 1 or "request_token_url" in base:
            raise ConfigurationError(
                f"The fake provider speaks OAuth 2 only; {preset!r} is OAuth 1."
            )
        openid = bool(overrides.pop("openid", base.get("server_metadata_url")))
        client_id, secret = f"{preset}-client", f"{preset}-secret"
        public = overrides.get("token_endpoint_auth_method") == "none"
        self.register_client(client_id, None if public else secret)
        settings: dict[str, Any] = {
            "preset": preset if preset in known else None,
            "client_id": client_id,
            "authorize_url": self.url("/authorize"),
            "token_url": self.url("/token"),
            "refresh_url": self.url("/token"),
            "revoke_url": self.url("/revoke"),
            "userinfo_url": self.url("/userinfo"),
            "api_base_url": self.url("/"),
            "server_metadata_url": None,
            "issuer": None,
            "end_session_url": None,
            "userinfo_headers": {},
            "userinfo_method": "GET",
            "userinfo_token": "header",
        }
        if settings["preset"] is None:
            del settings["preset"]
        if not public:
            settings["client_secret"] = secret
        if openid:
            settings["server_metadata_url"] = self.url("/.well-known/openid-configuration")
            settings["issuer"] = self.base_url
        for key in PLACEHOLDERS:  # the preset's own URLs are replaced, but are checked too
            if any("{" + key + "}" in str(value) for value in base.values()):
                settings[key] = "fake"
        settings.update(overrides)
        return settings

    # -- what a test does to it ---------------------------------------------

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired (refresh tokens still work)."""
        for grant in self.records.access_tokens.values():
            grant.expires_at = 0.0

    def revoke_tokens(self) -> None:
        """Revoke every access and refresh token: the users must sign in again."""
        self.records.access_tokens.clear()
        self.records.refresh_tokens.clear()

    def rotate_keys(self, *, keep_old: bool = True) -> None:
        """Sign ID tokens with a new key from now on.

        Args:
            keep_old: Keep publishing the previous key in the JWKS (as providers
                do for a while after a rotation); False drops it at once.
        """
        try:
            from joserfc.jwk import RSAKey  # only the fake provider needs it
        except ImportError as exc:
            raise ConfigurationError(
                "The fake provider signs ID tokens with joserfc: "
                "pip install 'quart-oauthlib[testing]'."
            ) from exc

        new = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8)})
        self._keys = [*self._keys[-1:], new] if keep_old else [new]

    def issue_token(
        self, client_id: str, userinfo: Mapping[str, Any] | None = None, scope: str = ""
    ) -> dict[str, Any]:
        """Mint a token for ``userinfo``'s user, as a login would have (for ``login_as``)."""
        user = dict(userinfo or self.user)
        sub = str(user.setdefault("sub", user.get("id", "alice")))
        self.records.users[sub] = user
        token: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "expires_at": int(time.time()) + self.access_token_lifetime,
        }
        if scope:
            token["scope"] = scope
        grant = Grant(client_id, sub, scope.split(), time.time() + self.access_token_lifetime)
        self.records.access_tokens[token["access_token"]] = grant
        if self.issue_refresh_tokens:
            token["refresh_token"] = secrets.token_urlsafe(24)
            self.records.refresh_tokens[token["refresh_token"]] = Grant(
                client_id, sub, scope.split()
            )
        return token

    async def login(
        self, client: QuartClient, provider: str, *, next: str | None = None, **params: str
    ) -> Response:
        """Sign ``client`` in through the app's ``/login/<provider>`` route, as a browser.

        The provider approves at once as :attr:`user`; returns the app's answer
        to the callback (a redirect to ``next`` or the app's default target).
        """
        import aiohttp
        from yarl import URL

        query = {**params, **({"next": next} if next else {})}
        start = await client.get(f"/login/{provider}", query_string=query or None)
        if start.status_code not in (302, 303):
            raise AssertionError(f"/login/{provider} answered {start.status_code}, not a redirect")
        async with aiohttp.ClientSession() as http:
            async with http.get(start.headers["Location"], allow_redirects=False) as resp:
                if resp.status not in (302, 303):
                    raise AssertionError(f"The fake provider answered {resp.status}.")
                back = URL(resp.headers["Location"])
        response: Response = await client.get(back.path, query_string=dict(back.query))
        return response

    # -- the application ------------------------------------------------------

    def make_app(self) -> web.Application:
        """The ``aiohttp.web`` application serving this provider."""
        app = web.Application()
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        app.router.add_route("*", "/userinfo", self._userinfo)
        app.router.add_post("/revoke", self._revoke)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/.well-known/openid-configuration", self._metadata)
        app.router.add_route("*", "/{path:.*}", self._api)
        return app

    def _refresh_token(self, request: Any) -> str:
        return secrets.token_urlsafe(24)

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        uri = str(request.url)
        try:
            scopes, credentials = self._server.validate_authorization_request(
                uri, "GET", None, dict(request.headers)
            )
        except errors.FatalClientError as exc:
            return web.json_response({"error": exc.error}, status=exc.status_code)
        except errors.OAuth2Error as exc:
            pairs = [(key, value) for key, value in exc.twotuples if value is not None]
            raise web.HTTPFound(add_params_to_uri(exc.redirect_uri or "", pairs)) from None
        credentials.pop("request", None)
        if self.deny_logins:
            answer: list[tuple[str, str]] = [("error", self.deny_logins)]
            if credentials.get("state"):
                answer.append(("state", credentials["state"]))
            raise web.HTTPFound(add_params_to_uri(credentials["redirect_uri"], answer))
        sub = str(self.user.get("sub") or self.user.get("id") or "alice")
        self.records.users[sub] = dict(self.user, sub=sub)
        credentials["user"] = sub
        credentials["fake_nonce"] = request.query.get("nonce")
        headers, body, status = self._server.create_authorization_response(
            uri, "GET", None, dict(request.headers), scopes, credentials
        )
        return web.Response(status=status, body=body, headers=headers)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        body = await request.text()
        code = parse_qs(body).get("code", [""])[0]
        login = self.records.codes.get(code)  # read before oauthlib spends the code
        nonce = login.nonce if login is not None else None
        headers, out, status = self._server.create_token_response(
            str(request.url), "POST", body, dict(request.headers)
        )
        payload = json.loads(out or "{}")
        if status == 200:
            if not self.issue_refresh_tokens:
                payload.pop("refresh_token", None)
            grant = self.records.access_tokens.get(payload.get("access_token", ""))
            if grant is not None and login is not None and "openid" in grant.scopes:
                payload["id_token"] = self._id_token(grant, payload["access_token"], nonce)
        return web.json_response(payload, status=status, headers=_without_type(headers))

    def _id_token(self, grant: Grant, access_token: str, nonce: str | None) -> str:
        from joserfc import jwt

        now = int(time.time())
        user = self.records.users.get(grant.user, {})
        claims: dict[str, Any] = {
            key: value for key, value in user.items() if key not in ("id", "login")
        }
        digest = hashlib.sha256(access_token.encode()).digest()
        claims.update(
            iss=self.base_url,
            sub=grant.user,
            aud=grant.client_id,
            iat=now,
            exp=now + 300,
            auth_time=now,
            at_hash=base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode(),
        )
        if nonce:
            claims["nonce"] = nonce
        key = self._keys[-1]
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    async def _userinfo(self, request: web.Request) -> web.StreamResponse:
        user = await self._bearer_user(request)
        if user is None:
            return _invalid_token()
        return web.json_response(user)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        user = await self._bearer_user(request)
        if user is None:
            return _invalid_token()
        return web.json_response({**user, "path": request.path, "method": request.method})

    async def _bearer_user(self, request: web.Request) -> dict[str, Any] | None:
        body = await request.text() if request.method != "GET" else None
        valid, oauth_request = self._server.verify_request(
            str(request.url),
            request.method,  # type: ignore[arg-type]  # aiohttp's is a str
            body or None,
            dict(request.headers),
            scopes=[],
        )
        if not valid:
            return None
        return dict(self.records.users.get(str(oauth_request.user), {"sub": oauth_request.user}))

    async def _revoke(self, request: web.Request) -> web.StreamResponse:
        headers, out, status = self._server.create_revocation_response(
            str(request.url), "POST", await request.text(), dict(request.headers)
        )
        return web.Response(status=status, text=out or "", headers=_without_type(headers))

    async def _jwks(self, request: web.Request) -> web.StreamResponse:
        keys = [key.as_dict(private=False) | {"use": "sig", "alg": "RS256"} for key in self._keys]
        return web.json_response({"keys": keys})

    async def _metadata(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "issuer": self.base_url,
                "authorization_endpoint": self.url("/authorize"),
                "token_endpoint": self.url("/token"),
                "userinfo_endpoint": self.url("/userinfo"),
                "revocation_endpoint": self.url("/revoke"),
                "jwks_uri": self.url("/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile", "offline_access"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "code_challenge_methods_supported": ["S256", "plain"],
            }
        )


def _invalid_token() -> web.Response:
    return web.json_response(
        {"error": "invalid_token"},
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _without_type(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() != "content-type"}


@contextmanager
def _quiet_oauthlib() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _SERVER_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@asynccontextmanager
async def running_fake_provider(
    provider: FakeProvider | None = None,
) -> AsyncIterator[FakeProvider]:
    """Serve ``provider`` (a new one by default) on a free port of 127.0.0.1."""
    provider = provider or FakeProvider()
    runner = web.AppRunner(provider.make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None  # noqa: S101 -- started just above
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    provider.base_url = f"http://127.0.0.1:{port}"
    try:
        with _quiet_oauthlib():
            yield provider
    finally:
        provider.base_url = ""
        await runner.cleanup()

"""A small provider for native-app logins: discovery, loopback authorization with PKCE,
RFC 8628 device flow, refresh, RFC 8693 token exchange, RFC 7591 registration, userinfo.

Each endpoint checks the parameters the RFCs require and records the forms it
got, so that tests can assert on what the client really sent. The device flow
answers from a script (``device_script``) so that a test chooses the order of
``authorization_pending``, ``slow_down`` and the final answer.

Endpoints: ``GET /.well-known/openid-configuration``, ``GET /authorize``,
``POST /device``, ``POST /token``, ``GET /userinfo``, ``POST /register``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDict
from yarl import URL

from tests.fake_provider.oauth2_store import basic_credentials
from tests.fake_provider.serving import TLS, serve

__all__ = ["NativeProvider", "running_native_provider"]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


@dataclass
class NativeProvider:
    """The provider's state; ``issuer`` is its base URL once served."""

    client_id: str = "cli-client"
    client_secret: str | None = None  # None: a public client
    issuer: str = ""
    access_token_lifetime: int = 3600
    #: Answers to the device-code polls, in order: an error code, "ok" (the token), or
    #: "drop" (the connection closes without an answer).
    device_script: list[str] = field(default_factory=lambda: ["ok"])
    device_interval: int | None = 1
    initial_access_token: str | None = None
    forms: list[MultiDict[str]] = field(default_factory=list)
    registrations: list[dict[str, Any]] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> challenge, uri
    device_codes: set[str] = field(default_factory=set)
    fail_refresh_with: str | None = None
    send_iss: bool = False  # RFC 9207: iss in authorization responses, and say so
    _request: web.Request | None = None

    def url(self, path: str) -> str:
        return self.issuer + path

    def issue_access_token(self) -> str:
        """Mint an access token directly (a subject token for exchange tests)."""
        token = secrets.token_urlsafe(16)
        self.access_tokens.add(token)
        return token

    def grants(self, grant_type: str) -> list[MultiDict[str]]:
        return [form for form in self.forms if form.get("grant_type") == grant_type]

    @property
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._metadata)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/device", self._device)
        app.router.add_post("/token", self._token)
        app.router.add_get("/userinfo", self._userinfo)
        app.router.add_post("/register", self._register)
        return app

    # -- endpoints -------------------------------------------------------------------------

    async def _metadata(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.url("/authorize"),
                "token_endpoint": self.url("/token"),
                "device_authorization_endpoint": self.url("/device"),
                "userinfo_endpoint": self.url("/userinfo"),
                "registration_endpoint": self.url("/register"),
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
                "authorization_response_iss_parameter_supported": self.send_iss,
            }
        )

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        redirect_uri = query.get("redirect_uri", "")
        target = URL(redirect_uri)
        if (
            query.get("client_id") != self.client_id
            or target.scheme != "http"
            or target.host != "127.0.0.1"
        ):
            return web.json_response({"error": "invalid_request"}, status=400)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            params = {"error": "invalid_request", "state": query.get("state", "")}
            raise web.HTTPFound(target.update_query(params))
        code = secrets.token_urlsafe(16)
        self.codes[code] = (query["code_challenge"], redirect_uri)
        answer = {"code": code, "state": query.get("state", "")}
        if self.send_iss:
            answer["iss"] = self.issuer
        raise web.HTTPFound(target.update_query(answer))

    async def _device(self, request: web.Request) -> web.Response:
        form = await self._form(request)
        if not self._client_ok(request, form):
            return web.json_response({"error": "invalid_client"}, status=401)
        device_code = secrets.token_urlsafe(16)
        self.device_codes.add(device_code)
        answer: dict[str, Any] = {
            "device_code": device_code,
            "user_code": "WDJB-MJHT",
            "verification_uri": self.url("/activate"),
            "verification_uri_complete": self.url("/activate?user_code=WDJB-MJHT"),
            "expires_in": 600,
        }
        if self.device_interval is not None:
            answer["interval"] = self.device_interval
        return web.json_response(answer)

    async def _token(self, request: web.Request) -> web.Response:
        self._request = request
        form = await self._form(request)
        if not self._client_ok(request, form):
            return web.json_response({"error": "invalid_client"}, status=401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._code_grant(form)
        if grant_type == DEVICE_GRANT:
            return self._device_grant(form)
        if grant_type == "refresh_token":
            return self._refresh_grant(form)
        if grant_type == EXCHANGE_GRANT:
            return self._exchange_grant(form)
        return _error("unsupported_grant_type")

    async def _userinfo(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.access_tokens:
            return web.json_response({"error": "invalid_token"}, status=401)
        return web.json_response({"sub": "user-1", "name": "Ada Lovelace"})

    async def _register(self, request: web.Request) -> web.Response:
        if self.initial_access_token is not None:
            if request.headers.get("Authorization") != f"Bearer {self.initial_access_token}":
                return web.json_response({"error": "invalid_token"}, status=401)
        if request.content_type != "application/json":
            return _error("invalid_client_metadata", "Not JSON.")
        metadata = await request.json()
        self.registrations.append(metadata)
        uris = metadata.get("redirect_uris")
        if not isinstance(uris, list) or not all(
            isinstance(u, str) and u.startswith(("https://", "http://127.0.0.1")) for u in uris
        ):
            return _error("invalid_redirect_uri", "redirect_uris must be https or loopback.")
        answer = {
            **metadata,
            "client_id": "registered-" + secrets.token_hex(4),
            "client_id_issued_at": 1_700_000_000,
        }
        if metadata.get("token_endpoint_auth_method", "client_secret_basic") != "none":
            answer["client_secret"] = "registered-secret-" + secrets.token_hex(8)
            answer["client_secret_expires_at"] = 0
        answer["registration_access_token"] = "reg-token-" + secrets.token_hex(8)
        return web.json_response(answer, status=201)

    # -- grants ----------------------------------------------------------------------------

    def _code_grant(self, form: MultiDict[str]) -> web.Response:
        entry = self.codes.pop(form.get("code", ""), None)
        if entry is None:
            return _error("invalid_grant")
        challenge, redirect_uri = entry
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
            return _error("invalid_grant", "PKCE verification failed.")
        if form.get("redirect_uri") != redirect_uri:
            return _error("invalid_grant", "redirect_uri differs.")
        return self._issue(form.get("scope"))

    def _device_grant(self, form: MultiDict[str]) -> web.Response:
        if form.get("device_code") not in self.device_codes:
            return _error("invalid_grant")
        step = self.device_script.pop(0) if self.device_script else "expired_token"
        if step == "drop":  # the connection breaks before any answer
            assert self._request is not None and self._request.transport is not None
            self._request.transport.close()
            return web.Response(status=500)
        if step == "ok":
            return self._issue("openid")
        return _error(step)

    def _refresh_grant(self, form: MultiDict[str]) -> web.Response:
        if self.fail_refresh_with is not None:
            return _error(self.fail_refresh_with)
        refresh = form.get("refresh_token", "")
        if not self.refresh_tokens.get(refresh):
            return _error("invalid_grant")
        self.refresh_tokens[refresh] = False  # rotated
        return self._issue(form.get("scope"))

    def _exchange_grant(self, form: MultiDict[str]) -> web.Response:
        if form.get("subject_token") not in self.access_tokens:
            return _error("invalid_grant", "Unknown subject token.")
        if form.get("subject_token_type") != ACCESS_TOKEN_TYPE:
            return _error("invalid_request", "Unsupported subject_token_type.")
        if "actor_token" in form and "actor_token_type" not in form:
            return _error("invalid_request", "actor_token_type missing.")
        if any(not r.startswith("https://") for r in form.getall("resource", [])):
            return _error("invalid_target")
        token = secrets.token_urlsafe(16)
        return web.json_response(
            {
                "access_token": token,
                "issued_token_type": ACCESS_TOKEN_TYPE,
                "token_type": "Bearer",
                "expires_in": 60,
            },
            headers={"Cache-Control": "no-store"},
        )

    def _issue(self, scope: str | None) -> web.Response:
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.access_tokens.add(access)
        self.refresh_tokens[refresh] = True
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_token_lifetime,
            "refresh_token": refresh,
        }
        if scope:
            answer["scope"] = scope
        return web.json_response(answer, headers={"Cache-Control": "no-store"})

    # -- helpers ---------------------------------------------------------------------------

    async def _form(self, request: web.Request) -> MultiDict[str]:
        posted = await request.post()
        form: MultiDict[str] = MultiDict((k, v) for k, v in posted.items() if isinstance(v, str))
        self.forms.append(form)
        return form

    def _client_ok(self, request: web.Request, form: MultiDict[str]) -> bool:
        basic = basic_credentials(request.headers)
        if basic is not None:
            return basic == (self.client_id, self.client_secret)
        if self.client_secret is not None:
            return form.get("client_secret") == self.client_secret
        return form.get("client_id") == self.client_id


def _error(error: str, description: str | None = None) -> web.Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    status = 401 if error == "invalid_client" else 400
    return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})


@asynccontextmanager
async def running_native_provider(tls: TLS, **kwargs: Any) -> AsyncIterator[NativeProvider]:
    """Serve a new :class:`NativeProvider` over TLS on 127.0.0.1."""
    provider = NativeProvider(**kwargs)
    async with serve(provider.app, tls) as base_url:
        provider.issuer = str(base_url)
        yield provider

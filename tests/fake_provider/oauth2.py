"""A real OAuth 2 authorization and resource server for the test-suite.

oauthlib's server side (:class:`oauthlib.oauth2.Server` with the validator in
:mod:`tests.fake_provider.oauth2_validator`) verifies grants, client authentication, PKCE,
refresh rotation and bearer tokens; this module only adapts it to ``aiohttp.web`` and adds
counters and :class:`Quirks` for edge-case tests.

Endpoints: ``GET /authorize``, ``GET|POST /token``, ``GET|POST /api/user``, ``POST /revoke``,
``POST /introspect``, ``* /redirect?to=<url>&status=302`` and ``* /echo-headers``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import Server
from oauthlib.oauth2.rfc6749 import errors
from yarl import URL

from tests.fake_provider.oauth2_store import (
    AccessToken,
    Client,
    RefreshToken,
    Store,
    client_auth_method,
    peer_names,
)
from tests.fake_provider.oauth2_validator import Validator
from tests.fake_provider.serving import TLS, serve

__all__ = ["Client", "OAuth2Provider", "Quirks", "quiet_server_logs", "running_provider"]

# oauthlib's server side logs tokens and secrets at DEBUG; they are the provider's, not the
# client's, so they must not reach the tests' caplog (which checks the client logs no secret).
SERVER_LOGGERS = (
    "oauthlib.oauth2.rfc6749.endpoints",
    "oauthlib.oauth2.rfc6749.grant_types",
    "oauthlib.oauth2.rfc8628",
    "oauthlib.openid",
)

_ERROR_STATUS = {"server_error": 500, "temporarily_unavailable": 503, "invalid_client": 401}


@dataclass
class Quirks:
    """Misbehaviours of the token endpoint, all off by default. Mutable during a test.

    ``scope_override``, ``missing_access_token`` and ``token_type`` change successful token
    answers only; the others apply to every token-endpoint answer.
    """

    scope_override: str | None = None  # token answer reports this scope string
    token_as_form: bool = False  # answer application/x-www-form-urlencoded instead of JSON
    html_error_status: int | None = None  # answer this status with an HTML page
    missing_access_token: bool = False  # drop access_token from the answer
    token_type: str | None = None  # report this token_type
    huge_body_bytes: int | None = None  # pad the answer to at least this many bytes
    slow_drip_seconds: float | None = None  # send the body a byte at a time, sleeping this long
    redirect_token_endpoint_to: str | None = None  # answer 307 to this URL
    fail_refresh_with: str | None = None  # answer refresh grants with this error code
    refresh_delay_seconds: float = 0.0  # sleep before handling refresh grants
    allow_query_in_post: bool = False  # accept POST parameters in the query (oauthlib refuses)


def _default_clients() -> list[Client]:
    callbacks = ["https://127.0.0.1/callback", "http://127.0.0.1/callback"]
    return [
        Client("web-client", "web-secret", list(callbacks)),
        Client("public-client", None, list(callbacks)),
        Client("mtls-client", None, list(callbacks), cert_subject="mtls-client"),
    ]


class OAuth2Provider:
    """In-memory OAuth 2 provider; serve :attr:`app` (see :func:`running_provider`)."""

    def __init__(
        self,
        *,
        access_token_lifetime: int = 3600,
        rotate_refresh_tokens: bool = True,
        revoke_family_on_reuse: bool = True,
        require_pkce: bool = False,
        users: dict[str, str] | None = None,
        clients: list[Client] | None = None,
        allowed_scopes: Collection[str] | None = None,
    ) -> None:
        self.access_token_lifetime = access_token_lifetime
        self.store = Store(
            clients={c.client_id: c for c in clients or _default_clients()},
            users=dict(users if users is not None else {"alice": "wonderland"}),
            rotate_refresh_tokens=rotate_refresh_tokens,
            revoke_family_on_reuse=revoke_family_on_reuse,
            require_pkce=require_pkce,
            allowed_scopes=allowed_scopes,
        )
        self.validator = Validator(self.store)
        self._server = Server(self.validator, token_expires_in=access_token_lifetime)
        # A second instance so that only the token endpoint also accepts GET.
        self._token_server = Server(self.validator, token_expires_in=access_token_lifetime)
        # the stubs type this as the class default, ("POST",)
        self._token_server.valid_request_methods = ("GET", "POST")  # type: ignore[assignment]
        self.quirks = Quirks()
        self.grant_counts: collections.Counter[str] = collections.Counter()
        self.token_requests: list[dict[str, Any]] = []
        self.resource_requests = 0
        self._app: web.Application | None = None

    # --- test helpers --------------------------------------------------------------------

    @property
    def base_url(self) -> URL:
        if self.store.base_url is None:
            raise RuntimeError("the provider is not being served")
        return self.store.base_url

    @base_url.setter
    def base_url(self, value: URL) -> None:
        self.store.base_url = value

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` (which starts with ``/`` and may carry a query)."""
        return f"{self.base_url}{path}"

    @property
    def clients(self) -> dict[str, Client]:
        return self.store.clients

    def issue_token(
        self,
        *,
        user: str | None = "alice",
        client_id: str = "web-client",
        scope: Iterable[str] = ("read",),
        expires_in: int | None = None,
        refresh: bool = True,
    ) -> dict[str, Any]:
        """Mint a token directly; return the answer a client would have received."""
        lifetime = self.access_token_lifetime if expires_in is None else expires_in
        scopes, family = list(scope), self.store.new_family()
        token: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": " ".join(scopes),
        }
        self.store.access_tokens[token["access_token"]] = AccessToken(
            token["access_token"], client_id, user, scopes, family, time.time() + lifetime
        )
        if refresh:
            token["refresh_token"] = secrets.token_urlsafe(24)
            self.store.refresh_tokens[token["refresh_token"]] = RefreshToken(
                token["refresh_token"], client_id, user, scopes, family
            )
        return token

    def expire_all_access_tokens(self) -> None:
        for access in self.store.access_tokens.values():
            access.expires_at = 0.0

    def is_active(self, token: str) -> bool:
        """Whether an access or refresh token would still be accepted."""
        if self.store.active_access(token) is not None:
            return True
        refresh = self.store.refresh_tokens.get(token)
        return refresh is not None and not (refresh.used or refresh.revoked)

    # --- the application -----------------------------------------------------------------

    @property
    def app(self) -> web.Application:
        if self._app is None:
            app = web.Application()
            app.router.add_get("/authorize", self._authorize)
            app.router.add_route("*", "/token", self._token)
            app.router.add_route("*", "/api/user", self._user)
            app.router.add_post("/revoke", self._revoke)
            app.router.add_post("/introspect", self._introspect)
            app.router.add_route("*", "/redirect", _redirect)
            app.router.add_route("*", "/echo-headers", _echo_headers)
            self._app = app
        return self._app

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        uri, headers = str(request.url), dict(request.headers)
        try:
            scopes, credentials = self._server.validate_authorization_request(
                uri, "GET", None, headers
            )
        except errors.FatalClientError as e:
            return _oauthlib_response({}, e.json, e.status_code)
        except errors.OAuth2Error as e:
            fragment = request.query.get("response_type") == "token"
            raise web.HTTPFound(_with_error(e.redirect_uri or "", e, fragment)) from None
        credentials.pop("request", None)
        if request.query.get("deny"):
            denied = errors.AccessDeniedError(state=credentials.get("state"))
            fragment = credentials.get("response_type") == "token"
            raise web.HTTPFound(_with_error(credentials["redirect_uri"], denied, fragment))
        credentials["user"] = request.query.get("user", "alice")
        out_headers, body, status = self._server.create_authorization_response(
            uri, "GET", None, headers, scopes, credentials
        )
        return _oauthlib_response(out_headers, body, status)

    async def _token(self, request: web.Request) -> web.StreamResponse:
        body = await request.text() if request.method != "GET" else ""
        params = dict(parse_qsl(body)) | dict(request.query)
        grant_type = params.get("grant_type", "")
        method, client_id = client_auth_method(
            request.headers, dict(params), self.store.clients, _peer_names(request)
        )
        self.grant_counts[grant_type] += 1
        record: dict[str, Any] = {
            "grant_type": grant_type,
            "client_auth": method,
            "client_id": client_id,
            "method": request.method,
            "fields": sorted(params),  # the names only: the values hold secrets
            "status": None,
        }
        self.token_requests.append(record)
        response = await self._token_answer(request, body, grant_type)
        record["status"] = response.status
        return response

    async def _token_answer(
        self, request: web.Request, body: str, grant_type: str
    ) -> web.StreamResponse:
        quirks = self.quirks
        if quirks.redirect_token_endpoint_to is not None:
            return web.Response(status=307, headers={"Location": quirks.redirect_token_endpoint_to})
        if quirks.html_error_status is not None:
            page = "<html><body><h1>Something went wrong</h1></body></html>"
            return web.Response(
                status=quirks.html_error_status, text=page, content_type="text/html"
            )
        if grant_type == "refresh_token":
            await asyncio.sleep(quirks.refresh_delay_seconds)
            if quirks.fail_refresh_with is not None:
                error = quirks.fail_refresh_with
                payload = {"error": error, "error_description": "refresh refused by quirk"}
                return await self._send_token_body(request, payload, _ERROR_STATUS.get(error, 400))
        uri = request.url
        if quirks.allow_query_in_post and request.method == "POST" and uri.query_string:
            body = urlencode([*uri.query.items(), *parse_qsl(body)])
            uri = uri.with_query(None)
        headers, out, status = _call_oauthlib(
            self._token_server.create_token_response, request, str(uri), body
        )
        payload = json.loads(out)
        if status == 200:
            self._apply_success_quirks(payload)
        return await self._send_token_body(request, payload, status, headers)

    def _apply_success_quirks(self, payload: dict[str, Any]) -> None:
        if self.quirks.missing_access_token:
            payload.pop("access_token", None)
        if self.quirks.token_type is not None:
            payload["token_type"] = self.quirks.token_type
        if self.quirks.scope_override is not None:
            payload["scope"] = self.quirks.scope_override

    async def _send_token_body(
        self,
        request: web.Request,
        payload: dict[str, Any],
        status: int,
        headers: dict[str, str] | None = None,
    ) -> web.StreamResponse:
        out_headers = {"Cache-Control": "no-store", "Pragma": "no-cache"} | dict(headers or {})
        if self.quirks.huge_body_bytes:
            payload["padding"] = "x" * self.quirks.huge_body_bytes
        if self.quirks.token_as_form:
            data = urlencode(payload).encode()
            out_headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(payload).encode()
            out_headers["Content-Type"] = "application/json"
        if self.quirks.slow_drip_seconds is None:
            return web.Response(status=status, body=data, headers=out_headers)
        return await _drip(request, status, data, out_headers, self.quirks.slow_drip_seconds)

    async def _user(self, request: web.Request) -> web.StreamResponse:
        self.resource_requests += 1
        body = await request.text() if request.method != "GET" else None
        valid, oauth_request = self._server.verify_request(
            str(request.url), _method(request), body or None, dict(request.headers), scopes=[]
        )
        if not valid:
            return web.json_response(
                {"error": "invalid_token"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        user = oauth_request.user
        return web.json_response(
            {
                "sub": user or oauth_request.client_id,
                "name": user.title() if user else None,
                "client_id": oauth_request.client_id,
                "scope": list(oauth_request.scopes or []),
            }
        )

    async def _revoke(self, request: web.Request) -> web.StreamResponse:
        return await self._client_endpoint(request, self._server.create_revocation_response)

    async def _introspect(self, request: web.Request) -> web.StreamResponse:
        return await self._client_endpoint(request, self._server.create_introspect_response)

    async def _client_endpoint(self, request: web.Request, create: Any) -> web.StreamResponse:
        body = await request.text()
        headers, out, status = _call_oauthlib(create, request, str(request.url), body)
        return _oauthlib_response(headers, out, status)


def _call_oauthlib(
    create: Any, request: web.Request, uri: str, body: str
) -> tuple[dict[str, str], str, int]:
    """Run an oauthlib endpoint with the request's TLS peer names; errors become answers."""
    token = peer_names.set(_peer_names(request))
    try:
        headers, out, status = create(uri, _method(request), body or None, dict(request.headers))
    except errors.OAuth2Error as e:  # endpoint-level checks raise instead of answering
        headers = {"Content-Type": "application/json", **e.headers}
        return headers, e.json, e.status_code
    finally:
        peer_names.reset(token)
    return headers, out, status


def _method(request: web.Request) -> Any:
    """The request method, for oauthlib (whose stubs want a Literal of the standard ones)."""
    return request.method


def _with_error(uri: str, error: errors.OAuth2Error, fragment: bool) -> str:
    pairs = [(key, value) for key, value in error.twotuples if value is not None]
    return add_params_to_uri(uri, pairs, fragment=fragment)


def _oauthlib_response(headers: dict[str, str], body: str | None, status: int) -> web.Response:
    return web.Response(status=status, headers=headers, text=body)


def _peer_names(request: web.Request) -> frozenset[str]:
    """Subject CN and DNS subjectAltNames of the verified TLS client certificate, if any."""
    cert = request.transport.get_extra_info("peercert") if request.transport else None
    if not cert:
        return frozenset()
    names = {value for rdn in cert.get("subject", ()) for key, value in rdn if key == "commonName"}
    names.update(value for key, value in cert.get("subjectAltName", ()) if key == "DNS")
    return frozenset(names)


async def _drip(
    request: web.Request, status: int, data: bytes, headers: dict[str, str], delay: float
) -> web.StreamResponse:
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = len(data)
    await response.prepare(request)
    try:
        for i in range(len(data)):
            await response.write(data[i : i + 1])
            await asyncio.sleep(delay)
        await response.write_eof()
    except ConnectionError:
        pass  # the client gave up, which is what these tests expect
    return response


async def _redirect(request: web.Request) -> web.StreamResponse:
    status = int(request.query.get("status", "302"))
    return web.Response(status=status, headers={"Location": request.query["to"]})


async def _echo_headers(request: web.Request) -> web.StreamResponse:
    """The request headers as a JSON object (repeated headers joined with ``, ``)."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return web.json_response(headers, headers={"X-Request-Method": request.method})


@contextmanager
def quiet_server_logs() -> Iterator[None]:
    """Keep oauthlib's server-side log records (full of tokens) from reaching the root logger."""
    # A level on these loggers (their children inherit it) stops the records
    # from being made at all, whatever handlers the test runner attaches.
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, saved, strict=True):
            logger.setLevel(level)


@asynccontextmanager
async def running_provider(tls: TLS, **kwargs: Any) -> AsyncIterator[OAuth2Provider]:
    """Serve a new :class:`OAuth2Provider` (built from ``kwargs``) over TLS on 127.0.0.1.

    While it runs, oauthlib's server-side loggers do not propagate (see :func:`quiet_server_logs`).
    """
    provider = OAuth2Provider(**kwargs)
    with quiet_server_logs():
        async with serve(provider.app, tls) as base_url:
            provider.base_url = base_url
            yield provider

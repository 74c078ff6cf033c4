"""A small OpenID provider for the OIDC tests: discovery, JWKS, token, userinfo, revoke, introspect.

It signs real JWTs with RS256 and ES256 keys generated here with joserfc, counts the requests
each endpoint gets, and lets a test rotate its keys, change its metadata, or mint tokens that
are wrong in exactly one way.

Endpoints: ``GET /.well-known/openid-configuration`` (and RFC 8414's
``oauth-authorization-server``), ``GET /jwks``, ``POST /token``,
``GET /userinfo``, ``POST /revoke``, ``POST /introspect``.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey

from quart_oauthlib.client.oidc import token_hash
from tests.fake_provider.serving import TLS, serve

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "OpenIDProvider", "b64url", "running_oidc_provider"]

CLIENT_ID = "oidc-client"
CLIENT_SECRET = "oidc-client-secret-0123456789"
SigningKey = RSAKey | ECKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class OpenIDProvider:
    """The provider's state. ``issuer`` is its base URL once it is served."""

    def __init__(self) -> None:
        self.issuer = ""
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"})
        self.keys: list[SigningKey] = [self.rsa, self.ec]
        self.calls: collections.Counter[str] = collections.Counter()
        self.metadata_overrides: dict[str, Any] = {}
        self.metadata_body: bytes | None = None  # served instead of the metadata when set
        self.metadata_delay = 0.0
        self.userinfo_sub: str | None = None  # None: the ID tokens' sub
        self.sub = "user-42"
        self.codes: dict[str, str | None] = {}  # code -> nonce
        self.access_tokens: set[str] = set()
        self.revoked: list[tuple[str, str | None]] = []
        self.last_auth: str | None = None
        self.jwks_answer: Any = None  # served instead of the key set when set
        self.jwks_status = 200
        self.introspection_answer: Any = None  # served instead of the real answer when set
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/.well-known/openid-configuration", self._metadata),
                web.get("/.well-known/oauth-authorization-server", self._metadata),  # RFC 8414
                web.get("/jwks", self._jwks),
                web.post("/token", self._token),
                web.get("/userinfo", self._userinfo),
                web.post("/revoke", self._revoke),
                web.post("/introspect", self._introspect),
            ]
        )

    # -- minting ---------------------------------------------------------

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        base = self.issuer
        document: dict[str, Any] = {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/logout",
            "revocation_endpoint": f"{base}/revoke",
            "introspection_endpoint": f"{base}/introspect",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "HS256"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
        document.update(self.metadata_overrides)
        return document

    def claims(self, **changes: Any) -> dict[str, Any]:
        """Good claims for CLIENT_ID; a change to None removes the claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.sub,
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": "n-0S6_WzA2Mj",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | OctKey | None = None,
        alg: str = "RS256",
        kid: str | None = "default",
    ) -> str:
        """A compact JWS of ``claims``; ``kid="default"`` means the signing key's own."""
        if key is None:
            key = self.rsa if alg[:2] in {"RS", "PS"} else self.ec
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        if kid == "default":
            kid = key.kid
        if kid is not None:
            header["kid"] = kid
        payload = json.dumps(claims).encode()
        return jws.serialize_compact(header, payload, key, algorithms=[alg])

    def rotate(self) -> RSAKey:
        """Replace the RSA key with a new one under a new kid; the old one is gone."""
        new = RSAKey.generate_key(2048, parameters={"kid": f"rsa-{secrets.token_hex(4)}"})
        self.keys = [k for k in self.keys if k is not self.rsa] + [new]
        self.rsa = new
        return new

    def issue_code(self, nonce: str | None) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = nonce
        return code

    # -- endpoints -------------------------------------------------------

    async def _metadata(self, request: web.Request) -> web.Response:
        self.calls["metadata"] += 1
        await asyncio.sleep(self.metadata_delay)
        if self.metadata_body is not None:
            return web.Response(body=self.metadata_body, content_type="text/html")
        return web.json_response(self.metadata())

    async def _jwks(self, request: web.Request) -> web.Response:
        self.calls["jwks"] += 1
        if self.jwks_status != 200:
            return web.Response(status=self.jwks_status, text="down")
        if self.jwks_answer is not None:
            return web.json_response(self.jwks_answer)
        return web.json_response({"keys": [k.as_dict(private=False) for k in self.keys]})

    async def _token(self, request: web.Request) -> web.Response:
        self.calls["token"] += 1
        form = await request.post()
        code = str(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or code not in self.codes:
            return web.json_response({"error": "invalid_grant"}, status=400)
        nonce = self.codes.pop(code)
        access_token = secrets.token_urlsafe(24)
        self.access_tokens.add(access_token)
        claims = self.claims(nonce=nonce, at_hash=token_hash(access_token, "RS256"))
        return web.json_response(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": self.sign(claims),
            }
        )

    async def _userinfo(self, request: web.Request) -> web.Response:
        self.calls["userinfo"] += 1
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return web.json_response(
                {"error": "invalid_token"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        sub = self.userinfo_sub if self.userinfo_sub is not None else self.sub
        return web.json_response({"sub": sub, "email": "ada@example.test"})

    def _client_ok(self, request: web.Request) -> bool:
        self.last_auth = request.headers.get("Authorization")
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return self.last_auth == expected

    async def _revoke(self, request: web.Request) -> web.Response:
        self.calls["revoke"] += 1
        if not self._client_ok(request):
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        hint = form.get("token_type_hint")
        if hint not in (None, "access_token", "refresh_token"):
            return web.json_response({"error": "unsupported_token_type"}, status=400)
        token = str(form["token"])
        self.access_tokens.discard(token)
        self.revoked.append((token, None if hint is None else str(hint)))
        return web.Response(status=200)

    async def _introspect(self, request: web.Request) -> web.Response:
        self.calls["introspect"] += 1
        if not self._client_ok(request):
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        if self.introspection_answer is not None:
            return web.json_response(self.introspection_answer)
        if form.get("token") not in self.access_tokens:
            return web.json_response({"active": False})
        return web.json_response(
            {"active": True, "client_id": CLIENT_ID, "sub": self.sub, "scope": "openid"}
        )


@asynccontextmanager
async def running_oidc_provider(tls: TLS) -> AsyncIterator[OpenIDProvider]:
    """Serve a new :class:`OpenIDProvider` over TLS on 127.0.0.1."""
    provider = OpenIDProvider()
    async with serve(provider.app, tls) as base_url:
        provider.issuer = str(base_url)
        yield provider

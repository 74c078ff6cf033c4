"""Client authentication, DPoP and PAR on real local servers (no peer needed).

The proofs and assertions are checked with joserfc, as a provider would; the
nonce dances run against an aiohttp server on 127.0.0.1 over TLS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from joserfc import jws, jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, JWKRegistry, OctKey, OKPKey, RSAKey
from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from yarl import URL

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.client_auth import CLIENT_ASSERTION_TYPE, ClientAuthentication
from quart_oauthlib.client.dpop import DPoPKey, access_token_hash
from quart_oauthlib.client.jose_keys import load_private_key
from quart_oauthlib.errors import (
    ConfigurationError,
    DPoPError,
    PushedAuthorizationError,
    PushedAuthorizationRateLimited,
)
from tests.fake_provider.serving import TLS, serve

ISSUER = "https://as.example"


def verify_proof(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a DPoP proof as a server does: with the public key in its own header."""
    segment = proof.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    assert header["typ"] == "dpop+jwt"
    assert "d" not in header["jwk"]
    key = JWKRegistry.import_key(header["jwk"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)  # joserfc's note on the name EdDSA
        registry = jws.JWSRegistry(algorithms=[header["alg"]])
        registry.max_header_length = 4096  # an RSA key in the header is larger than the default
        token = jwt.decode(proof, key, algorithms=[header["alg"]], registry=registry)
    return dict(token.header), dict(token.claims)


# -- DPoP proofs ----------------------------------------------------------


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: None,
        lambda: OKPKey.generate_key("Ed25519", private=True),
        lambda: RSAKey.generate_key(2048, private=True),
    ],
    ids=["ES256", "EdDSA", "PS256"],
)
def test_a_dpop_proof_says_what_rfc_9449_asks(make_key: Any) -> None:
    key = DPoPKey(make_key())
    proof = key.proof(
        "get", "https://rs.example/api/me?x=1#frag", access_token="at-123", nonce="n1"
    )
    header, claims = verify_proof(proof)
    assert (
        header["alg"]
        == key.alg
        == {"EC": "ES256", "OKP": "EdDSA", "RSA": "PS256"}[header["jwk"]["kty"]]
    )
    assert claims["htm"] == "GET"
    assert claims["htu"] == "https://rs.example/api/me"
    assert claims["ath"] == access_token_hash("at-123")
    expected = base64.urlsafe_b64encode(hashlib.sha256(b"at-123").digest()).rstrip(b"=").decode()
    assert claims["ath"] == expected
    assert claims["nonce"] == "n1"
    assert abs(claims["iat"] - time.time()) < 5
    other = verify_proof(key.proof("GET", "https://rs.example/api/me"))[1]
    assert other["jti"] != claims["jti"]
    assert "ath" not in other and "nonce" not in other


def test_the_thumbprint_is_rfc_7638s() -> None:
    key = DPoPKey()
    assert key.thumbprint == key.key.thumbprint()
    public = ECKey.import_key(verify_proof(key.proof("GET", "https://a.example/"))[0]["jwk"])
    assert public.thumbprint() == key.thumbprint


def test_nonces_are_remembered_per_origin() -> None:
    key = DPoPKey()
    key.remember_nonce("https://as.example/token", "n-as")
    assert key.nonce_for("https://as.example/other?q") == "n-as"
    assert key.nonce_for("https://rs.example/") is None
    _, claims = verify_proof(key.proof("POST", "https://as.example/token"))
    assert claims["nonce"] == "n-as"


def test_symmetric_or_public_dpop_keys_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        DPoPKey(OctKey.generate_key(256))
    public = ECKey.generate_key("P-256", private=True).as_dict(private=False)
    with pytest.raises(ConfigurationError, match="private"):
        DPoPKey(public)
    with pytest.raises(ConfigurationError, match="alg"):
        DPoPKey(alg="HS256")


# -- client assertions ----------------------------------------------------


def test_private_key_jwt_assertion() -> None:
    private = ECKey.generate_key("P-256", {"kid": "k1"}, private=True)
    auth = ClientAuthentication(
        "private_key_jwt", "client-1", client_jwk=private.as_dict(private=True), issuer=ISSUER
    )
    form: dict[str, str] = {"grant_type": "client_credentials", "client_secret": "stale"}
    headers: dict[str, str] = {"Authorization": "Basic stale"}
    auth.apply("https://as.example/token", form, headers)
    assert "Authorization" not in headers and "client_secret" not in form
    assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
    assert form["client_id"] == "client-1"
    token = jwt.decode(form["client_assertion"], private, algorithms=["ES256"])
    assert token.header["kid"] == "k1"
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "client-1"
    assert claims["aud"] == ISSUER  # one string, the issuer (FAPI 2.0)
    assert claims["exp"] - claims["iat"] == 60
    auth.apply("https://as.example/token", form, headers)
    again = jwt.decode(form["client_assertion"], private, algorithms=["ES256"]).claims
    assert again["jti"] != claims["jti"]


def test_client_secret_jwt_assertion_falls_back_to_the_endpoint_as_audience() -> None:
    secret = "s" * 40
    auth = ClientAuthentication("client_secret_jwt", "client-1", client_secret=secret)
    form: dict[str, str] = {}
    auth.apply("https://as.example/token", form, {})
    key = OctKey.import_key(secret.encode())
    claims = jwt.decode(form["client_assertion"], key, algorithms=["HS256"]).claims
    assert claims["aud"] == "https://as.example/token"
    assert "client_secret" not in form


@pytest.mark.parametrize(
    ("method", "form_keys", "basic"),
    [
        ("client_secret_basic", set(), True),
        ("client_secret_post", {"client_id", "client_secret"}, False),
        ("tls_client_auth", {"client_id"}, False),
        ("none", {"client_id"}, False),
    ],
)
def test_each_method_sends_one_credential(method: str, form_keys: set[str], basic: bool) -> None:
    auth = ClientAuthentication(method, "client-1", client_secret="secret")
    form: dict[str, str] = {"client_id": "x", "client_secret": "y"}
    headers: dict[str, str] = {}
    auth.apply("https://as.example/token", form, headers)
    assert set(form) == form_keys
    assert ("Authorization" in headers) is basic


def test_missing_credentials_are_configuration_errors(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="client_secret"):
        ClientAuthentication("client_secret_post", "c")
    with pytest.raises(ConfigurationError, match="client_jwk"):
        ClientAuthentication("private_key_jwt", "c")
    with pytest.raises(ConfigurationError, match="not one of"):
        ClientAuthentication("client_secret_magic", "c", client_secret="s")
    with pytest.raises(ConfigurationError, match="request_object"):
        OAuth2Session("c", client_secret="s", request_object=True)


def test_a_pem_key_with_its_kid(tmp_path: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / "client.pem"
    path.write_bytes(pem)
    key = load_private_key((str(path), "pem-1"))
    assert key.kid == "pem-1"
    auth = ClientAuthentication(
        "private_key_jwt", "c", client_jwk=(str(path), "pem-1"), issuer=ISSUER
    )
    form: dict[str, str] = {}
    auth.apply("https://as.example/token", form, {})
    assert jwt.decode(form["client_assertion"], key, algorithms=["ES256"]).header["kid"] == "pem-1"
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_private_key((str(tmp_path / "missing.pem"), "k"))


# -- a local authorization and resource server ------------------------------


class Server:
    """Token, resource and PAR endpoints that demand DPoP nonces, and record what came."""

    def __init__(self) -> None:
        self.token_calls: list[tuple[dict[str, str], dict[str, str]]] = []
        self.resource_calls: list[dict[str, str]] = []
        self.nonce = "nonce-1"
        self.token_type = "DPoP"
        self.par_answer: tuple[int, dict[str, Any], dict[str, str]] = (
            201,
            {"request_uri": "urn:ietf:params:oauth:request_uri:abc", "expires_in": 60},
            {},
        )
        self.par_forms: list[dict[str, str]] = []
        self.peer_certs: list[Any] = []
        self.rotate_nonce_every_call = False
        self.app = web.Application()
        self.app.add_routes(
            [
                web.post("/token", self.token),
                web.get("/resource", self.resource),
                web.post("/par", self.par),
            ]
        )

    def _proof_ok(self, request: web.Request, access_token: str | None) -> bool:
        proof = request.headers.get("DPoP")
        if not proof:
            return False
        _, claims = verify_proof(proof)
        assert claims["htu"] == str(request.url.with_query(None))
        assert claims["htm"] == request.method
        if access_token is not None:
            assert claims["ath"] == access_token_hash(access_token)
        return claims.get("nonce") == self.nonce

    async def token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_calls.append((form, dict(request.headers)))
        if self.rotate_nonce_every_call:
            self.nonce = f"t{len(self.token_calls)}"
        self.peer_certs.append(
            request.transport.get_extra_info("peercert") if request.transport else None
        )
        if request.headers.get("DPoP") and not self._proof_ok(request, None):
            return web.json_response(
                {"error": "use_dpop_nonce", "error_description": "need a nonce"},
                status=400,
                headers={"DPoP-Nonce": self.nonce},
            )
        return web.json_response(
            {
                "access_token": f"at-{len(self.token_calls)}",
                "token_type": self.token_type if request.headers.get("DPoP") else "Bearer",
                "expires_in": 3600,
                "refresh_token": "rt-1",
            },
            headers={"DPoP-Nonce": self.nonce},
        )

    async def resource(self, request: web.Request) -> web.Response:
        self.resource_calls.append(dict(request.headers))
        if self.rotate_nonce_every_call:
            self.nonce = f"n{len(self.resource_calls)}"
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "DPoP" or not self._proof_ok(request, token):
            return web.Response(
                status=401,
                headers={
                    "WWW-Authenticate": 'DPoP error="use_dpop_nonce"',
                    "DPoP-Nonce": self.nonce,
                },
            )
        return web.json_response({"ok": True})

    async def par(self, request: web.Request) -> web.Response:
        self.par_forms.append({k: str(v) for k, v in (await request.post()).items()})
        status, body, headers = self.par_answer
        return web.json_response(body, status=status, headers=headers)


@pytest.fixture
async def server(tls: TLS) -> AsyncIterator[tuple[Server, URL]]:
    srv = Server()
    async with serve(srv.app, tls) as base:
        yield srv, base


def session_for(tls: TLS, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(connector=aiohttp.TCPConnector(ssl=tls.client_context), **kwargs)


async def test_dpop_nonces_are_answered_once_and_remembered(
    tls: TLS, server: tuple[Server, URL]
) -> None:
    srv, base = server
    async with session_for(
        tls,
        client=BackendApplicationClient("c"),
        client_secret="s",
        token_endpoint_auth_method="client_secret_post",
        dpop=True,
    ) as session:
        token = await session.fetch_token(str(base / "token"))
        assert token["token_type"] == "DPoP"
        assert len(srv.token_calls) == 2  # one nonce challenge, one retry
        first, retry = srv.token_calls
        assert first[0]["client_secret"] == retry[0]["client_secret"] == "s"
        assert first[1]["DPoP"] != retry[1]["DPoP"]  # a fresh proof for the retry

        async with session.get(base / "resource", params={"q": "1"}) as resp:
            assert resp.status == 200
        # The nonce from the token endpoint is the origin's: no challenge here.
        assert len(srv.resource_calls) == 1
        assert srv.resource_calls[0]["Authorization"] == f"DPoP {token['access_token']}"

        srv.nonce = "nonce-2"  # the server rotates it: one 401, one retry
        async with session.get(base / "resource") as resp:
            assert resp.status == 200
        assert len(srv.resource_calls) == 3
        assert session.dpop_key is not None
        assert session.dpop_key.nonce_for(base) == "nonce-2"

        srv.nonce = "nonce-3"
        await session.refresh_token(str(base / "token"))  # the same key, with a nonce retry
        assert len(srv.token_calls) == 4


async def test_a_server_that_never_accepts_the_nonce_gets_one_retry(
    tls: TLS, server: tuple[Server, URL]
) -> None:
    srv, base = server
    async with session_for(
        tls, client_id="c", token={"access_token": "at", "token_type": "DPoP"}, dpop=True
    ) as session:
        srv.rotate_nonce_every_call = True
        async with session.get(base / "resource") as resp:
            assert resp.status == 401
        assert len(srv.resource_calls) == 2


async def test_a_token_endpoint_that_never_accepts_the_nonce_gets_one_retry(
    tls: TLS, server: tuple[Server, URL]
) -> None:
    srv, base = server
    srv.rotate_nonce_every_call = True
    async with session_for(
        tls, client=BackendApplicationClient("c"), client_secret="s", dpop=True
    ) as session:
        with pytest.raises(OAuth2Error) as raised:
            await session.fetch_token(str(base / "token"))
    assert raised.value.error == "use_dpop_nonce"
    assert len(srv.token_calls) == 2
    assert session.token == {}


async def test_a_bearer_answer_to_a_dpop_request_is_refused(
    tls: TLS, server: tuple[Server, URL]
) -> None:
    srv, base = server
    srv.token_type = "Bearer"
    old = {"access_token": "old", "token_type": "DPoP", "refresh_token": "rt-old"}
    async with session_for(tls, client_id="c", client_secret="s", token=old, dpop=True) as session:
        with pytest.raises(DPoPError, match="Bearer"):
            await session.refresh_token(str(base / "token"))
        assert session.token["access_token"] == "old"  # kept


async def test_tls_client_auth_sends_the_certificate_and_no_secret(
    tls: TLS, server: tuple[Server, URL], tmp_path: Any
) -> None:
    srv, base = server
    cert = tls.ca.issue_cert("client-1.example")
    cert_path = str(tmp_path / "client.pem")
    cert.private_key_and_cert_chain_pem.write_to_path(cert_path)
    async with session_for(
        tls,
        client=BackendApplicationClient("client-1"),
        token_endpoint_auth_method="tls_client_auth",
    ) as session:
        context = ssl.create_default_context()
        tls.ca.configure_trust(context)
        context.load_cert_chain(cert_path)
        await session.fetch_token(str(base / "token"), ssl_context=context)
    form, headers = srv.token_calls[-1]
    assert form == {"grant_type": "client_credentials", "client_id": "client-1"}
    assert "Authorization" not in headers
    peer = srv.peer_certs[-1]
    assert peer is not None and "client-1.example" in json.dumps(peer)


async def test_the_authorization_url_binds_the_code_to_the_key() -> None:
    key = DPoPKey()
    async with OAuth2Session("c", redirect_uri="https://app/cb", dpop=key) as session:
        url, _ = session.authorization_url("https://as.example/authorize")
    assert URL(url).query["dpop_jkt"] == key.thumbprint


# -- PAR ---------------------------------------------------------------------


async def test_par_pushes_and_redirects_with_the_request_uri_only(
    tls: TLS, server: tuple[Server, URL]
) -> None:
    srv, base = server
    async with session_for(
        tls,
        client_id="c",
        client_secret="s",
        redirect_uri="https://app/cb",
        scope="openid",
        pkce="S256",
    ) as session:
        url, state = await session.push_authorization_request(
            str(base / "par"), "https://as.example/authorize"
        )
        assert dict(URL(url).query) == {
            "client_id": "c",
            "request_uri": "urn:ietf:params:oauth:request_uri:abc",
        }
        pushed = srv.par_forms[-1]
        assert pushed["state"] == state and pushed["code_challenge_method"] == "S256"
        assert pushed["redirect_uri"] == "https://app/cb"
        assert session.pushed_authorization is not None
        assert session.pushed_authorization.expires_in == 60
        assert session.code_verifier


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "fields"),
    [
        (
            400,
            {"error": "invalid_request", "error_description": "bad scope"},
            {},
            PushedAuthorizationError,
            {"error": "invalid_request", "description": "bad scope", "status": 400},
        ),
        (
            401,
            {"error": "invalid_client"},
            {},
            PushedAuthorizationError,
            {"error": "invalid_client", "status": 401},
        ),
        (
            429,
            {},
            {"Retry-After": "7"},
            PushedAuthorizationRateLimited,
            {"retry_after": 7.0, "status": 429},
        ),
        (201, {"expires_in": 60}, {}, PushedAuthorizationError, {"status": 201}),
        (
            201,
            {"request_uri": "urn:x", "expires_in": "60"},
            {},
            PushedAuthorizationError,
            {"status": 201},
        ),
        (500, {}, {}, PushedAuthorizationError, {"status": 500}),
        (429, {}, {"Retry-After": "nan"}, PushedAuthorizationRateLimited, {"retry_after": None}),
    ],
)
async def test_par_errors_are_typed(
    tls: TLS,
    server: tuple[Server, URL],
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
    error: type[Exception],
    fields: dict[str, Any],
) -> None:
    srv, base = server
    srv.par_answer = (status, body, headers)
    async with session_for(
        tls, client_id="c", client_secret="s", redirect_uri="https://app/cb"
    ) as session:
        with pytest.raises(error) as raised:
            await session.push_authorization_request(
                str(base / "par"), "https://as.example/authorize"
            )
    for name, value in fields.items():
        assert getattr(raised.value, name) == value
    assert session.pushed_authorization is None


async def test_a_request_object_is_signed_and_pushed(tls: TLS, server: tuple[Server, URL]) -> None:
    srv, base = server
    private = ECKey.generate_key("P-256", {"kid": "k1"}, private=True)
    async with session_for(
        tls,
        client_id="c",
        client_jwk=private,
        issuer=ISSUER,
        redirect_uri="https://app/cb",
        scope="openid",
        request_object=True,
    ) as session:
        await session.push_authorization_request(str(base / "par"), "https://as.example/authorize")
    pushed = srv.par_forms[-1]
    assert set(pushed) == {"client_id", "request", "client_assertion", "client_assertion_type"}
    token = jwt.decode(pushed["request"], private, algorithms=["ES256"])
    assert token.header["typ"] == "oauth-authz-req+jwt"
    assert token.claims["iss"] == "c" and token.claims["aud"] == ISSUER
    assert (
        token.claims["redirect_uri"] == "https://app/cb" and token.claims["response_type"] == "code"
    )

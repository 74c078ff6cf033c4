"""The dev provider's PAR and DPoP, driven over real HTTP by the library's own client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth2 import OAuth2Error
from yarl import URL

from example_app.dev_provider import DevClient, DevProviderSettings, create_dev_provider
from example_app.dev_provider.provider import DevProvider
from example_app.serving import listen_on_loopback, serve_together
from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.dpop import DPoPKey
from quart_oauthlib.errors import PushedAuthorizationError
from tests.example.conftest import form_field

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the test reads the redirect
SECRET = "dev-secret"
CONFIDENTIAL = DevClient("confidential", SECRET, (REDIRECT_URI,))
PUBLIC = DevClient("public", None, (REDIRECT_URI,), name="Public app")


@dataclass
class Served:
    url: str
    provider: DevProvider

    def endpoint(self, path: str) -> str:
        return f"{self.url}{path}"


@asynccontextmanager
async def serve_provider(**settings: Any) -> AsyncIterator[Served]:
    """The dev provider alone, under Hypercorn on a free port of 127.0.0.1."""
    sock = listen_on_loopback(0)
    host, port = sock.getsockname()[:2]
    url = f"http://{host}:{port}"
    app = create_dev_provider(
        DevProviderSettings(issuer=url, clients=(CONFIDENTIAL, PUBLIC), **settings)
    )
    shutdown, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve_together([("dev-provider", app, sock)], shutdown, ready.set))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield Served(url, app.extensions["dev_provider"])
    finally:
        shutdown.set()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def provider(insecure_transport: None) -> AsyncIterator[Served]:
    async with serve_provider() as served:
        yield served


@pytest.fixture
async def nonce_provider(insecure_transport: None) -> AsyncIterator[Served]:
    async with serve_provider(dpop_nonce=True) as served:
        yield served


async def approve(url: str, username: str = "ada") -> str:
    """A browser signs in at the provider and allows: the redirect back to the client."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        async with browser.get(url) as resp:  # -> the sign-in form
            assert resp.status == 200, await resp.text()
            page = await resp.text()
        login = resp.url
        async with browser.post(
            login.with_query(None),
            data={
                "username": username,
                "csrf_token": form_field(page, "csrf_token"),
                "next": form_field(page, "next"),
            },
        ) as resp:  # -> back to /authorize: the consent page
            assert resp.status == 200, await resp.text()
            page = await resp.text()
            consent = resp.url
        async with browser.post(
            consent,
            data={"csrf_token": form_field(page, "csrf_token"), "decision": "allow"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 302, await resp.text()
            return resp.headers["Location"]


def session(provider: Served, client: DevClient = CONFIDENTIAL, **kw: Any) -> OAuth2Session:
    if client.is_public:  # names itself (client_id) at the token endpoint, refreshes too
        kw.setdefault("token_endpoint_auth_method", "none")
    return OAuth2Session(
        client.client_id,
        client_secret=client.client_secret,
        redirect_uri=REDIRECT_URI,
        scope="openid profile fortune",
        pkce="S256",
        **kw,
    )


async def login(oauth: OAuth2Session, provider: Served, *, par: bool = False) -> dict[str, Any]:
    authorize = provider.endpoint("/authorize")
    if par:
        url, _ = await oauth.push_authorization_request(provider.endpoint("/par"), authorize)
    else:
        url, _ = oauth.authorization_url(authorize)
    callback = await approve(url)
    return await oauth.fetch_token(provider.endpoint("/token"), authorization_response=callback)


async def test_metadata_advertises_par_and_dpop(provider: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(provider.endpoint("/.well-known/openid-configuration")) as resp:
            metadata = await resp.json()
    assert metadata["pushed_authorization_request_endpoint"] == provider.endpoint("/par")
    assert metadata["require_pushed_authorization_requests"] is False
    assert "ES256" in metadata["dpop_signing_alg_values_supported"]
    assert "HS256" not in metadata["dpop_signing_alg_values_supported"]


async def test_par_login(provider: Served) -> None:
    async with session(provider) as oauth:
        url, state = await oauth.push_authorization_request(
            provider.endpoint("/par"), provider.endpoint("/authorize")
        )
        assert set(URL(url).query) == {"client_id", "request_uri"}
        pushed = oauth.pushed_authorization
        assert pushed is not None and pushed.expires_in == 90 and pushed.state == state
        assert pushed.request_uri.startswith("urn:ietf:params:oauth:request_uri:")
        callback = await approve(url)
        assert URL(callback).query["state"] == state
        token = await oauth.fetch_token(
            provider.endpoint("/token"), authorization_response=callback
        )
        assert token["token_type"] == "Bearer"
        async with oauth.get(provider.endpoint("/userinfo")) as resp:
            assert resp.status == 200 and (await resp.json())["sub"] == "dev-ada"
    # Single use: the request_uri is spent by the answer.
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 400
            assert "invalid_request_uri" in await resp.text()


async def test_par_refuses_bad_pushes(provider: Served) -> None:
    async with session(provider, DevClient("confidential", "wrong", ())) as oauth:
        with pytest.raises(PushedAuthorizationError) as raised:
            await oauth.push_authorization_request(
                provider.endpoint("/par"), provider.endpoint("/authorize")
            )
        assert raised.value.status == 401 and raised.value.error == "invalid_client"
    async with OAuth2Session(
        "confidential",
        client_secret=SECRET,
        redirect_uri="http://127.0.0.1:9/elsewhere",
        pkce="S256",
    ) as oauth:
        with pytest.raises(PushedAuthorizationError) as raised:
            await oauth.push_authorization_request(
                provider.endpoint("/par"), provider.endpoint("/authorize")
            )
        assert raised.value.status == 400
    async with aiohttp.ClientSession() as http:
        form = {"client_id": "public", "response_type": "code", "request_uri": "urn:x"}
        async with http.post(provider.endpoint("/par"), data=form) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == "invalid_request"


async def test_a_request_uri_is_refused_once_expired_or_for_another_client(
    provider: Served,
) -> None:
    async with session(provider, PUBLIC) as oauth:
        url, _ = await oauth.push_authorization_request(
            provider.endpoint("/par"), provider.endpoint("/authorize")
        )
    pushed_uri = URL(url).query["request_uri"]
    async with aiohttp.ClientSession() as http:
        other = URL(url).update_query(client_id="confidential")
        async with http.get(other) as resp:
            assert resp.status == 400 and "invalid_request_uri" in await resp.text()
        provider.provider.store.pushed[pushed_uri].expires_at = 0
        async with http.get(url) as resp:
            assert resp.status == 400 and "invalid_request_uri" in await resp.text()


@pytest.mark.parametrize("client", [CONFIDENTIAL, PUBLIC], ids=lambda c: c.client_id)
async def test_dpop_bound_login_userinfo_and_refresh(provider: Served, client: DevClient) -> None:
    async with session(provider, client, dpop=True) as oauth:
        key = oauth.dpop_key
        assert key is not None
        token = await login(oauth, provider, par=True)
        assert token["token_type"] == "DPoP"
        stored = provider.provider.store.access_tokens[token["access_token"]]
        assert stored.jkt == key.thumbprint
        # The code was bound too: dpop_jkt went through PAR.
        assert any(
            code.dpop_jkt == key.thumbprint for code in provider.provider.store.codes.values()
        )
        async with oauth.get(provider.endpoint("/api/fortune")) as resp:
            assert resp.status == 200, resp.headers.get("WWW-Authenticate")
        refreshed = await oauth.refresh_token(provider.endpoint("/token"))
        assert refreshed["token_type"] == "DPoP"
        assert refreshed["access_token"] != token["access_token"]
        async with oauth.get(provider.endpoint("/userinfo")) as resp:
            assert resp.status == 200
            assert (await resp.json())["sub"] == "dev-ada"


async def test_a_dpop_token_is_refused_without_its_proof(provider: Served) -> None:
    async with session(provider, dpop=True) as oauth:
        token = (await login(oauth, provider))["access_token"]
    userinfo = provider.endpoint("/userinfo")

    async def status(headers: dict[str, str]) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http:
            async with http.get(userinfo, headers=headers) as resp:
                return resp.status, resp.headers.get("WWW-Authenticate", "")

    for headers in (
        {"Authorization": f"Bearer {token}"},  # as a bearer token
        {"Authorization": f"DPoP {token}"},  # without a proof
        # A proof by another key
        {
            "Authorization": f"DPoP {token}",
            "DPoP": DPoPKey().proof("GET", userinfo, access_token=token),
        },
    ):
        code, challenge = await status(headers)
        assert code == 401, headers
        assert challenge.startswith("DPoP ") and "error=" in challenge
    # The right key, but a proof for another token (ath), method (htm) or URL (htu).
    key = oauth.dpop_key
    assert key is not None
    for proof in (
        key.proof("GET", userinfo, access_token="another token"),
        key.proof("POST", userinfo, access_token=token),
        key.proof("GET", provider.endpoint("/api/fortune"), access_token=token),
    ):
        code, _ = await status({"Authorization": f"DPoP {token}", "DPoP": proof})
        assert code == 401
    good = key.proof("GET", userinfo, access_token=token)
    assert (await status({"Authorization": f"DPoP {token}", "DPoP": good}))[0] == 200
    # A proof is single use (jti).
    assert (await status({"Authorization": f"DPoP {token}", "DPoP": good}))[0] == 401


async def test_a_stale_proof_is_refused_at_the_token_endpoint(provider: Served) -> None:
    stale = DPoPKey(clock=lambda: 1_000_000_000.0)
    async with session(provider, dpop=stale) as oauth:
        with pytest.raises(OAuth2Error) as raised:
            await login(oauth, provider)
        assert raised.value.error == "invalid_dpop_proof"


async def test_a_code_bound_by_dpop_jkt_needs_that_key(provider: Served) -> None:
    bound_to = DPoPKey()
    async with session(provider, dpop=DPoPKey()) as oauth:
        url, _ = oauth.authorization_url(
            provider.endpoint("/authorize"), dpop_jkt=bound_to.thumbprint
        )
        callback = await approve(url)
        with pytest.raises(OAuth2Error) as raised:
            await oauth.fetch_token(provider.endpoint("/token"), authorization_response=callback)
        assert raised.value.error == "invalid_grant"


async def test_a_bound_refresh_token_needs_its_key(provider: Served) -> None:
    async with session(provider, PUBLIC, dpop=True) as oauth:
        token = await login(oauth, provider)
    async with session(provider, PUBLIC, dpop=DPoPKey(), token=token) as other_key:
        with pytest.raises(OAuth2Error) as raised:
            await other_key.refresh_token(provider.endpoint("/token"))
        assert raised.value.error == "invalid_grant"
        assert other_key.token["access_token"] == token["access_token"]  # kept


async def test_nonce_challenges_are_answered(nonce_provider: Served) -> None:
    provider = nonce_provider
    async with session(provider, dpop=True) as oauth:
        key = oauth.dpop_key
        assert key is not None
        token = await login(oauth, provider)  # 400 use_dpop_nonce first, then a retry
        assert token["token_type"] == "DPoP"
        assert key.nonce_for(provider.endpoint("/token")) is not None
        async with oauth.get(provider.endpoint("/userinfo")) as resp:
            assert resp.status == 200
        token = oauth.token
    # The same key without the nonce: userinfo answers 401 use_dpop_nonce, once.
    fresh = DPoPKey(key.key)
    async with session(provider, dpop=fresh, token=token) as again:
        async with again.get(provider.endpoint("/userinfo")) as resp:
            assert resp.status == 200, resp.headers.get("WWW-Authenticate")
    assert fresh.nonce_for(provider.endpoint("/userinfo")) is not None
    # Without any nonce, a proof is refused with the challenge.
    userinfo = provider.endpoint("/userinfo")
    proof = DPoPKey(key.key).proof("GET", userinfo, access_token=token["access_token"])
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"DPoP {token['access_token']}", "DPoP": proof}
        async with http.get(userinfo, headers=headers) as resp:
            assert resp.status == 401
            assert 'error="use_dpop_nonce"' in resp.headers["WWW-Authenticate"]
            assert resp.headers["DPoP-Nonce"]


async def test_bearer_clients_are_unchanged(provider: Served) -> None:
    async with session(provider) as oauth:
        token = await login(oauth, provider)
        assert token["token_type"] == "Bearer"
        assert provider.provider.store.access_tokens[token["access_token"]].jkt is None
        async with oauth.get(provider.endpoint("/api/fortune")) as resp:
            assert resp.status == 200


async def test_required_par_refuses_a_plain_request(insecure_transport: None) -> None:
    async with serve_provider(require_par=True) as provider:
        async with session(provider) as oauth:
            url, _ = oauth.authorization_url(provider.endpoint("/authorize"))
            async with aiohttp.ClientSession() as http:
                async with http.get(url) as resp:
                    assert resp.status == 400
            assert (await login(oauth, provider, par=True))["access_token"]


def crafted_proof(header: dict[str, Any], claims: dict[str, Any], key: Any, alg: str) -> str:
    from joserfc import jwt

    return jwt.encode({"alg": alg, **header}, claims, key, algorithms=[alg])


async def test_malformed_proofs_are_refused_at_the_token_endpoint(provider: Served) -> None:
    from joserfc.jwk import ECKey, OctKey

    token_url = provider.endpoint("/token")
    ec = ECKey.generate_key("P-256", private=True)
    public = ec.as_dict(private=False)
    now = int(time.time())
    claims = {"jti": "j", "htm": "POST", "htu": token_url, "iat": now}
    secret = OctKey.generate_key(256)
    proofs = {
        "wrong typ": crafted_proof({"typ": "JWT", "jwk": public}, claims, ec, "ES256"),
        "no jwk": crafted_proof({"typ": "dpop+jwt"}, claims, ec, "ES256"),
        "private jwk": crafted_proof(
            {"typ": "dpop+jwt", "jwk": ec.as_dict(private=True)}, claims, ec, "ES256"
        ),
        "symmetric": crafted_proof(
            {"typ": "dpop+jwt", "jwk": secret.as_dict(private=False)}, claims, secret, "HS256"
        ),
        "other htu": crafted_proof(
            {"typ": "dpop+jwt", "jwk": public}, {**claims, "htu": token_url + "x"}, ec, "ES256"
        ),
        "old iat": crafted_proof(
            {"typ": "dpop+jwt", "jwk": public}, {**claims, "iat": now - 600}, ec, "ES256"
        ),
        "not a JWS": "garbage",
    }
    form = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "public"}
    async with aiohttp.ClientSession() as http:
        for name, proof in proofs.items():
            async with http.post(token_url, data=form, headers={"DPoP": proof}) as resp:
                assert resp.status == 400, name
                assert (await resp.json())["error"] == "invalid_dpop_proof", name

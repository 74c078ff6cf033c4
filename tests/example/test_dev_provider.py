"""The development provider on its own, through Quart's test client."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from quart import Quart
from quart import typing as quart_typing

from example_app.dev_provider import DevClient, DevProviderSettings, create_dev_provider

ISSUER = "http://127.0.0.1:5001"
REDIRECT_URI = "http://127.0.0.1:5000/login/dev/authorized"
CLIENT = DevClient("example-app", "dev-secret", (REDIRECT_URI,))
PUBLIC_CLIENT = DevClient("public-app", None, (REDIRECT_URI,), name="Public app")
# quart.typing's name starts with "Test", which pytest would try to collect.
Client = quart_typing.TestClientProtocol
BASIC = "Basic " + base64.b64encode(b"example-app:dev-secret").decode()


@pytest.fixture(name="provider")
def _provider() -> Quart:
    settings = DevProviderSettings(issuer=ISSUER, clients=(CLIENT, PUBLIC_CLIENT))
    return create_dev_provider(settings)


@pytest.fixture(name="client")
def _client(provider: Quart) -> Client:
    return provider.test_client()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def authorize_query(challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "example-app",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email fortune",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    } | overrides


async def sign_in(client: Client, username: str = "ada.lovelace") -> None:
    page = await (await client.get("/login")).get_data(as_text=True)
    response = await client.post(
        "/login", form={"username": username, "csrf_token": csrf_from(page), "next": "/"}
    )
    assert response.status_code == 302


async def consent(client: Client, query: dict[str, str], decision: str) -> str:
    """Answer the consent page; return where the provider sends the browser."""
    page_response = await client.get("/authorize", query_string=query)
    assert page_response.status_code == 200
    page = await page_response.get_data(as_text=True)
    assert 'class="decision"' in page
    response = await client.post(
        "/authorize",
        query_string=query,
        form={"csrf_token": csrf_from(page), "decision": decision},
    )
    assert response.status_code == 302
    return str(response.headers["Location"])


async def code_for(client: Client, challenge: str, **overrides: str) -> str:
    await sign_in(client)
    location = await consent(client, authorize_query(challenge, **overrides), "allow")
    params = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT_URI)
    assert params["state"] == ["state-123"]
    return params["code"][0]


async def exchange(client: Client, code: str, verifier: str) -> Any:
    return await client.post(
        "/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers={"Authorization": BASIC},
    )


async def bearer_get(client: Client, path: str, token: str) -> Any:
    return await client.get(path, headers={"Authorization": f"Bearer {token}"})


async def test_discovery_lists_the_endpoints(client: Client) -> None:
    metadata = await (await client.get("/.well-known/openid-configuration")).get_json()
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert metadata["token_endpoint"] == f"{ISSUER}/token"
    assert metadata["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert metadata["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "fortune" in metadata["scopes_supported"]


async def test_authorize_asks_to_sign_in_first(client: Client) -> None:
    _verifier, challenge = pkce_pair()
    response = await client.get("/authorize", query_string=authorize_query(challenge))
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    next_url = parse_qs(location.query)["next"][0]
    assert next_url.startswith("/authorize?response_type=code&client_id=example-app&")


async def test_full_grant_userinfo_api_refresh_and_revoke(client: Client) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(client, challenge)

    response = await exchange(client, code, verifier)
    assert response.status_code == 200
    token = await response.get_json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 300
    assert set(token["scope"].split()) == {"openid", "profile", "email", "fortune"}

    userinfo = await (await bearer_get(client, "/userinfo", token["access_token"])).get_json()
    assert userinfo == {
        "sub": "dev-ada.lovelace",
        "name": "Ada Lovelace",
        "preferred_username": "ada.lovelace",
        "picture": f"{ISSUER}/avatar/ada.lovelace.svg",
        "email": "ada.lovelace@dev-provider.test",
        "email_verified": True,
    }
    fortune = await (await bearer_get(client, "/api/fortune", token["access_token"])).get_json()
    assert fortune["for"] == "Ada Lovelace"
    assert fortune["fortune"]

    refreshed = await client.post(
        "/token",
        form={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        headers={"Authorization": BASIC},
    )
    assert refreshed.status_code == 200
    new = await refreshed.get_json()
    assert new["refresh_token"] != token["refresh_token"], "refresh tokens rotate"
    assert (await bearer_get(client, "/userinfo", new["access_token"])).status_code == 200

    revoked = await client.post(
        "/revoke",
        form={"token": new["refresh_token"], "token_type_hint": "refresh_token"},
        headers={"Authorization": BASIC},
    )
    assert revoked.status_code == 200
    gone = await bearer_get(client, "/userinfo", new["access_token"])
    assert gone.status_code == 401
    assert 'error="invalid_token"' in gone.headers["WWW-Authenticate"]


async def test_replayed_refresh_token_revokes_the_grant(client: Client) -> None:
    verifier, challenge = pkce_pair()
    token = await (await exchange(client, await code_for(client, challenge), verifier)).get_json()
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    first = await client.post("/token", form=form, headers={"Authorization": BASIC})
    new = await first.get_json()

    replay = await client.post("/token", form=form, headers={"Authorization": BASIC})
    assert replay.status_code == 400
    assert (await replay.get_json())["error"] == "invalid_grant"
    assert (await bearer_get(client, "/userinfo", new["access_token"])).status_code == 401


async def test_the_code_is_single_use(client: Client) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(client, challenge)
    token = await (await exchange(client, code, verifier)).get_json()
    again = await exchange(client, code, verifier)
    assert (await again.get_json())["error"] == "invalid_grant"
    assert (await bearer_get(client, "/userinfo", token["access_token"])).status_code == 401


async def test_a_wrong_verifier_is_refused(client: Client) -> None:
    _verifier, challenge = pkce_pair()
    code = await code_for(client, challenge)
    response = await exchange(client, code, secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": ""}, "invalid_request"),
        ({"scope": "profile admin"}, "invalid_scope"),
    ],
)
async def test_bad_requests_go_back_to_the_client(
    client: Client, overrides: dict[str, str], error: str
) -> None:
    await sign_in(client)
    _verifier, challenge = pkce_pair()
    query = {k: v for k, v in authorize_query(challenge, **overrides).items() if v}
    response = await client.get("/authorize", query_string=query)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    assert parse_qs(urlsplit(location).query)["error"] == [error]


@pytest.mark.parametrize(
    "overrides",
    [{"client_id": "nobody"}, {"redirect_uri": "https://attacker.example/cb"}],
)
async def test_an_unverified_client_gets_an_error_page_not_a_redirect(
    client: Client, overrides: dict[str, str]
) -> None:
    _verifier, challenge = pkce_pair()
    response = await client.get("/authorize", query_string=authorize_query(challenge, **overrides))
    assert response.status_code == 400
    assert "refused" in await response.get_data(as_text=True)


async def test_deny_sends_access_denied_back(client: Client) -> None:
    await sign_in(client)
    _verifier, challenge = pkce_pair()
    location = await consent(client, authorize_query(challenge), "deny")
    params = parse_qs(urlsplit(location).query)
    assert location.startswith(REDIRECT_URI)
    assert params["error"] == ["access_denied"]
    assert params["state"] == ["state-123"]
    assert "code" not in params


async def test_consent_without_csrf_token_is_refused(client: Client) -> None:
    await sign_in(client)
    _verifier, challenge = pkce_pair()
    response = await client.post(
        "/authorize", query_string=authorize_query(challenge), form={"decision": "allow"}
    )
    assert response.status_code == 400


async def test_insufficient_scope_is_403(client: Client) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(client, challenge, scope="profile")
    token = await (await exchange(client, code, verifier)).get_json()
    response = await bearer_get(client, "/api/fortune", token["access_token"])
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    userinfo = await (await bearer_get(client, "/userinfo", token["access_token"])).get_json()
    assert "email" not in userinfo


async def test_public_client_uses_pkce_alone(client: Client) -> None:
    verifier, challenge = pkce_pair()
    code = await code_for(client, challenge, client_id="public-app")
    response = await client.post(
        "/token",
        form={
            "grant_type": "authorization_code",
            "client_id": "public-app",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200


async def test_login_rejects_odd_names_and_foreign_next(client: Client) -> None:
    page = await (await client.get("/login")).get_data(as_text=True)
    csrf = csrf_from(page)
    bad = await client.post("/login", form={"username": "<b>", "csrf_token": csrf, "next": "/"})
    assert bad.status_code == 400
    assert "Use 1 to 32 letters" in await bad.get_data(as_text=True)
    form = {"username": "bob", "csrf_token": csrf, "next": "//evil.example/"}
    ok = await client.post("/login", form=form)
    assert ok.headers["Location"] == "/"


async def test_id_token_is_signed_for_the_client(client: Client) -> None:
    pytest.importorskip("joserfc")
    from joserfc import jwt
    from joserfc.jwk import KeySet

    verifier, challenge = pkce_pair()
    token = await (await exchange(client, await code_for(client, challenge), verifier)).get_json()
    keys = KeySet.import_key_set(await (await client.get("/jwks.json")).get_json())
    claims = jwt.decode(token["id_token"], keys).claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "example-app"
    assert claims["nonce"] == "nonce-456"
    assert claims["sub"] == "dev-ada.lovelace"
    assert claims["exp"] > claims["iat"]


async def test_avatar_is_an_svg(client: Client) -> None:
    response = await client.get("/avatar/ada.lovelace.svg")
    assert response.content_type == "image/svg+xml"
    assert ">AL</text>" in await response.get_data(as_text=True)
    assert (await client.get("/avatar/..%2Fx.svg")).status_code == 404

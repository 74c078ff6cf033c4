"""Each failed OpenID check answers a clear 4xx page, tells oauth_error which, stores nothing.

The ID token checks themselves are tested one by one in tests/client/test_oidc_id_token.py;
here each reaches the user through the extension.
"""

from __future__ import annotations

import base64
import html
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from quart import Quart

from quart_oauthlib import MemoryTokenStore, oauth_authorized, oauth_error
from quart_oauthlib.errors import (
    DiscoveryError,
    IDTokenAlgorithmError,
    IDTokenAudienceError,
    IDTokenAuthorizedPartyError,
    IDTokenExpiredError,
    IDTokenHashError,
    IDTokenIssuedAtError,
    IDTokenIssuerError,
    IDTokenKeyNotFoundError,
    IDTokenMalformedError,
    IDTokenNonceError,
    IDTokenSignatureError,
    IssuerMismatchError,
    UserInfoError,
    UserInfoMismatchError,
)
from quart_oauthlib.extension.http_errors import OpenIDProviderError, OpenIDVerificationError
from tests.client.test_oidc_id_token import hs256_with, public_pem, unsigned
from tests.ext.oidc_support import TamperingProvider, authorize, login, make_app, running, start
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[TamperingProvider]:
    async with running(tls) as p:
        yield p


@pytest.fixture
def store() -> MemoryTokenStore:
    return MemoryTokenStore()


@pytest.fixture
def app(tls: TLS, provider: TamperingProvider, store: MemoryTokenStore) -> Quart:
    return make_app(tls, provider, store=store)[0]


class Errors:
    """What oauth_error receivers were told, and whether oauth_authorized ever ran."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.authorized = 0

    async def error(self, sender: Quart, **kwargs: Any) -> None:
        self.seen.append(kwargs)

    async def ok(self, sender: Quart, **kwargs: Any) -> None:
        self.authorized += 1


async def run(app: Quart, provider: TamperingProvider, **options: Any) -> tuple[Any, Errors]:
    errors = Errors()
    with oauth_error.connected_to(errors.error), oauth_authorized.connected_to(errors.ok):
        async with app.test_app() as test_app:
            response = await login(test_app.test_client(), provider, **options)
    return response, errors


def flip_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    swapped = "A" if signature[10] != "A" else "B"
    return f"{head}.{payload}.{signature[:10]}{swapped}{signature[11:]}"


def set_claims(**changes: Any) -> Callable[[TamperingProvider], None]:
    return lambda p: p.claim_changes.update(changes)


def other_key(p: TamperingProvider) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": p.rsa.kid})
    p.sign_options["key"] = stranger


def unknown_kid(p: TamperingProvider) -> None:
    p.sign_options["key"] = RSAKey.generate_key(2048, parameters={"kid": "stranger"})


def wrong_at_hash(p: TamperingProvider) -> None:
    p.claim_changes["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA"


def bad_signature(p: TamperingProvider) -> None:
    p.mangle = flip_signature


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def alg_none(p: TamperingProvider) -> None:
    p.mangle = lambda token: unsigned(claims_of(token), {"alg": "none"})


def hs256_keyed_with_the_public_key(p: TamperingProvider) -> None:
    # The RS/HS confusion: an HMAC "keyed" with the provider's public RSA key.
    p.mangle = lambda token: hs256_with(public_pem(p), claims_of(token), kid=p.rsa.kid)


def unadvertised_alg(p: TamperingProvider) -> None:
    p.sign_options["alg"] = "PS256"  # RSA, but not in id_token_signing_alg_values_supported


def malformed(p: TamperingProvider) -> None:
    p.mangle = lambda token: token.replace(".", "", 1)


CASES = [
    ("bad_signature", bad_signature, IDTokenSignatureError, "id_token_signature"),
    ("other_key", other_key, IDTokenSignatureError, "id_token_signature"),
    ("unknown_kid", unknown_kid, IDTokenKeyNotFoundError, "id_token_key_not_found"),
    ("wrong_iss", set_claims(iss="https://evil.example"), IDTokenIssuerError, "id_token_issuer"),
    ("wrong_aud", set_claims(aud="someone-else"), IDTokenAudienceError, "id_token_audience"),
    (
        "expired",
        set_claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 4000),
        IDTokenExpiredError,
        "id_token_expired",
    ),
    ("bad_nonce", set_claims(nonce="not-the-one-sent"), IDTokenNonceError, "id_token_nonce"),
    ("no_nonce", set_claims(nonce=None), IDTokenNonceError, "id_token_nonce"),
    ("at_hash", wrong_at_hash, IDTokenHashError, "id_token_hash"),
    ("alg_none", alg_none, IDTokenAlgorithmError, "id_token_algorithm"),
    ("unadvertised_alg", unadvertised_alg, IDTokenAlgorithmError, "id_token_algorithm"),
    (
        "hs256_public_key",
        hs256_keyed_with_the_public_key,
        IDTokenSignatureError,
        "id_token_signature",
    ),
    (
        "azp_of_another_client",
        set_claims(azp="other-client"),
        IDTokenAuthorizedPartyError,
        "id_token_authorized_party",
    ),
    (
        "iat_in_the_future",
        set_claims(iat=int(time.time()) + 600),
        IDTokenIssuedAtError,
        "id_token_issued_at",
    ),
    ("malformed", malformed, IDTokenMalformedError, "id_token_malformed"),
    ("c_hash", set_claims(c_hash="AAAAAAAAAAAAAAAAAAAAAA"), IDTokenHashError, "id_token_hash"),
]


@pytest.mark.parametrize(
    ("tamper", "cause", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_id_token_failures(
    app: Quart,
    provider: TamperingProvider,
    store: MemoryTokenStore,
    tamper: Callable[[TamperingProvider], None],
    cause: type[Exception],
    code: str,
) -> None:
    tamper(provider)
    response, errors = await run(app, provider)
    page = html.unescape(await response.get_data(as_text=True))
    assert response.status_code == 400
    assert "ID token from 'corp' was refused" in page and "Nothing was stored" in page
    (told,) = errors.seen
    assert told["error"] == code
    assert isinstance(told["exception"], OpenIDVerificationError)
    assert isinstance(told["exception"].__cause__, cause)
    assert errors.authorized == 0 and len(store) == 0
    assert provider.last_id_token is not None and provider.last_id_token not in page


async def test_failure_as_json(app: Quart, provider: TamperingProvider) -> None:
    provider.claim_changes["aud"] = "someone-else"
    async with app.test_app() as test_app:
        client = test_app.test_client()
        location = await start(client)
        response = await client.get(
            "/login/corp/authorized",
            query_string=authorize(provider, location),
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "id_token_audience"


async def test_replayed_callback_is_refused(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    async with app.test_app() as test_app:
        client = test_app.test_client()
        location = await start(client)
        query = authorize(provider, location)
        assert (await client.get("/login/corp/authorized", query_string=query)).status_code == 302
        store._tokens.clear()
        again = await client.get("/login/corp/authorized", query_string=query)
    assert again.status_code == 400
    assert "already answered" in html.unescape(await again.get_data(as_text=True))
    assert len(store) == 0


async def test_replayed_nonce_is_refused(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    """An ID token minted for an earlier login does not finish a new one."""
    errors = Errors()
    with oauth_error.connected_to(errors.error):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            first = await start(client)
            query = authorize(provider, first)
            done = await client.get("/login/corp/authorized", query_string=query)
            assert done.status_code == 302
            store._tokens.clear()
            second = await start(client)
            replayed = authorize(provider, second, nonce=first.query["nonce"])
            response = await client.get("/login/corp/authorized", query_string=replayed)
    assert response.status_code == 400
    assert [e["error"] for e in errors.seen] == ["id_token_nonce"]
    assert len(store) == 0


async def test_missing_id_token_is_refused(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    provider.mangle = lambda token: ""
    response, errors = await run(app, provider)
    assert response.status_code == 400
    assert [e["error"] for e in errors.seen] == ["id_token_missing"]
    assert len(store) == 0


async def test_userinfo_of_another_user_is_refused(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    provider.userinfo_sub = "someone-else"
    response, errors = await run(app, provider)
    page = html.unescape(await response.get_data(as_text=True))
    assert response.status_code == 400
    assert "about another user" in page and "someone-else" not in page
    (told,) = errors.seen
    assert told["error"] == "userinfo_sub_mismatch"
    assert isinstance(told["exception"].__cause__, UserInfoMismatchError)
    assert errors.authorized == 0 and len(store) == 0


# -- RFC 9207 ------------------------------------------------------------------------


async def test_right_iss_is_accepted(app: Quart, provider: TamperingProvider) -> None:
    response, errors = await run(app, provider)
    assert response.status_code == 302 and errors.authorized == 1


@pytest.mark.parametrize("iss", [None, "https://evil.example"], ids=["missing", "wrong"])
async def test_wrong_or_missing_iss_is_refused_before_the_exchange(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore, iss: str | None
) -> None:
    response, errors = await run(app, provider, iss=iss)
    assert response.status_code == 400
    assert "did not come from 'corp'" in html.unescape(await response.get_data(as_text=True))
    (told,) = errors.seen
    assert told["error"] == "issuer_mismatch"
    assert isinstance(told["exception"].__cause__, IssuerMismatchError)
    assert provider.calls["token"] == 0  # the code was never spent
    assert len(store) == 0


async def test_missing_iss_is_fine_when_the_provider_does_not_send_it(
    tls: TLS, provider: TamperingProvider
) -> None:
    provider.metadata_overrides["authorization_response_iss_parameter_supported"] = False
    app, _ = make_app(tls, provider)
    response, errors = await run(app, provider, iss=None)
    assert response.status_code == 302 and errors.seen == []
    wrong, errors = await run(app, provider, iss="https://evil.example")
    assert wrong.status_code == 400  # a wrong one is refused all the same
    assert errors.seen[0]["error"] == "issuer_mismatch"


@pytest.mark.parametrize(
    ("iss", "error"),
    [
        ("good", "access_denied"),
        ("https://evil.example", "issuer_mismatch"),
        (None, "issuer_mismatch"),
    ],
    ids=["ours", "another", "missing"],
)
async def test_an_error_answer_is_believed_only_from_our_issuer(
    app: Quart, provider: TamperingProvider, iss: str | None, error: str
) -> None:
    # RFC 9207 §2.4: error answers carry iss too; a mix-up attacker could otherwise
    # forge "access_denied" (or any error) in our provider's name.
    errors = Errors()
    with oauth_error.connected_to(errors.error):
        async with app.test_app() as test_app:
            client = test_app.test_client()
            location = await start(client)
            query = {"error": "access_denied", "state": location.query["state"]}
            if iss is not None:
                query["iss"] = provider.issuer if iss == "good" else iss
            response = await client.get("/login/corp/authorized", query_string=query)
    assert response.status_code in (400, 403)
    (told,) = errors.seen
    assert told["error"] == error


# -- the provider itself -------------------------------------------------------------


async def test_metadata_of_another_issuer_is_refused(
    tls: TLS, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    provider.metadata_overrides["issuer"] = "https://evil.example"
    app, _ = make_app(tls, provider, store=store)
    errors = Errors()
    with oauth_error.connected_to(errors.error):
        async with app.test_app() as test_app:
            response = await test_app.test_client().get("/login/corp")
    page = html.unescape(await response.get_data(as_text=True))
    assert response.status_code == 502
    assert "'corp' cannot be used" in page and "https://evil.example" in page
    assert "server_metadata_url" in page
    (told,) = errors.seen
    assert told["error"] == "discovery_failed"
    assert isinstance(told["exception"], OpenIDProviderError)
    assert isinstance(told["exception"].__cause__, DiscoveryError)
    assert provider.calls["jwks"] == 0 and len(store) == 0


async def test_unreachable_metadata_is_retried_on_the_next_login(
    tls: TLS, provider: TamperingProvider
) -> None:
    provider.metadata_body = b"<html>down</html>"
    app, _ = make_app(tls, provider)
    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await client.get("/login/corp")).status_code == 502
        provider.metadata_body = None
        assert (await client.get("/login/corp")).status_code == 302
    assert provider.calls["metadata"] == 2


async def test_unreachable_keys_answer_502(
    app: Quart, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    provider.jwks_status = 503
    response, errors = await run(app, provider)
    assert response.status_code == 502
    assert [e["error"] for e in errors.seen] == ["jwks_unavailable"]
    assert len(store) == 0


async def test_later_userinfo_of_another_user_raises(tls: TLS, provider: TamperingProvider) -> None:
    app, oauth = make_app(tls, provider)

    @app.route("/check")
    async def check() -> Any:
        try:
            await oauth.corp.userinfo()
        except UserInfoMismatchError:
            return "mismatch", 409
        return "same user"

    async with app.test_app() as test_app:
        client = test_app.test_client()
        assert (await login(client, provider)).status_code == 302
        assert (await client.get("/check")).status_code == 200
        provider.userinfo_sub = "someone-else"
        assert (await client.get("/check")).status_code == 409


async def test_openid_in_the_scope_makes_an_oauth_metadata_provider_check_id_tokens(
    tls: TLS, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    # RFC 8414 metadata that does not list "openid": asking for it in the settings must
    # still get the ID token checked, not silently stored unverified.
    provider.metadata_overrides["scopes_supported"] = ["read"]
    rfc8414 = f"{provider.issuer}/.well-known/oauth-authorization-server"
    app, _ = make_app(
        tls, provider, store=store, server_metadata_url=rfc8414, scope=["openid", "read"]
    )
    provider.claim_changes["aud"] = "someone-else"
    response, errors = await run(app, provider)
    assert response.status_code == 400
    assert errors.seen[0]["error"] == "id_token_audience"
    assert len(store) == 0


async def test_an_es256_id_token_is_accepted(app: Quart, provider: TamperingProvider) -> None:
    provider.sign_options["alg"] = "ES256"  # the provider's EC key, from the same JWKS
    response, errors = await run(app, provider)
    assert response.status_code == 302 and errors.seen == [] and errors.authorized == 1
    assert provider.last_id_token is not None
    assert (
        json.loads(base64.urlsafe_b64decode(provider.last_id_token.split(".")[0] + "=="))["alg"]
        == "ES256"
    )


async def test_userinfo_on_another_browser_is_checked_against_the_stored_sub(
    tls: TLS, provider: TamperingProvider, store: MemoryTokenStore
) -> None:
    # A shared store and a user loader: the second browser has the token but not the
    # claims the first browser's session kept. The token's own sub stands in for them.
    app, oauth = make_app(tls, provider, store=store)
    oauth.user_id_loader(lambda: "alice")

    @app.route("/check")
    async def check() -> Any:
        try:
            return await oauth.corp.userinfo()
        except UserInfoMismatchError:
            return {"error": "mismatch"}, 409
        except UserInfoError:
            return {"error": "unverifiable"}, 409

    async with app.test_app() as test_app:
        assert (await login(test_app.test_client(), provider)).status_code == 302
        other_browser = test_app.test_client()
        assert (await other_browser.get("/check")).status_code == 200
        provider.userinfo_sub = "someone-else"
        assert (await (await other_browser.get("/check")).get_json()) == {"error": "mismatch"}
        # A token the extension did not store (no sub, no claims): nothing to check against.
        await store.set("corp", "user:alice", {"access_token": "x", "token_type": "Bearer"})
        provider.userinfo_sub = None
        assert (await (await other_browser.get("/check")).get_json()) == {"error": "unverifiable"}


async def test_a_right_c_hash_is_accepted(app: Quart, provider: TamperingProvider) -> None:
    provider.with_c_hash = True
    response, errors = await run(app, provider)
    assert response.status_code == 302 and errors.seen == [] and errors.authorized == 1
    assert provider.last_id_token is not None and "c_hash" in claims_of(provider.last_id_token)

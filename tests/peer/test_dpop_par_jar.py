"""DPoP, PAR and signed request objects against oidc-provider, which demands DPoP nonces."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from oauthlib.oauth2 import BackendApplicationClient
from yarl import URL

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.dpop import DPoPKey
from quart_oauthlib.errors import PushedAuthorizationError
from tests.peer.conftest import REDIRECT_URI, SECRET
from tests.peer.interaction import UserAgent


def dpop_session(
    metadata: dict[str, Any], keys: dict[str, Any], client_id: str, **kw: Any
) -> OAuth2Session:
    public = client_id == "dpop-public"
    return OAuth2Session(
        client_id,
        token_endpoint_auth_method="none" if public else "private_key_jwt",
        client_jwk=None if public else keys["es256"],
        issuer=metadata["issuer"],
        redirect_uri=REDIRECT_URI,
        scope="openid email",
        pkce="S256",
        dpop=kw.pop("dpop", True),
        **kw,
    )


async def login(
    session: OAuth2Session, metadata: dict[str, Any], agent: UserAgent
) -> dict[str, Any]:
    url, _ = session.authorization_url(metadata["authorization_endpoint"])
    callback = await agent.authorize(url, REDIRECT_URI)
    return await session.fetch_token(metadata["token_endpoint"], authorization_response=callback)


async def test_dpop_bound_login_userinfo_and_refresh_with_nonces(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
) -> None:
    async with dpop_session(metadata, client_keys, clients["dpop"]) as session:
        key = session.dpop_key
        assert key is not None
        token = await login(session, metadata, user_agent)
        assert token["token_type"] == "DPoP"
        # The provider demanded a nonce at the token endpoint; we remember it.
        assert key.nonce_for(metadata["token_endpoint"]) is not None
        async with session.get(metadata["userinfo_endpoint"]) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["sub"] == "alice"
        refreshed = await session.refresh_token(metadata["token_endpoint"])
        assert refreshed["token_type"] == "DPoP"
        assert refreshed["access_token"] != token["access_token"]
        async with session.get(metadata["userinfo_endpoint"]) as resp:
            assert resp.status == 200
        token = session.token
    # The same key without the nonces: userinfo answers 401 use_dpop_nonce, and one
    # retry with the nonce gets through.
    fresh = DPoPKey(key.key)
    assert fresh.nonce_for(metadata["userinfo_endpoint"]) is None
    async with dpop_session(
        metadata, client_keys, clients["dpop"], token=token, dpop=fresh
    ) as again:
        async with again.get(metadata["userinfo_endpoint"]) as resp:
            assert resp.status == 200, resp.headers.get("WWW-Authenticate")
    assert fresh.nonce_for(metadata["userinfo_endpoint"]) is not None


async def test_a_dpop_token_is_refused_without_its_proof(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
) -> None:
    async with dpop_session(metadata, client_keys, clients["dpop"]) as session:
        token = await login(session, metadata, user_agent)
    async with aiohttp.ClientSession() as http:
        for scheme in ("DPoP", "Bearer"):
            headers = {"Authorization": f"{scheme} {token['access_token']}"}
            async with http.get(metadata["userinfo_endpoint"], headers=headers) as resp:
                assert resp.status in (400, 401), scheme
        # A proof by another key does not help either.
        stranger = DPoPKey()
        async with http.get(
            metadata["userinfo_endpoint"],
            headers={
                "Authorization": f"DPoP {token['access_token']}",
                "DPoP": stranger.proof(
                    "GET", metadata["userinfo_endpoint"], access_token=token["access_token"]
                ),
            },
        ) as resp:
            assert resp.status == 401


async def test_a_dpop_bound_refresh_token_needs_the_same_key(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
) -> None:
    # A public client: its refresh token is bound to the key (RFC 9449 §5).
    async with dpop_session(metadata, client_keys, "dpop-public") as session:
        token = await login(session, metadata, user_agent)
        key = session.dpop_key
        token = await session.refresh_token(metadata["token_endpoint"])  # same key: fine
        assert token["token_type"] == "DPoP"
    async with dpop_session(metadata, client_keys, "dpop-public", token=token, dpop=key) as same:
        assert (await same.refresh_token(metadata["token_endpoint"]))["token_type"] == "DPoP"
        token = same.token
    async with dpop_session(metadata, client_keys, "dpop-public", token=token) as other_key:
        with pytest.raises(Exception) as raised:
            await other_key.refresh_token(metadata["token_endpoint"])
        assert getattr(raised.value, "error", None) == "invalid_grant"
        assert other_key.token["access_token"] == token["access_token"]  # kept


@pytest.mark.parametrize("alg_key", ["es256", "ps256"])
async def test_dpop_with_a_given_key(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
    alg_key: str,
) -> None:
    from joserfc.jwk import OKPKey

    given = {"es256": None, "ps256": client_keys["ps256"]}[alg_key]
    key = DPoPKey(given) if given else DPoPKey(OKPKey.generate_key("Ed25519", private=True))
    async with dpop_session(metadata, client_keys, clients["dpop"], dpop=key) as session:
        token = await login(session, metadata, user_agent)
        assert token["token_type"] == "DPoP"
        async with session.get(metadata["userinfo_endpoint"]) as resp:
            assert resp.status == 200


async def test_client_credentials_with_dpop(
    metadata: dict[str, Any], client_keys: dict[str, Any], clients: dict[str, str]
) -> None:
    async with OAuth2Session(
        client=BackendApplicationClient(clients["dpop"]),
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=client_keys["es256"],
        issuer=metadata["issuer"],
        dpop=True,
    ) as session:
        token = await session.fetch_token(metadata["token_endpoint"])
        assert token["token_type"] == "DPoP"


async def test_par_required_by_the_provider(
    metadata: dict[str, Any], user_agent: UserAgent
) -> None:
    async with OAuth2Session(
        "par-only",
        client_secret=SECRET,
        redirect_uri=REDIRECT_URI,
        scope="openid",
        pkce="S256",
        issuer=metadata["issuer"],
    ) as session:
        # Without PAR the provider refuses the request.
        plain, _ = session.authorization_url(metadata["authorization_endpoint"])
        refused = await user_agent.authorize(plain, REDIRECT_URI)
        assert URL(refused).query.get("error") == "invalid_request"
        url, state = await session.push_authorization_request(
            metadata["pushed_authorization_request_endpoint"], metadata["authorization_endpoint"]
        )
        assert set(URL(url).query) == {"client_id", "request_uri"}
        pushed = session.pushed_authorization
        assert pushed is not None and pushed.expires_in > 0 and not pushed.expired
        assert pushed.state == state
        callback = await user_agent.authorize(url, REDIRECT_URI)
        token = await session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback
        )
        assert token["id_token"]


async def test_par_errors_are_typed(metadata: dict[str, Any]) -> None:
    async with OAuth2Session(
        "par-only", client_secret="wrong", redirect_uri=REDIRECT_URI, scope="openid", pkce="S256"
    ) as session:
        with pytest.raises(PushedAuthorizationError) as raised:
            await session.push_authorization_request(
                metadata["pushed_authorization_request_endpoint"],
                metadata["authorization_endpoint"],
            )
        assert raised.value.status == 401 and raised.value.error == "invalid_client"
    async with OAuth2Session(
        "par-only",
        client_secret=SECRET,
        redirect_uri="http://127.0.0.1/elsewhere",
        scope="openid",
        pkce="S256",
    ) as session:
        with pytest.raises(PushedAuthorizationError) as raised:
            await session.push_authorization_request(
                metadata["pushed_authorization_request_endpoint"],
                metadata["authorization_endpoint"],
            )
        assert raised.value.status == 400 and raised.value.error


@pytest.mark.parametrize("par", [False, True])
async def test_signed_request_objects(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
    par: bool,
) -> None:
    async with OAuth2Session(
        clients["jar"],
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=client_keys["es256"],
        issuer=metadata["issuer"],
        redirect_uri=REDIRECT_URI,
        scope="openid email",
        pkce="S256",
        request_object=True,
    ) as session:
        if par:
            url, _ = await session.push_authorization_request(
                metadata["pushed_authorization_request_endpoint"],
                metadata["authorization_endpoint"],
            )
        else:
            url, _ = session.authorization_url(metadata["authorization_endpoint"])
            assert "request" in URL(url).query and "redirect_uri" not in URL(url).query
        callback = await user_agent.authorize(url, REDIRECT_URI)
        token = await session.fetch_token(
            metadata["token_endpoint"], authorization_response=callback
        )
        assert token["id_token"]


async def test_unsigned_parameters_are_refused_by_a_jar_client(
    metadata: dict[str, Any],
    client_keys: dict[str, Any],
    clients: dict[str, str],
    user_agent: UserAgent,
) -> None:
    async with OAuth2Session(
        clients["jar"],
        token_endpoint_auth_method="private_key_jwt",
        client_jwk=client_keys["es256"],
        issuer=metadata["issuer"],
        redirect_uri=REDIRECT_URI,
        scope="openid",
        pkce="S256",
    ) as session:
        url, _ = session.authorization_url(metadata["authorization_endpoint"])
        refused = await user_agent.authorize(url, REDIRECT_URI)
        assert URL(refused).query.get("error") == "invalid_request"

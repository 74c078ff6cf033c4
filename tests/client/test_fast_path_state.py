"""The fast path of an authorized request works from state made when the token
(or the margin) is set: changing either later, by any door, must still count."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from oauthlib.oauth2 import TokenExpiredError, WebApplicationClient

from quart_oauthlib import OAuth2Session
from quart_oauthlib.client.oauth2_auth import OAuth2
from tests.fake_provider.oauth2 import OAuth2Provider, running_provider
from tests.fake_provider.serving import TLS


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth2Provider]:
    async with running_provider(tls) as p:
        yield p


def _connector(tls: TLS) -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(ssl=tls.client_context)


async def test_a_margin_raised_after_construction_expires_the_token(
    provider: OAuth2Provider, tls: TLS
) -> None:
    token = provider.issue_token()
    token.pop("expires_in", None)  # lifetime unknown: the whole margin applies
    token["expires_at"] = time.time() + 100
    async with OAuth2Session("web-client", token=token, connector=_connector(tls)) as oauth:
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
        oauth.refresh_margin = 200
        with pytest.raises(TokenExpiredError):
            await oauth.get(provider.url("/api/user"))
        oauth.refresh_margin = 30
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200


async def test_the_middleware_follows_a_margin_changed_later(
    provider: OAuth2Provider, tls: TLS
) -> None:
    token = provider.issue_token()
    token.pop("expires_in", None)
    token["expires_at"] = time.time() + 100
    auth = OAuth2("web-client", token=token, refresh_margin=30)
    async with aiohttp.ClientSession(connector=_connector(tls), middlewares=(auth,)) as http:
        async with http.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
        auth.refresh_margin = 200
        with pytest.raises(TokenExpiredError):
            await http.get(provider.url("/api/user"))


async def test_an_access_token_set_later_is_the_one_sent(
    provider: OAuth2Provider, tls: TLS
) -> None:
    unknown = {"access_token": "never-issued", "token_type": "Bearer", "expires_in": 3600}
    client = WebApplicationClient("web-client")
    async with OAuth2Session(client=client, token=unknown, connector=_connector(tls)) as oauth:
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 401
        oauth.access_token = provider.issue_token()["access_token"]
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200
        client.access_token = "never-issued-either"  # straight on the oauthlib client
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 401
        oauth.token = provider.issue_token()
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 200


async def test_a_session_without_a_token_sends_none(provider: OAuth2Provider, tls: TLS) -> None:
    async with OAuth2Session("web-client", connector=_connector(tls)) as oauth:
        assert oauth.token == {} and not oauth.authorized
        async with oauth.get(provider.url("/api/user")) as resp:
            assert resp.status == 401
            assert "Authorization" not in resp.request_info.headers


async def test_a_subclass_overriding_request_sees_every_verb(
    provider: OAuth2Provider, tls: TLS
) -> None:
    # requests-oauthlib users subclass the session and override request() (to log,
    # to retry...): the fast path of get() must not go around it.
    seen: list[tuple[str, str]] = []

    class Logged(OAuth2Session):
        def request(self, method: str, url: object, *args: object, **kwargs: object) -> object:  # type: ignore[override]
            seen.append((method, str(url)))
            return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]

    url = provider.url("/api/user")
    async with Logged("web-client", token=provider.issue_token(), connector=_connector(tls)) as s:
        async with s.get(url) as resp:
            assert resp.status == 200
        async with s.post(url, data={"a": "1"}) as resp:
            assert resp.status in (200, 405)
    assert seen == [("GET", url), ("POST", url)]


async def test_a_yarl_url_takes_the_full_path_with_the_same_token(
    provider: OAuth2Provider, tls: TLS
) -> None:
    from yarl import URL

    async with OAuth2Session(
        "web-client", token=provider.issue_token(), connector=_connector(tls)
    ) as oauth:
        async with oauth.get(URL(provider.url("/api/user"))) as resp:
            assert resp.status == 200

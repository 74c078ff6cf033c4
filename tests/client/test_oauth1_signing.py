"""What gets signed, and how: parameters from every source, bodies of every kind.

oauthlib's ResourceEndpoint on the provider recomputes each signature from what
arrived on the wire; it also refuses a nonce it has seen.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from multidict import MultiDict
from oauthlib.oauth1 import Client
from yarl import URL

from quart_oauthlib import ConfigurationError, OAuth1, OAuth1Session
from tests.fake_provider.oauth1 import CLIENT_KEY, CLIENT_SECRET, OAuth1Provider, running_provider
from tests.fake_provider.serving import TLS

PLACEMENTS = ["AUTH_HEADER", "QUERY", "BODY"]
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def provider(tls: TLS) -> AsyncIterator[OAuth1Provider]:
    async with running_provider(tls) as p:
        yield p


def signer(provider: OAuth1Provider, placement: str = "AUTH_HEADER", **kwargs: Any) -> OAuth1:
    token = provider.grant()
    return OAuth1(
        CLIENT_KEY,
        CLIENT_SECRET,
        token["oauth_token"],
        token["oauth_token_secret"],
        signature_type=placement,
        **kwargs,
    )


@pytest.fixture
async def client(tls: TLS) -> AsyncIterator[aiohttp.ClientSession]:
    """A user-owned session; each test passes its OAuth1 middleware per request."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls.client_context)) as s:
        yield s


async def echo(
    client: aiohttp.ClientSession, auth: OAuth1, method: str, url: str | URL, **kwargs: Any
) -> dict[str, Any]:
    async with client.request(method, url, middlewares=(auth,), **kwargs) as resp:
        assert resp.status == 200, await resp.text()
        answer: dict[str, Any] = await resp.json()
        return answer


def pairs(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in answer["params"])


@pytest.mark.parametrize("placement", PLACEMENTS)
async def test_non_ascii_and_reserved_characters(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    form = {"name": "Zoë", "check": "✓", "space": "a b+c", "amp": "x&y=z", "slash": "/?#"}
    query = {"q": "café ☕", "plus": "1+1", "pct": "100%"}
    answer = await echo(
        client, signer(provider, placement), "POST", provider.url("/api/echo"), data=form,
        params=query,
    )  # fmt: skip
    assert pairs(answer) == sorted([*form.items(), *query.items()])


@pytest.mark.parametrize("placement", PLACEMENTS)
async def test_repeated_parameters(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    form = [("tag", "b"), ("tag", "a"), ("tag", "a")]
    query = MultiDict([("id", "2"), ("id", "1")])
    answer = await echo(
        client, signer(provider, placement), "PUT", provider.url("/api/echo"), data=form,
        params=query,
    )  # fmt: skip
    assert pairs(answer) == sorted([*form, *query.items()])


@pytest.mark.parametrize("placement", ["AUTH_HEADER", "QUERY"])
async def test_parameters_already_in_the_url(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    url = provider.url("/api/echo") + "?q=caf%C3%A9&q=2&empty=&flag&path=/a:b@c&star=*~!"
    answer = await echo(client, signer(provider, placement), "GET", url, params={"extra": "ü"})
    expected = [("q", "café"), ("q", "2"), ("empty", ""), ("flag", ""), ("path", "/a:b@c")]
    expected += [("star", "*~!"), ("extra", "ü")]
    assert pairs(answer) == sorted(expected)


async def test_url_as_given_encoded(
    provider: OAuth1Provider, client: aiohttp.ClientSession
) -> None:
    url = URL(provider.url("/api/echo") + "?a=%7E%20b&c=d+e", encoded=True)
    answer = await echo(client, signer(provider), "GET", url)
    assert pairs(answer) == [("a", "~ b"), ("c", "d e")]


async def test_non_ascii_path(provider: OAuth1Provider, client: aiohttp.ClientSession) -> None:
    for url in (
        provider.url("/api/echo/café ☕/x"),
        URL(provider.url("/api/echo/") + "a%2Fb/%7Etilde;p=1", encoded=True),
    ):
        answer = await echo(client, signer(provider), "GET", url)
        assert answer["params"] == []


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_empty_body(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str, method: str
) -> None:
    answer = await echo(client, signer(provider, placement), method, provider.url("/api/echo"))
    assert answer["params"] == []
    if placement == "BODY":  # the body holds nothing but the protocol parameters
        assert provider.seen[-1].body.startswith("oauth_")
        assert provider.seen[-1].content_type == FORM


async def test_empty_form_body(provider: OAuth1Provider, client: aiohttp.ClientSession) -> None:
    headers = {"Content-Type": FORM}
    answer = await echo(
        client, signer(provider), "POST", provider.url("/api/echo"), data="", headers=headers
    )
    assert answer["params"] == []


@pytest.mark.parametrize("placement", PLACEMENTS)
async def test_form_body_given_as_text(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    headers = {"Content-Type": FORM + "; charset=utf-8"}
    for data in ("a=1&b=%C3%BC", b"a=1&b=%C3%BC"):
        answer = await echo(
            client, signer(provider, placement), "POST", provider.url("/api/echo"), data=data,
            headers=headers,
        )  # fmt: skip
        assert pairs(answer) == [("a", "1"), ("b", "ü")]


@pytest.mark.parametrize("placement", ["AUTH_HEADER", "QUERY"])
async def test_other_bodies_are_sent_untouched_and_unsigned(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    url = provider.url("/api/echo")
    auth = signer(provider, placement)
    answer = await echo(client, auth, "POST", url, json={"status": "a=b&c"})
    assert json.loads(answer["body"]) == {"status": "a=b&c"}
    assert answer["params"] == []
    answer = await echo(client, auth, "POST", url, data=b"a=1")  # application/octet-stream
    assert answer["body"] == "a=1" and answer["params"] == []
    answer = await echo(client, auth, "POST", url, data="a=1")  # text/plain
    assert answer["body"] == "a=1" and answer["params"] == []
    multipart = aiohttp.FormData()
    multipart.add_field("file", b"a=1", filename="a.txt")
    answer = await echo(client, auth, "POST", url, data=multipart)
    assert "a.txt" in answer["body"] and answer["params"] == []
    answer = await echo(client, auth, "POST", url, data=io.BytesIO(b"stream"))
    assert answer["body"] == "stream"


async def test_body_signatures_need_a_form_body(
    provider: OAuth1Provider, client: aiohttp.ClientSession
) -> None:
    auth = signer(provider, "BODY")
    with pytest.raises(ValueError, match="form"):
        await client.post(provider.url("/api/echo"), json={"a": 1}, middlewares=(auth,))
    with pytest.raises(ValueError, match="GET"):
        await client.get(provider.url("/api/echo"), middlewares=(auth,))
    stream = io.BytesIO(b"a=1")
    with pytest.raises(ValueError, match="form-encoded body must be"):
        await client.post(provider.url("/api/echo"), data=stream, middlewares=(auth,))
    assert provider.seen == []


async def test_query_signatures_need_a_form_encoded_query(
    provider: OAuth1Provider, client: aiohttp.ClientSession
) -> None:
    url = URL(provider.url("/api/echo") + "?list=[1,2]", encoded=True)
    with pytest.raises(ValueError, match="query"):
        await client.get(url, middlewares=(signer(provider, "QUERY"),))


async def test_force_include_body_hands_the_body_to_the_client(
    provider: OAuth1Provider, client: aiohttp.ClientSession
) -> None:
    bodies: list[object] = []

    class RecordingClient(Client):
        def sign(self, uri: str, http_method: Any = "GET", body: Any = None, *a: Any) -> Any:
            bodies.append(body)
            return super().sign(uri, http_method, body, *a)

    auth = signer(provider, client_class=RecordingClient, force_include_body=True)
    answer = await echo(client, auth, "POST", provider.url("/api/echo"), json={"a": 1})
    assert bodies == ['{"a": 1}'] and answer["body"] == '{"a": 1}'
    bodies.clear()
    auth = signer(provider, client_class=RecordingClient)
    await echo(client, auth, "POST", provider.url("/api/echo"), json={"a": 1})
    assert bodies == [None]


@pytest.mark.parametrize("placement", PLACEMENTS)
async def test_a_retrying_middleware_gets_a_fresh_signature(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    """Listed after a middleware that sends the same request twice, OAuth1 signs it twice."""

    async def twice(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        first = await handler(request)
        assert first.status == 200, await first.text()
        first.release()
        return await handler(request)

    auth = signer(provider, placement)
    url = provider.url("/api/echo") + "?x=1"
    async with client.post(url, data={"a": "1"}, middlewares=(twice, auth)) as resp:
        assert resp.status == 200, await resp.text()
        assert pairs(await resp.json()) == [("a", "1"), ("x", "1")]
    assert [seen.valid for seen in provider.seen] == [True, True]


def test_signature_type_any_case_and_bad_settings() -> None:
    assert OAuth1("k", "s", signature_type="auth_header").client.signature_type == "AUTH_HEADER"
    assert OAuth1("k", "s", signature_type="query").client.signature_type == "QUERY"
    with pytest.raises(ConfigurationError, match="signature_type"):
        OAuth1("k", "s", signature_type="cookie")
    with pytest.raises(ConfigurationError, match="signature_method"):
        OAuth1("k", "s", signature_method="HMAC-MD5")
    with pytest.raises(ConfigurationError, match="rsa_key"):
        OAuth1("k", signature_method="RSA-SHA256")
    with pytest.raises(ValueError, match="borrowed"):
        OAuth1Session("k", session=object(), timeout=3)  # type: ignore[arg-type]


async def test_session_signs_every_verb(provider: OAuth1Provider, tls: TLS) -> None:
    token = provider.grant()
    async with OAuth1Session(
        CLIENT_KEY, CLIENT_SECRET, token["oauth_token"], token["oauth_token_secret"],
        connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:  # fmt: skip
        url = provider.url("/api/echo")
        for call in (oauth.get, oauth.options, oauth.head, oauth.delete):
            async with call(url) as resp:
                assert resp.status == 200
        for send in (oauth.post, oauth.put, oauth.patch):
            async with send(url, data={"v": "1"}) as resp:
                assert resp.status == 200
                assert (await resp.json())["params"] == [["v", "1"]]
        resp = await oauth.request("GET", url)
        assert resp.status == 200
        resp.release()
    assert len(provider.seen) == 8 and all(seen.valid for seen in provider.seen)

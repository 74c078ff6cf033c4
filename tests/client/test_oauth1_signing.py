"""What gets signed, and how: parameters from every source, bodies of every kind.

oauthlib's ResourceEndpoint on the provider recomputes each signature from what
arrived on the wire; it also refuses a nonce it has seen.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import aiohttp
import pytest
from aiohttp import web
from multidict import MultiDict
from oauthlib.common import generate_nonce, generate_timestamp
from oauthlib.oauth1 import Client
from yarl import URL

from quart_oauthlib import ConfigurationError, OAuth1, OAuth1Session
from tests.fake_provider.oauth1 import CLIENT_KEY, CLIENT_SECRET, OAuth1Provider, running_provider
from tests.fake_provider.serving import TLS, serve

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


def pinned(
    provider: OAuth1Provider, placement: str = "AUTH_HEADER", **kwargs: Any
) -> tuple[OAuth1, Client]:
    """Our signer, and oauthlib's own client with the same token, nonce and timestamp.

    Each pair signs one request: the provider refuses a nonce it has seen.
    """
    token = provider.grant()
    credentials = (CLIENT_KEY, CLIENT_SECRET, token["oauth_token"], token["oauth_token_secret"])
    nonce, timestamp = generate_nonce(), generate_timestamp()
    ours = OAuth1(
        *credentials, signature_type=placement, nonce=nonce, timestamp=timestamp, **kwargs
    )
    theirs = Client(
        *credentials, signature_type=placement, decoding=None, nonce=nonce, timestamp=timestamp
    )
    return ours, theirs


def body_hash(body: bytes) -> str:
    """draft-eaton-oauth-bodyhash-00 §3.2: base64 of the SHA-1 of the body's bytes."""
    return base64.b64encode(hashlib.sha1(body, usedforsecurity=False).digest()).decode()


@pytest.mark.parametrize("placement", ["AUTH_HEADER", "QUERY"])
async def test_force_include_body_signs_a_bytes_body_as_oauthlib_does(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str
) -> None:
    """oauthlib's Client.sign, given a non-form body and its Content-Type, adds an
    ``oauth_body_hash`` (the body hash extension) to the protocol parameters; the
    body itself stays out of the base string. oauthlib's server recomputes the
    signature over that parameter."""
    body = "hello world ✓".encode()
    url = provider.url("/api/echo")
    ours, theirs = pinned(provider, placement, force_include_body=True)
    answer = await echo(client, ours, "POST", url, data=body)  # application/octet-stream
    assert answer["body"] == body.decode() and answer["params"] == []
    signed_url, headers, signed_body = theirs.sign(
        url,
        "POST",
        body,  # type: ignore[arg-type]  # bytes are read as its ``encoding``, as requests-oauthlib hands them
        {"Content-Type": "application/octet-stream"},
    )
    assert signed_body == body.decode()  # handed back as it came
    seen = provider.seen[-1]
    assert seen.valid and seen.content_type == "application/octet-stream"
    if placement == "AUTH_HEADER":
        assert seen.authorization is not None
        assert seen.authorization == headers["Authorization"]
        assert f'oauth_body_hash="{quote(body_hash(body), safe="")}"' in seen.authorization
    else:
        assert seen.query == urlsplit(signed_url).query
        assert ("oauth_body_hash", body_hash(body)) in parse_qsl(seen.query)


async def test_force_include_body_signs_json_as_oauthlib_does_whose_server_ignores_the_hash(
    provider: OAuth1Provider, client: aiohttp.ClientSession
) -> None:
    url = provider.url("/api/echo")
    ours, theirs = pinned(provider, force_include_body=True)
    await echo(client, ours, "POST", url, json={"a": 1})
    body = '{"a": 1}'
    _, headers, _ = theirs.sign(url, "POST", body, {"Content-Type": "application/json"})
    assert provider.seen[-1].valid
    assert provider.seen[-1].authorization == headers["Authorization"]
    assert quote(body_hash(body.encode()), safe="") in headers["Authorization"]
    # oauthlib's server never compares oauth_body_hash with the body: it is only
    # one more signed parameter. The same Authorization header over another body
    # is accepted, so the hash protects a body only at providers that check it.
    _, pinned_theirs = pinned(provider)
    _, headers, _ = pinned_theirs.sign(url, "POST", body, {"Content-Type": "application/json"})
    async with client.post(url, data='{"a": 2}', headers=headers) as resp:
        assert resp.status == 200, await resp.text()
    assert provider.seen[-1].valid and provider.seen[-1].body == '{"a": 2}'


@pytest.mark.parametrize("force_include_body", [True, False])
async def test_force_include_body_changes_nothing_for_a_form_body(
    provider: OAuth1Provider, client: aiohttp.ClientSession, force_include_body: bool
) -> None:
    """A form body is signed as RFC 5849 §3.4.1.3 says either way, and carries no
    ``oauth_body_hash``: the extension forbids one on form bodies (§4.1.1)."""
    url, form, form_headers = provider.url("/api/echo"), "a=1&b=%C3%BC", {"Content-Type": FORM}
    ours, theirs = pinned(provider, force_include_body=force_include_body)
    answer = await echo(client, ours, "POST", url, data=form, headers=form_headers)
    assert pairs(answer) == [("a", "1"), ("b", "ü")]
    _, headers, _ = theirs.sign(url, "POST", form, form_headers)
    assert provider.seen[-1].authorization == headers["Authorization"]
    assert "oauth_body_hash" not in headers["Authorization"]
    answer = await echo(
        client, signer(provider, force_include_body=force_include_body), "POST", url,
        data={"a": "1", "b": "ü"},
    )  # fmt: skip
    assert pairs(answer) == [("a", "1"), ("b", "ü")]
    assert "oauth_body_hash" not in (provider.seen[-1].authorization or "")


@pytest.mark.parametrize(
    ("body", "error", "match"),
    [
        # Looks like form parameters, but its Content-Type says it is not a form.
        (b"a=1", ValueError, "Body contains parameters but Content-Type header was"),
        # oauthlib hashes text: a body that is not UTF-8 cannot be handed to it.
        (b"\x89PNG\r\n\x1a\n\xff", UnicodeDecodeError, "can't decode byte 0x89"),
    ],
)
async def test_force_include_body_refuses_the_bytes_bodies_oauthlib_refuses(
    provider: OAuth1Provider,
    client: aiohttp.ClientSession,
    body: bytes,
    error: type[Exception],
    match: str,
) -> None:
    url = provider.url("/api/echo")
    with pytest.raises(error, match=match):
        Client(CLIENT_KEY, CLIENT_SECRET).sign(
            url,
            "POST",
            body,  # type: ignore[arg-type]  # bytes are read as its ``encoding``
            {"Content-Type": "application/octet-stream"},
        )
    auth = signer(provider, force_include_body=True)
    with pytest.raises(error, match=match):
        await client.post(url, data=body, middlewares=(auth,))
    assert provider.seen == []
    # Without force_include_body the same bodies go out untouched and unsigned.
    async with client.post(url, data=body, middlewares=(signer(provider),)) as resp:
        assert resp.status == 200
    assert provider.seen[-1].valid


@pytest.mark.parametrize("placement", ["AUTH_HEADER", "QUERY"])
@pytest.mark.parametrize("decoding", ["utf-8", "utf-16", None])
async def test_decoding_is_the_codec_oauthlib_answers_in(
    provider: OAuth1Provider, client: aiohttp.ClientSession, placement: str, decoding: str | None
) -> None:
    """As in requests-oauthlib, ``decoding`` goes to oauthlib's client, which encodes
    the signed URL, headers and body in it (None: it answers text). OAuth1 decodes
    them back with it, so the request sent is the same whatever the codec."""
    answers: list[tuple[Any, ...]] = []

    class Spy(Client):
        def sign(self, *args: Any, **kwargs: Any) -> Any:
            answer = super().sign(*args, **kwargs)
            answers.append(answer)
            return answer

    url = provider.url("/api/echo") + "?q=caf%C3%A9"
    ours, theirs = pinned(provider, placement, decoding=decoding, client_class=Spy)
    assert ours.client.decoding == decoding
    answer = await echo(client, ours, "GET", url)
    assert pairs(answer) == [("q", "café")]
    ((signed_url, headers, _),) = answers
    assert isinstance(signed_url, bytes if decoding else str)
    assert all(isinstance(name, bytes if decoding else str) for name in headers)
    expected_url, expected_headers, _ = theirs.sign(url, "GET")
    seen = provider.seen[-1]
    assert seen.valid
    if placement == "AUTH_HEADER":
        assert seen.authorization == expected_headers["Authorization"]
    else:
        assert seen.query == urlsplit(expected_url).query


async def test_decoding_is_the_codec_a_forced_body_is_sent_in(
    tls: TLS, client: aiohttp.ClientSession
) -> None:
    """The one place oauthlib's output is not ASCII: a body handed to it with
    ``force_include_body`` comes back encoded in ``decoding``, and is sent so, as
    requests-oauthlib sends it. The body is read as ``encoding`` (oauthlib's client
    option, UTF-8 by default); its oauth_body_hash is always over UTF-8."""

    async def raw_echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {"hex": body.hex(), "authorization": request.headers["Authorization"]}
        )

    app = web.Application()
    app.router.add_post("/raw", raw_echo)
    text = "Grüße aus Köln"  # not form-encoded, and Latin-1 can encode it
    async with serve(app, tls) as base:
        url = str(base.with_path("/raw"))
        sent: dict[tuple[str, str | None], bytes] = {}
        for encoding, decoding in [("utf-8", "utf-8"), ("utf-8", None), ("utf-8", "latin-1"),
                                   ("latin-1", "latin-1")]:  # fmt: skip
            auth = OAuth1(CLIENT_KEY, CLIENT_SECRET, "token", "secret", encoding=encoding,
                          decoding=decoding, force_include_body=True)  # fmt: skip
            async with client.post(
                url, data=text.encode(encoding), headers={"Content-Type": "text/plain"},
                middlewares=(auth,),
            ) as resp:  # fmt: skip
                answer = await resp.json()
            sent[encoding, decoding] = bytes.fromhex(answer["hex"])
            hashed = quote(body_hash(text.encode()), safe="")
            assert f'oauth_body_hash="{hashed}"' in answer["authorization"]
    assert sent["utf-8", "utf-8"] == sent["utf-8", None] == text.encode()
    assert sent["utf-8", "latin-1"] == text.encode("latin-1")  # transcoded on the way out
    assert sent["latin-1", "latin-1"] == text.encode("latin-1")  # kept as it came


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


@pytest.mark.parametrize("decoding", ["latin-1", None])
async def test_session_passes_decoding_to_its_client(
    provider: OAuth1Provider, tls: TLS, decoding: str | None
) -> None:
    """OAuth1Session takes OAuth1's ``decoding``; its ``**kwargs`` stay aiohttp's."""
    token = provider.grant()
    async with OAuth1Session(
        CLIENT_KEY, CLIENT_SECRET, token["oauth_token"], token["oauth_token_secret"],
        decoding=decoding, connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:  # fmt: skip
        assert oauth.auth.client.decoding == decoding
        async with oauth.post(provider.url("/api/echo"), data={"name": "Zoë"}) as resp:
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["params"] == [["name", "Zoë"]]
    assert provider.seen[-1].valid


async def test_session_passes_oauthlib_client_options_on(
    provider: OAuth1Provider, tls: TLS
) -> None:
    """As in requests-oauthlib, ``realm`` (and oauthlib's other Client options) sign."""
    token = provider.grant()
    async with OAuth1Session(
        CLIENT_KEY, CLIENT_SECRET, token["oauth_token"], token["oauth_token_secret"],
        realm="photos", connector=aiohttp.TCPConnector(ssl=tls.client_context),
    ) as oauth:  # fmt: skip
        async with oauth.get(provider.url("/api/echo")) as resp:
            assert resp.status == 200, await resp.text()
    seen = provider.seen[-1]
    assert seen.valid
    assert seen.authorization is not None and 'realm="photos"' in seen.authorization

"""``OAuth1``: an aiohttp client middleware that signs requests with OAuth 1 (RFC 5849).

oauthlib computes every signature; this module moves the request's parts in
and out of it:

* A form-encoded body (``data={...}``, or a ``str``/``bytes`` body sent with
  ``Content-Type: application/x-www-form-urlencoded``) is part of the
  signature (RFC 5849 §3.4.1.3). JSON, other bytes, multipart and streams are
  sent untouched and unsigned, unless ``force_include_body`` hands them to a
  custom ``client_class``.
* With ``signature_type="BODY"`` the protocol parameters go into that form
  body, whose ``Content-Length`` is rewritten; with ``"QUERY"`` into the URL.

aiohttp runs middlewares once per redirect hop. A hop that stays on the
origin of the first request is signed again, with a fresh nonce (in the query
when a body signature's request became a GET); once a chain has left that
origin, nothing is signed and a re-sent body loses our parameters.
"""

from __future__ import annotations

import copy
import weakref
from typing import Any, Final

import aiohttp
from aiohttp import hdrs
from aiohttp.payload import BytesPayload, Payload
from oauthlib.common import extract_params
from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_TYPE_AUTH_HEADER,
    SIGNATURE_TYPE_BODY,
    SIGNATURE_TYPE_QUERY,
    Client,
)
from yarl import URL

from ..errors import ConfigurationError
from ._redirect_chain import enter_chain, leave_chain

__all__ = ["OAuth1"]

FORM_URLENCODED: Final = "application/x-www-form-urlencoded"
_BODYLESS_METHODS: Final = frozenset({"GET", "HEAD"})
SIGNATURE_TYPES: Final = frozenset(
    {SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_QUERY, SIGNATURE_TYPE_BODY}
)


def is_rsa(signature_method: str) -> bool:
    """True for the RSA-SHA* methods, which sign with a private key instead of secrets."""
    return signature_method.upper().startswith("RSA-")


class _SignedBody(BytesPayload):
    """A form body holding our ``oauth_*`` parameters, and the body before we added them.

    aiohttp hands the same payload to the next request on a 307/308 redirect
    and on a retry; knowing the unsigned body lets that request be signed
    afresh, or sent to another origin without our parameters.
    """

    def __init__(self, value: bytes, unsigned: bytes):
        super().__init__(value, content_type=FORM_URLENCODED)
        self.unsigned = unsigned


def _text(value: str | bytes, encoding: str) -> str:
    return value.decode(encoding) if isinstance(value, bytes) else value


async def _body_bytes(body: Payload | bytes) -> bytes | None:
    """The request body as bytes (``b""`` for none), or None for a stream we must not read."""
    if not isinstance(body, Payload):
        return b""
    if isinstance(body, _SignedBody):
        return body.unsigned
    if isinstance(body, BytesPayload):
        return await body.as_bytes()
    return None


class OAuth1:
    """Signs every request of an ``aiohttp.ClientSession`` with OAuth 1 (RFC 5849).

    An aiohttp client middleware::

        auth = OAuth1(client_key, client_secret, resource_owner_key, resource_owner_secret)
        async with aiohttp.ClientSession(middlewares=(auth,)) as http:
            resp = await http.get("https://api.example.com/1/account/settings.json")

    List it last among the session's middlewares, so that a middleware that
    retries a request has it signed again with a fresh nonce.

    Args:
        client_key: The client (consumer) key.
        client_secret: The client secret (not used by RSA methods).
        resource_owner_key: The token (``oauth_token``).
        resource_owner_secret: The token secret.
        callback_uri: The ``oauth_callback`` sent with a request token request.
        signature_method: ``HMAC-SHA1`` (default), ``HMAC-SHA256``,
            ``HMAC-SHA512``, ``RSA-SHA1``, ``RSA-SHA256``, ``RSA-SHA512``
            or ``PLAINTEXT``.
        signature_type: Where the protocol parameters go: ``AUTH_HEADER``
            (default), ``QUERY`` or ``BODY``, in any case.
        rsa_key: The PEM private key for RSA methods.
        verifier: The ``oauth_verifier`` sent with an access token request.
        decoding: The encoding oauthlib's output is given in.
        client_class: The oauthlib client class (``oauthlib.oauth1.Client``).
        force_include_body: Hand non-form bodies to the client when signing,
            for custom client classes that sign them.
        **kwargs: More arguments for ``client_class`` (``realm``, ``nonce``, ...).

    Raises:
        ConfigurationError: An unknown signature method or type, or an RSA
            method without ``rsa_key``.
    """

    client_class: type[Client] = Client

    def __init__(
        self,
        client_key: str,
        client_secret: str | None = None,
        resource_owner_key: str | None = None,
        resource_owner_secret: str | None = None,
        callback_uri: str | None = None,
        signature_method: str = SIGNATURE_HMAC_SHA1,
        signature_type: str = SIGNATURE_TYPE_AUTH_HEADER,
        rsa_key: str | bytes | None = None,
        verifier: str | None = None,
        decoding: str | None = "utf-8",
        client_class: type[Client] | None = None,
        force_include_body: bool = False,
        **kwargs: Any,
    ):
        client_class = client_class or self.client_class
        signature_type = signature_type.upper()
        if signature_type not in SIGNATURE_TYPES:
            raise ConfigurationError(
                f"Unknown signature_type {signature_type!r}; use one of {sorted(SIGNATURE_TYPES)}."
            )
        if signature_method not in client_class.SIGNATURE_METHODS:
            raise ConfigurationError(
                f"Unknown signature_method {signature_method!r}; "
                f"{client_class.__name__} knows {sorted(client_class.SIGNATURE_METHODS)}."
            )
        if is_rsa(signature_method) and not rsa_key:
            raise ConfigurationError(f"{signature_method} signatures need rsa_key.")
        self.force_include_body = force_include_body
        self.client: Client = client_class(
            client_key,
            client_secret,
            resource_owner_key,
            resource_owner_secret,
            callback_uri,
            signature_method,
            signature_type,
            rsa_key,
            verifier,
            decoding=decoding,
            **kwargs,
        )
        # Requests we put a signed URL on, so that signing one again starts
        # from the URL it was made with.
        self._signed_urls: weakref.WeakKeyDictionary[aiohttp.ClientRequest, tuple[URL, URL]] = (
            weakref.WeakKeyDictionary()
        )

    def derive(self, **client_attributes: Any) -> OAuth1:
        """A copy of this middleware whose client has ``client_attributes`` changed.

        ``OAuth1Session`` signs its token requests with one, so that a verifier
        or realm never sits on the shared client while a request is in flight.
        """
        clone = copy.copy(self)
        clone.client = copy.copy(self.client)
        for name, value in client_attributes.items():
            setattr(clone.client, name, value)
        clone._signed_urls = weakref.WeakKeyDictionary()
        return clone

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        """Sign ``request`` (unless its redirect chain left its origin) and send it."""
        later_hop, may_sign = enter_chain(request)
        if may_sign:
            if (
                later_hop
                and request.method in _BODYLESS_METHODS
                and self.client.signature_type == SIGNATURE_TYPE_BODY
            ):
                # A 301/302/303 made a GET of a POST: no body to sign in, so the query.
                await self.derive(signature_type=SIGNATURE_TYPE_QUERY).sign(request)
            else:
                await self.sign(request)
        elif isinstance(request.body, _SignedBody):
            await request.update_body(request.body.unsigned or None)
        response = await handler(request)
        leave_chain(response)
        return response

    async def sign(self, request: aiohttp.ClientRequest) -> None:
        """Sign ``request`` in place: its header, URL or body, per ``signature_type``.

        Raises:
            ValueError: oauthlib cannot sign this request: a body signature
                on a GET or a body that is not form-encoded, a URL query that
                is not form-encoded, a form body given as a stream, ...
        """
        client = self.client
        signed_before = self._signed_urls.get(request)
        if signed_before is not None and signed_before[0] == request.url:
            request.url = signed_before[1]
        url = str(request.url)
        if client.signature_type == SIGNATURE_TYPE_QUERY:
            query = request.url.raw_query_string
            # oauthlib would silently drop a query it cannot parse.
            if query and extract_params(query) is None:
                raise ValueError("The URL's query is not form-encoded, so it cannot be signed.")

        raw = await _body_bytes(request.body)
        content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
        is_form = (
            client.signature_type == SIGNATURE_TYPE_BODY
            or content_type.partition(";")[0].strip().lower() == FORM_URLENCODED
        )
        headers: dict[str, str] = {}
        body: str | None = None
        if is_form:
            if raw is None:
                raise ValueError("A form-encoded body must be a dict, str or bytes to be signed.")
            body = raw.decode("utf-8")
            headers[hdrs.CONTENT_TYPE] = FORM_URLENCODED
        elif self.force_include_body and raw:
            body = raw.decode(client.encoding or "utf-8")
            headers[hdrs.CONTENT_TYPE] = content_type
        if hdrs.HOST in request.headers:
            # oauthlib signs the Host header's authority, as the server sees it.
            headers["Host"] = request.headers[hdrs.HOST]

        signed_url, signed_headers, signed_body = client.sign(
            url,
            request.method,  # type: ignore[arg-type]  # stubs want a Literal; any verb works
            body,
            headers,
        )
        encoding = client.decoding or "utf-8"
        signed_url = _text(signed_url, encoding)
        if signed_url != url:
            new_url = URL(signed_url, encoded=True)
            self._signed_urls[request] = (new_url, request.url)
            request.url = new_url
        for name, value in signed_headers.items():
            name, value = _text(name, encoding), _text(value, encoding)
            if request.headers.get(name) != value:
                request.headers[name] = value
        if body is not None and raw is not None:
            new_body = signed_body.encode(encoding) if isinstance(signed_body, str) else signed_body
            if new_body and new_body != raw:
                await request.update_body(_SignedBody(new_body, raw))

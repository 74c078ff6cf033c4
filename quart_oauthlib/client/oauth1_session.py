"""``OAuth1Session``: requests-oauthlib's OAuth 1 session, async, on aiohttp."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlparse

import aiohttp
from oauthlib.common import add_params_to_uri, urldecode
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER, Client
from yarl import URL

from ..errors import TokenMissing, TokenNotFoundError, VerifierMissing
from ._oauth1_token import Token, fetch_token
from ._session_base import BaseSession
from ._transport import (
    DEFAULT_TOKEN_TIMEOUT,
    MAX_TOKEN_RESPONSE_BYTES,
    RequestContext,
    ResponseContext,
)
from .oauth1_auth import OAuth1, is_rsa

__all__ = ["OAuth1Session"]

log = logging.getLogger("quart_oauthlib")


#: oauthlib ``Client`` options that ``OAuth1Session(**kwargs)`` passes to the signer.
_CLIENT_OPTIONS: Final = ("realm", "encoding", "nonce", "timestamp")


class OAuth1Session(BaseSession):
    """Request signing and the OAuth 1 dance: request token, authorization, access token.

    The API of requests-oauthlib's ``OAuth1Session``, made async::

        async with OAuth1Session(key, client_secret=secret, callback_uri=callback) as oauth:
            await oauth.fetch_request_token(request_token_url)
            redirect_user_to(oauth.authorization_url(authorization_base_url))
            ...
            oauth.parse_authorization_response(url_the_user_came_back_to)
            await oauth.fetch_access_token(access_token_url)
            resp = await oauth.get(protected_url)

    ``get``/``post``/... return something to ``await`` or use with ``async
    with``, giving aiohttp's ``ClientResponse``. Every request is signed by
    the :class:`OAuth1` middleware, redirects included: hops on the first
    origin are signed again, hops elsewhere are not signed at all.

    Args:
        client_key: The client (consumer) key.
        client_secret: The client secret.
        resource_owner_key: A token (``oauth_token``) you already hold.
        resource_owner_secret: Its secret.
        callback_uri: Where the provider sends the user back to; sent with
            the request token request, then dropped.
        signature_method: See :class:`OAuth1`.
        signature_type: See :class:`OAuth1`.
        rsa_key: The PEM private key for RSA methods.
        verifier: The verifier for the access token request, then dropped.
        client_class: The oauthlib client class.
        force_include_body: See :class:`OAuth1`.
        decoding: See :class:`OAuth1` (keyword-only here: requests-oauthlib's
            ``OAuth1Session`` takes it through ``**kwargs``, which are
            aiohttp's here).
        session: An ``aiohttp.ClientSession`` to borrow; it stays yours to close.
        **kwargs: oauthlib ``Client`` options (``realm``, ``encoding``, ``nonce``,
            ``timestamp``), as in requests-oauthlib; anything else is an option
            for the ``aiohttp.ClientSession`` created otherwise.

    Attributes:
        token_timeout: Total seconds a token request may take.
        max_token_bytes: The largest token answer read.
    """

    token_timeout: float | None = DEFAULT_TOKEN_TIMEOUT
    max_token_bytes: int = MAX_TOKEN_RESPONSE_BYTES

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
        client_class: type[Client] | None = None,
        force_include_body: bool = False,
        *,
        decoding: str | None = "utf-8",
        session: aiohttp.ClientSession | None = None,
        **kwargs: Any,
    ):
        # requests-oauthlib hands **kwargs to oauthlib's Client; here they are aiohttp's,
        # except the Client options, which keep their requests-oauthlib meaning.
        client_options = {k: kwargs.pop(k) for k in _CLIENT_OPTIONS if k in kwargs}
        super().__init__(session, kwargs)
        self._client = OAuth1(
            client_key,
            client_secret=client_secret,
            resource_owner_key=resource_owner_key,
            resource_owner_secret=resource_owner_secret,
            callback_uri=callback_uri,
            signature_method=signature_method,
            signature_type=signature_type,
            rsa_key=rsa_key,
            verifier=verifier,
            decoding=decoding,
            client_class=client_class,
            force_include_body=force_include_body,
            **client_options,
        )
        #: The signing middleware (requests-oauthlib's name for it).
        self.auth = self._client

    # -- state ------------------------------------------------------------

    @property
    def token(self) -> Token:
        """``oauth_token``, ``oauth_token_secret`` and ``oauth_verifier``, those that are set.

        Assigning a dict sets them; it must hold an ``oauth_token``.
        """
        client = self._client.client
        values = {
            "oauth_token": client.resource_owner_key,
            "oauth_token_secret": client.resource_owner_secret,
            "oauth_verifier": client.verifier,
        }
        return {name: value for name, value in values.items() if value}

    @token.setter
    def token(self, value: Mapping[str, str]) -> None:
        self._populate(value)

    @property
    def authorized(self) -> bool:
        """True when the session holds what signed requests to protected resources need.

        RSA methods need only a token; the others also need both secrets.
        """
        client = self._client.client
        if is_rsa(client.signature_method):
            return bool(client.resource_owner_key)
        return bool(
            client.client_secret and client.resource_owner_key and client.resource_owner_secret
        )

    # -- the dance --------------------------------------------------------

    async def fetch_request_token(
        self, url: str | URL, realm: str | Iterable[str] | None = None, **kwargs: Any
    ) -> Token:
        """Fetch a request token: the first step of the OAuth 1 dance.

        Sends a signed POST to ``url`` and parses the form-encoded answer.
        ``callback_uri`` is dropped afterwards, as later requests must not
        carry it.

        Args:
            url: The request token endpoint.
            realm: The realms to ask access to (a list, or a space-separated string).
            **kwargs: More arguments for ``aiohttp.ClientSession.post``.

        Returns:
            The token dict (``oauth_token``, ``oauth_token_secret``, ...).

        Raises:
            TokenRequestDenied: The provider answered with a non-2xx status.
            TokenMissing: The answer holds no ``oauth_token``.
            DeadlineExceededError: The request took longer than ``token_timeout``.
        """
        realms = realm if isinstance(realm, str) or realm is None else " ".join(realm)
        auth = self._client.derive(realm=realms or None)
        token = await self._fetch_token(url, auth, kwargs, "request token")
        self._client.client.callback_uri = None
        return token

    def authorization_url(
        self, url: str | URL, request_token: str | None = None, **kwargs: str
    ) -> str:
        """The URL to send the user to, to authorize the request token.

        Args:
            url: The provider's authorization endpoint.
            request_token: The request token; the session's by default.
            **kwargs: More query parameters.

        Raises:
            TokenNotFoundError: No request token was given or fetched.
        """
        token = request_token or self._client.client.resource_owner_key
        if not token:
            raise TokenNotFoundError("No request token: call fetch_request_token() first.")
        params = {**kwargs, "oauth_token": token}
        return add_params_to_uri(str(url), params.items())

    def parse_authorization_response(self, url: str | URL) -> Token:
        """Take the token and verifier from the URL the provider sent the user back to.

        Returns:
            The parameters of the URL's query.

        Raises:
            TokenMissing: The URL has no ``oauth_token``.
            ValueError: The query is not form-encoded.
        """
        token = dict(urldecode(urlparse(str(url)).query))
        self._populate(token)
        return token

    async def fetch_access_token(
        self, url: str | URL, verifier: str | None = None, **kwargs: Any
    ) -> Token:
        """Trade the authorized request token for an access token: the last step.

        The verifier is dropped afterwards, as later requests must not carry it.

        Args:
            url: The access token endpoint.
            verifier: The ``oauth_verifier``; by default the one the session
                holds from :meth:`parse_authorization_response`.
            **kwargs: More arguments for ``aiohttp.ClientSession.post``.

        Raises:
            VerifierMissing: No verifier was given or parsed.
            TokenRequestDenied: The provider answered with a non-2xx status.
            TokenMissing: The answer holds no ``oauth_token``.
            DeadlineExceededError: The request took longer than ``token_timeout``.
        """
        verifier = verifier or self._client.client.verifier
        if not verifier:
            raise VerifierMissing("No verifier: pass one or call parse_authorization_response().")
        auth = self._client.derive(verifier=verifier)
        token = await self._fetch_token(url, auth, kwargs, "access token")
        self._client.client.verifier = None
        return token

    # -- signed requests --------------------------------------------------

    def request(self, method: str, url: str | URL, **kwargs: Any) -> ResponseContext:
        """Send a signed request; ``kwargs`` go to ``aiohttp.ClientSession.request``."""
        return RequestContext(self._send(method, url, self._client, kwargs))

    async def _send(
        self, method: str, url: str | URL, auth: OAuth1, kwargs: dict[str, Any]
    ) -> aiohttp.ClientResponse:
        session = self._http.session
        middlewares = kwargs.pop("middlewares", None)
        if middlewares is None:
            # Per-request middlewares replace the session's, and aiohttp has
            # no public accessor for those: keep a borrowed session's own.
            middlewares = getattr(session, "_middlewares", ())
        return await session.request(method, url, middlewares=(*middlewares, auth), **kwargs)

    # -- internals --------------------------------------------------------

    async def _fetch_token(
        self, url: str | URL, auth: OAuth1, kwargs: dict[str, Any], what: str
    ) -> Token:
        log.debug("Fetching an OAuth 1 %s from %s", what, URL(url).with_query(None))
        token = await fetch_token(
            # raise_for_status=False: a refusal is judged (TokenRequestDenied) whatever
            # the session was made with, and no aiohttp error carries our signed headers.
            lambda: self._send("POST", url, auth, {"raise_for_status": False, **kwargs}),
            what=what,
            timeout=self.token_timeout,
            limit=self.max_token_bytes,
        )
        self._populate(token, status=200)
        return token

    def _populate(self, token: Mapping[str, str], *, status: int | None = None) -> None:
        if not token.get("oauth_token"):
            keys = sorted(token)
            raise TokenMissing(
                f"The answer holds no oauth_token (keys: {', '.join(keys) or 'none'}).",
                status=status,
                keys=keys,
            )
        client = self._client.client
        client.resource_owner_key = token["oauth_token"]
        if "oauth_token_secret" in token:
            client.resource_owner_secret = token["oauth_token_secret"]
        if "oauth_verifier" in token:
            client.verifier = token["oauth_verifier"]

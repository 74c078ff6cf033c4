"""The provider's signing keys (JWKS), cached, refetched once when an unknown ``kid`` shows up.

Providers rotate keys: a token signed with a new key names a ``kid`` we have
not seen. Then the set is fetched again, once, and the lookup retried, so a
rotation needs no restart, and the first login after it works at once. Only
these refetches are rate-limited (at most one per ``min_refetch_interval``
seconds, counted from the last refetch an unknown ``kid`` caused, not from the
first fetch: OIDC Core §10.1.1) and single-flight (concurrent lookups share
it), so a flood of tokens with made-up ``kid`` values costs the provider at
most one request a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Final

import aiohttp
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from ...errors import (
    DeadlineExceededError,
    IDTokenAlgorithmError,
    IDTokenKeyNotFoundError,
    JWKSError,
)
from .._single_flight import SingleFlight
from ._fetch import DEFAULT_FETCH_TIMEOUT, MAX_DOCUMENT_BYTES, fetch_json

__all__ = ["DEFAULT_JWKS_MAX_AGE", "DEFAULT_MIN_REFETCH_INTERVAL", "JWKSCache", "key_type_for"]

log = logging.getLogger("quart_oauthlib")

#: A fetched key set is used for at most this long, so removed keys stop working.
DEFAULT_JWKS_MAX_AGE: Final = 3600.0
#: At most one refetch for an unknown ``kid`` per this many seconds.
DEFAULT_MIN_REFETCH_INTERVAL: Final = 60.0

#: The JWK ``kty`` each family of JWS algorithms needs (RFC 7518 §3.1, RFC 8037).
_KEY_TYPES: Final = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP", "HS": "oct"}


def key_type_for(alg: str) -> str | None:
    """The ``kty`` an asymmetric or HMAC ``alg`` needs, or None if unknown."""
    return _KEY_TYPES.get(alg[:2])


class JWKSCache:
    """A provider's JSON Web Key Set, fetched on first use.

    Args:
        jwks_uri: The provider's ``jwks_uri`` (https).
        max_age: Seconds a fetched set is used before it is fetched again.
        min_refetch_interval: The least time between two fetches caused by
            an unknown ``kid``; lookups inside it fail without a request. The
            first fetch and the ``max_age`` refreshes do not count.
        timeout: Total deadline of a fetch, in seconds.
        max_bytes: The largest key set accepted.
        clock: Monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        jwks_uri: str,
        *,
        max_age: float = DEFAULT_JWKS_MAX_AGE,
        min_refetch_interval: float = DEFAULT_MIN_REFETCH_INTERVAL,
        timeout: float | None = DEFAULT_FETCH_TIMEOUT,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.jwks_uri: Final = jwks_uri
        self.max_age: Final = max_age
        self.min_refetch_interval: Final = min_refetch_interval
        self.timeout: Final = timeout
        self.max_bytes: Final = max_bytes
        self._clock = clock
        self._keys: list[Key] | None = None
        self._fetched_at: float | None = None
        #: When an unknown ``kid`` last caused a refetch: the rate limit counts from it.
        self._refetched_at: float | None = None
        self._flight = SingleFlight[list[Key]]()
        #: How many times the set was fetched (for tests and metrics).
        self.fetch_count = 0

    async def get_key(self, http: aiohttp.ClientSession, kid: str | None, alg: str) -> Key:
        """The key to verify a token signed with ``alg`` under ``kid``.

        An unknown ``kid`` causes one refetch (rate-limited, single-flight).
        A token without ``kid`` is accepted only when the set holds exactly
        one key of the right type (OIDC Core §10.1).

        Raises:
            IDTokenKeyNotFoundError: No such key, even after the refetch.
            IDTokenAlgorithmError: The key with that ``kid`` is of another
                type, or is marked for another ``alg`` or for encryption.
            JWKSError: The set could not be fetched or is unusable.
        """
        fetches = self.fetch_count
        keys = await self._current(http)
        key = _find(keys, kid, alg)
        # A set fetched for this very lookup is as fresh as a refetch would be.
        if key is None and self.fetch_count == fetches and self._may_refetch():
            log.info("Unknown key id; fetching the key set of %s again.", self.jwks_uri)
            if not self._flight.in_flight:
                self._refetched_at = self._clock()
            keys = await self._fetch(http)
            key = _find(keys, kid, alg)
        if key is None:
            raise IDTokenKeyNotFoundError(
                "The provider's key set has no signing key "
                + (f"with kid {kid!r}." if kid is not None else "to use for a token without kid.")
            )
        _check_fits(key, alg)
        return key

    def invalidate(self) -> None:
        """Forget the cached set; the next lookup fetches it."""
        self._keys = None

    async def _current(self, http: aiohttp.ClientSession) -> list[Key]:
        keys, fetched_at = self._keys, self._fetched_at
        if keys is None or fetched_at is None:
            return await self._fetch(http)
        if self._clock() - fetched_at < self.max_age:
            return keys
        try:
            return await self._fetch(http)
        except (JWKSError, DeadlineExceededError) as exc:
            # Keep verifying with the keys we have rather than lock everyone out.
            log.warning(
                "Refreshing the key set of %s failed (%r); using the old one.", self.jwks_uri, exc
            )
            return keys

    def _may_refetch(self) -> bool:
        if self._flight.in_flight:
            return True  # join the running fetch rather than fail
        last = self._refetched_at
        return last is None or self._clock() - last >= self.min_refetch_interval

    async def _fetch(self, http: aiohttp.ClientSession) -> list[Key]:
        async def fetch() -> list[Key]:
            # Counted as a fetch before it runs: a failing provider is not
            # asked again before the interval is over either.
            self._fetched_at = self._clock()
            self.fetch_count += 1
            document = await fetch_json(
                http,
                self.jwks_uri,
                what="The provider's key set",
                error=JWKSError,
                timeout=self.timeout,
                max_bytes=self.max_bytes,
            )
            keys = _import_keys(document)
            self._keys = keys
            return keys

        keys, _ = await self._flight.run(fetch)
        return keys


def _import_keys(document: dict[str, Any]) -> list[Key]:
    """The usable public signing keys of a JWKS document; others are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JWKSError("The provider's key set has no keys list.")
    keys: list[Key] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") == "oct":
            continue  # a provider never publishes a shared secret; never trust one
        try:
            key = JWKRegistry.import_key(entry)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            log.warning("Skipping a key the provider published that cannot be used: %r", exc)
            continue
        if key.is_private:
            log.warning("The provider published a private key in its key set; it is ignored.")
            continue
        keys.append(key)
    if not keys:
        raise JWKSError("The provider's key set holds no usable signing key.")
    return keys


def _find(keys: list[Key], kid: str | None, alg: str) -> Key | None:
    if kid is not None:
        return next((k for k in keys if k.kid == kid), None)
    wanted = key_type_for(alg)
    fitting = [k for k in keys if k.key_type == wanted]
    return fitting[0] if len(fitting) == 1 else None


def _check_fits(key: Key, alg: str) -> None:
    """The key named by ``kid`` must be of the type ``alg`` needs (no key confusion)."""
    wanted = key_type_for(alg)
    if wanted is None or key.key_type != wanted:
        raise IDTokenAlgorithmError(
            f"The token's alg {alg!r} does not fit the provider's {key.key_type} key."
        )
    marked = key.get("alg")
    if marked is not None and marked != alg:
        raise IDTokenAlgorithmError(
            f"The provider's key is for alg {marked!r}, but the token uses {alg!r}."
        )

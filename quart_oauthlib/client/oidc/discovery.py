"""Provider metadata: OpenID Connect Discovery 1.0 and RFC 8414, fetched lazily and cached.

Nothing here does I/O on construction: :class:`ProviderDiscovery` fetches on
the first :meth:`~ProviderDiscovery.load`, inside the running event loop, with
whatever ``aiohttp.ClientSession`` the caller passes (the extension's shared
one, or an :class:`~quart_oauthlib.OAuth2Session`'s ``http``).

The document's ``issuer`` must be exactly the issuer expected: the one
configured, or else the one the URL implies. Otherwise a provider (or whoever
answers for it) could hand out metadata naming another issuer's endpoints.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import aiohttp
from oauthlib.oauth2.rfc6749.utils import is_secure_transport
from yarl import URL

from ...errors import DiscoveryError
from .._single_flight import SingleFlight
from ._fetch import DEFAULT_FETCH_TIMEOUT, MAX_DOCUMENT_BYTES, fetch_json

__all__ = [
    "DEFAULT_METADATA_MAX_AGE",
    "ProviderDiscovery",
    "ProviderMetadata",
    "expected_issuer",
    "fetch_provider_metadata",
]

#: How long fetched metadata is used before it is fetched again, in seconds.
DEFAULT_METADATA_MAX_AGE: Final = 24 * 3600.0
_WELL_KNOWN: Final = "/.well-known/"
#: OIDC Core §3.1.3.7 step 7: RS256 when the provider says nothing.
_DEFAULT_ID_TOKEN_ALGS: Final = ("RS256",)

_ENDPOINTS: Final = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "end_session_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "pushed_authorization_request_endpoint",
)
_LISTS: Final = (
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
    "token_endpoint_auth_methods_supported",
    "code_challenge_methods_supported",
    "claims_supported",
)


@dataclass(frozen=True)
class ProviderMetadata:
    """What a provider says about itself, checked and typed.

    Only ``issuer`` is required (RFC 8414 §2); every other field is ``None``
    or empty when the document leaves it out. Endpoints are https URLs. The
    whole document, with fields this class does not name, is in :attr:`raw`.

    Attributes:
        issuer: The issuer identifier; ID tokens' ``iss`` must equal it.
        authorization_endpoint: Where users are sent to log in.
        token_endpoint: Where codes and refresh tokens are exchanged.
        userinfo_endpoint: OIDC userinfo.
        jwks_uri: The provider's signing keys.
        registration_endpoint: Dynamic client registration.
        end_session_endpoint: RP-initiated logout.
        revocation_endpoint: RFC 7009 token revocation.
        introspection_endpoint: RFC 7662 token introspection.
        pushed_authorization_request_endpoint: RFC 9126 PAR.
        scopes_supported: Advertised scopes.
        response_types_supported: Advertised response types.
        response_modes_supported: Advertised response modes.
        grant_types_supported: Advertised grant types.
        subject_types_supported: ``public`` / ``pairwise``.
        id_token_signing_alg_values_supported: The ``alg`` values the
            provider signs ID tokens with; ``("RS256",)`` when not given.
        token_endpoint_auth_methods_supported: Client authentication methods.
        code_challenge_methods_supported: PKCE methods (``S256``...).
        claims_supported: Advertised claims.
        authorization_response_iss_parameter_supported: RFC 9207: the
            provider puts ``iss`` in authorization responses.
        raw: The whole document, read-only.
    """

    issuer: str
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    registration_endpoint: str | None = None
    end_session_endpoint: str | None = None
    revocation_endpoint: str | None = None
    introspection_endpoint: str | None = None
    pushed_authorization_request_endpoint: str | None = None
    scopes_supported: tuple[str, ...] = ()
    response_types_supported: tuple[str, ...] = ()
    response_modes_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    subject_types_supported: tuple[str, ...] = ()
    id_token_signing_alg_values_supported: tuple[str, ...] = _DEFAULT_ID_TOKEN_ALGS
    token_endpoint_auth_methods_supported: tuple[str, ...] = ()
    code_challenge_methods_supported: tuple[str, ...] = ()
    claims_supported: tuple[str, ...] = ()
    authorization_response_iss_parameter_supported: bool = False
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def from_document(
        cls, document: Mapping[str, Any], *, issuer: str | None = None
    ) -> ProviderMetadata:
        """Check a metadata document and type it.

        Args:
            document: The parsed JSON object.
            issuer: The issuer expected; the document's must equal it exactly.
                ``None`` accepts any issuer (for documents from a trusted source).

        Raises:
            DiscoveryError: The issuer differs, or a field has the wrong type,
                or an endpoint is not https.
        """
        found = document.get("issuer")
        if not isinstance(found, str) or not found:
            raise DiscoveryError("The provider metadata has no issuer.")
        if issuer is not None and found != issuer:
            raise DiscoveryError(
                f"The provider metadata is for issuer {found!r}, not the expected {issuer!r}."
            )
        values: dict[str, Any] = {"issuer": found, "raw": MappingProxyType(dict(document))}
        for name in _ENDPOINTS:
            values[name] = _endpoint(document, name)
        for name in _LISTS:
            listed = _string_list(document, name)
            if listed is not None:
                values[name] = listed
        if values.get("id_token_signing_alg_values_supported") == ():
            del values["id_token_signing_alg_values_supported"]  # empty means the default
        iss_supported = document.get("authorization_response_iss_parameter_supported", False)
        if not isinstance(iss_supported, bool):
            raise DiscoveryError(
                "The provider metadata's authorization_response_iss_parameter_supported "
                "is not a boolean."
            )
        values["authorization_response_iss_parameter_supported"] = iss_supported
        return cls(**values)

    def get(self, name: str, default: Any = None) -> Any:
        """A field of the raw document, including those this class does not name."""
        return self.raw.get(name, default)

    def require(self, name: str) -> str:
        """An endpoint that must be there, e.g. ``require("jwks_uri")``.

        Raises:
            DiscoveryError: The provider does not advertise it.
        """
        value = getattr(self, name, None) if name in _ENDPOINTS else None
        if not isinstance(value, str):
            raise DiscoveryError(f"The provider {self.issuer!r} advertises no {name}.")
        return value

    def replace(self, **changes: Any) -> ProviderMetadata:
        """A copy with some fields changed (for configuration that overrides discovery)."""
        return dataclasses.replace(self, **changes)


def _endpoint(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise DiscoveryError(f"The provider metadata's {name} is not a URL.")
    if not is_secure_transport(value):
        raise DiscoveryError(f"The provider metadata's {name} is not an https URL.")
    return value


def _string_list(document: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DiscoveryError(f"The provider metadata's {name} is not a list of strings.")
    return tuple(value)


def expected_issuer(server_metadata_url: str) -> str:
    """The issuer a well-known metadata URL implies.

    * OIDC Discovery §4: ``https://a.example/t1/.well-known/openid-configuration``
      → ``https://a.example/t1``.
    * RFC 8414 §3: ``https://a.example/.well-known/oauth-authorization-server/t1``
      → ``https://a.example/t1``.

    Raises:
        DiscoveryError: The URL has no ``/.well-known/`` path segment, so the
            issuer must be configured.
    """
    url = URL(server_metadata_url).with_query(None).with_fragment(None)
    path = url.raw_path
    prefix, sep, rest = path.partition(_WELL_KNOWN)
    if not sep or not rest:
        raise DiscoveryError(
            "Cannot tell the issuer from a metadata URL without /.well-known/; configure it."
        )
    _, _, inserted = rest.partition("/")  # RFC 8414: the issuer's path comes after the name
    issuer_path = prefix + ("/" + inserted if inserted else "")
    return str(url.origin()) + issuer_path


async def fetch_provider_metadata(
    http: aiohttp.ClientSession,
    server_metadata_url: str,
    *,
    issuer: str | None = None,
    timeout: float | None = DEFAULT_FETCH_TIMEOUT,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> ProviderMetadata:
    """Fetch, check and type a provider's metadata once (no caching).

    Args:
        http: The aiohttp session to fetch with.
        server_metadata_url: The ``.well-known`` URL (https).
        issuer: The issuer expected. By default, the one the URL implies
            (see :func:`expected_issuer`); then, and only then, an issuer
            that differs from it by one trailing slash is also accepted, as
            some providers (Auth0) publish ``https://host/`` for
            ``https://host/.well-known/openid-configuration``.
        timeout: Total deadline in seconds.
        max_bytes: The largest document accepted.

    Raises:
        DiscoveryError: Fetching failed, or the document is unusable or names
            another issuer.
        DeadlineExceededError: The deadline passed.
    """
    document = await fetch_json(
        http,
        server_metadata_url,
        what="The provider metadata",
        error=DiscoveryError,
        timeout=timeout,
        max_bytes=max_bytes,
    )
    if issuer is None:
        issuer = expected_issuer(server_metadata_url)
        found = document.get("issuer")
        if isinstance(found, str) and found.rstrip("/") == issuer.rstrip("/"):
            issuer = found  # only the trailing slash differs
    return ProviderMetadata.from_document(document, issuer=issuer)


class ProviderDiscovery:
    """A provider's metadata, fetched on first use and cached for ``max_age`` seconds.

    Concurrent first callers share one fetch. A failed fetch is not cached:
    the next call tries again.

    Args:
        server_metadata_url: The ``.well-known`` URL (https).
        issuer: The issuer expected; derived from the URL when not given.
        max_age: Seconds to keep using fetched metadata.
        timeout: Total deadline of a fetch, in seconds.
        max_bytes: The largest document accepted.
        clock: Monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        server_metadata_url: str,
        *,
        issuer: str | None = None,
        max_age: float = DEFAULT_METADATA_MAX_AGE,
        timeout: float | None = DEFAULT_FETCH_TIMEOUT,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.server_metadata_url: Final = server_metadata_url
        self.issuer: Final = issuer
        self.max_age: Final = max_age
        self.timeout: Final = timeout
        self.max_bytes: Final = max_bytes
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = 0.0
        self._flight = SingleFlight[ProviderMetadata]()

    @property
    def cached(self) -> ProviderMetadata | None:
        """The metadata fetched last, if any (possibly stale)."""
        return self._metadata

    async def load(self, http: aiohttp.ClientSession, *, force: bool = False) -> ProviderMetadata:
        """The provider's metadata, fetched now if not cached or stale (or ``force``).

        Raises:
            DiscoveryError: Fetching failed, or the document is unusable or
                names another issuer.
            DeadlineExceededError: The deadline passed.
        """
        metadata = self._metadata
        if metadata is not None and not force and self._clock() - self._fetched_at < self.max_age:
            return metadata

        async def fetch() -> ProviderMetadata:
            fresh = await fetch_provider_metadata(
                http,
                self.server_metadata_url,
                issuer=self.issuer,
                timeout=self.timeout,
                max_bytes=self.max_bytes,
            )
            self._metadata, self._fetched_at = fresh, self._clock()
            return fresh

        result, _ = await self._flight.run(fetch)
        return result

    def invalidate(self) -> None:
        """Forget the cached metadata; the next :meth:`load` fetches it again."""
        self._metadata = None

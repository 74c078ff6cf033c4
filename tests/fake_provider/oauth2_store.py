"""Records of the fake OAuth 2 provider: clients, codes, tokens and their families."""

from __future__ import annotations

import base64
import binascii
import itertools
import time
from collections.abc import Collection
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote_plus

from yarl import URL

ClientAuthMethod = Literal["client_secret_basic", "client_secret_post", "tls_client_auth", "none"]

# Names (subject CN and DNS subjectAltNames) of the TLS client certificate of the request
# being handled. oauthlib's calls are synchronous, so the handler sets this just before.
peer_names: ContextVar[frozenset[str]] = ContextVar("peer_names", default=frozenset())

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "[::1]"})
CODE_LIFETIME = 600


@dataclass
class Client:
    """A registered client. ``cert_subject`` (CN or DNS SAN) enables ``tls_client_auth``."""

    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    cert_subject: str | None = None

    @property
    def is_public(self) -> bool:
        return self.client_secret is None and self.cert_subject is None


@dataclass
class AuthorizationCode:
    client_id: str
    user: str
    scopes: list[str]
    redirect_uri: str
    redirect_uri_explicit: bool
    challenge: str | None
    challenge_method: str | None
    family: int
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    user: str | None
    scopes: list[str]
    family: int
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    user: str | None
    scopes: list[str]
    family: int
    used: bool = False  # rotated away: presenting it again is a replay
    revoked: bool = False


@dataclass
class Store:
    """Every code and token the provider has issued, grouped in families (one per grant)."""

    clients: dict[str, Client]
    users: dict[str, str]
    rotate_refresh_tokens: bool
    revoke_family_on_reuse: bool
    require_pkce: bool
    allowed_scopes: Collection[str] | None
    base_url: URL | None = None
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    revoked_families: set[int] = field(default_factory=set)
    _families: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_family(self) -> int:
        return next(self._families)

    def revoke_family(self, family: int) -> None:
        self.revoked_families.add(family)
        for access in self.access_tokens.values():
            if access.family == family:
                access.revoked = True
        for refresh in self.refresh_tokens.values():
            if refresh.family == family:
                refresh.revoked = True

    def active_access(self, token: str | None) -> AccessToken | None:
        access = self.access_tokens.get(token or "")
        if access is None or access.revoked or access.expires_at <= time.time():
            return None
        return access

    def redirect_allowed(self, client: Client, redirect_uri: str) -> bool:
        if redirect_uri in client.redirect_uris:
            return True
        if self.base_url is not None and redirect_uri.startswith(f"{self.base_url}/"):
            return True
        # RFC 8252 §7.3: any port is allowed for a loopback IP redirect URI.
        wanted = URL(redirect_uri)
        if wanted.host not in _LOOPBACK_HOSTS:
            return False
        return any(_same_but_port(URL(registered), wanted) for registered in client.redirect_uris)


def _same_but_port(registered: URL, wanted: URL) -> bool:
    return (registered.scheme, registered.host, registered.path, registered.query_string) == (
        wanted.scheme,
        wanted.host,
        wanted.path,
        wanted.query_string,
    )


def basic_credentials(headers: Any) -> tuple[str, str] | None:
    """Decode HTTP Basic client credentials per RFC 6749 §2.3.1 (base64, then form-decoding)."""
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def client_auth_method(
    headers: Any, params: dict[str, str | None], clients: dict[str, Client], names: frozenset[str]
) -> tuple[ClientAuthMethod, str | None]:
    """How a token-endpoint request tries to authenticate its client, and which client."""
    basic = basic_credentials(headers)
    if basic is not None:
        return "client_secret_basic", basic[0]
    client_id = params.get("client_id")
    if params.get("client_secret") is not None:
        return "client_secret_post", client_id
    client = clients.get(client_id or "")
    if client is not None and client.cert_subject is not None and names:
        return "tls_client_auth", client_id
    return "none", client_id

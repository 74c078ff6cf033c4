"""Everything the development provider has issued, kept in memory.

Codes and tokens belong to a *grant*: one user's "Allow" for one client. When
something suspicious happens (an authorization code or a rotated-away refresh
token presented twice) the whole grant is revoked, as RFC 6749 §4.1.2 and
RFC 9700 §4.14.2 recommend, so a stolen token stops working too.

A real provider would keep hashes of the tokens, in a database; this one keeps
them as dictionary keys and forgets them on restart.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from .settings import DevClient

__all__ = ["AccessToken", "AuthorizationCode", "DevStore", "PushedRequest", "RefreshToken"]


@dataclass
class AuthorizationCode:
    """A code issued on "Allow", waiting to be exchanged at the token endpoint."""

    client_id: str
    username: str
    scopes: list[str]
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    nonce: str | None
    auth_time: int  # when the user signed in at the provider, for the ID token
    grant_id: int
    expires_at: float
    used: bool = False
    dpop_jkt: str | None = None  # the key the code is bound to (RFC 9449 §10)


@dataclass
class PushedRequest:
    """A pushed authorization request (RFC 9126), waiting for its ``request_uri`` to be used."""

    client_id: str
    params: dict[str, str]
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    """A token for the userinfo and API endpoints: a bearer token, or DPoP-bound with ``jkt``."""

    client_id: str
    username: str
    scopes: list[str]
    grant_id: int
    expires_at: float
    revoked: bool = False
    jkt: str | None = None  # cnf.jkt: the thumbprint of the DPoP key it is bound to


@dataclass
class RefreshToken:
    """A refresh token; ``rotated`` once exchanged, after which presenting it is a replay."""

    client_id: str
    username: str
    scopes: list[str]
    grant_id: int
    expires_at: float
    rotated: bool = False
    revoked: bool = False
    jkt: str | None = None  # a public client's refresh token is DPoP-bound too (RFC 9449 §5)


@dataclass
class DevStore:
    """The provider's clients, codes and tokens."""

    clients: dict[str, DevClient]
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    pushed: dict[str, PushedRequest] = field(default_factory=dict)
    _grant_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def for_clients(cls, clients: Iterable[DevClient]) -> DevStore:
        """A store that knows ``clients`` and has issued nothing yet."""
        return cls(clients={client.client_id: client for client in clients})

    def new_grant_id(self) -> int:
        """An id for a new grant (one "Allow")."""
        return next(self._grant_ids)

    def revoke_grant(self, grant_id: int) -> None:
        """Revoke every token issued under ``grant_id``."""
        for access in self.access_tokens.values():
            if access.grant_id == grant_id:
                access.revoked = True
        for refresh in self.refresh_tokens.values():
            if refresh.grant_id == grant_id:
                refresh.revoked = True

    def active_access_token(self, token: str | None) -> AccessToken | None:
        """The record of ``token`` if it is an access token still good to use."""
        access = self.access_tokens.get(token or "")
        if access is None or access.revoked or access.expires_at <= time.time():
            return None
        return access

    def active_refresh_token(self, token: str | None) -> RefreshToken | None:
        """The record of ``token`` if it is a refresh token not revoked nor expired.

        A rotated-away token is returned too: the caller decides that it is a replay.
        """
        refresh = self.refresh_tokens.get(token or "")
        if refresh is None or refresh.revoked or refresh.expires_at <= time.time():
            return None
        return refresh

    def forget_expired(self) -> None:
        """Drop expired records, so that a long-running provider does not grow forever."""
        now = time.time()
        self.codes = {k: v for k, v in self.codes.items() if v.expires_at > now}
        self.access_tokens = {k: v for k, v in self.access_tokens.items() if v.expires_at > now}
        self.refresh_tokens = {k: v for k, v in self.refresh_tokens.items() if v.expires_at > now}
        # A spent pushed request is kept until it expires: the browser's Back button
        # then shows how it was answered rather than an unknown request_uri.
        self.pushed = {k: v for k, v in self.pushed.items() if v.expires_at > now}

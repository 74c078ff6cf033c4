"""What the development provider is told at start: where it lives and who its clients are."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DevClient", "DevProviderSettings"]


@dataclass(frozen=True)
class DevClient:
    """A client application registered with the development provider.

    Attributes:
        client_id: The id the client sends.
        client_secret: Its secret, or ``None`` for a public client (which then
            relies on PKCE alone, as RFC 9700 allows).
        redirect_uris: Where the provider may send the browser back to. They
            are matched exactly, as RFC 9700 §2.1 asks of every provider.
        name: Shown on the consent page.
    """

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    name: str = "Example app"

    @property
    def is_public(self) -> bool:
        """Whether the client has no secret to authenticate with."""
        return self.client_secret is None


@dataclass(frozen=True)
class DevProviderSettings:
    """How the development provider runs.

    Attributes:
        issuer: Its base URL, such as ``"http://127.0.0.1:5001"``. Every
            endpoint URL in the discovery document, and the ``iss`` of ID
            tokens, starts with it.
        clients: The registered clients.
        access_token_lifetime: Seconds an access token lives. Short by default
            (5 minutes) so that refreshing is something you actually see.
        refresh_token_lifetime: Seconds a refresh token lives if unused.
        code_lifetime: Seconds an authorization code may wait to be exchanged.
        par_lifetime: Seconds a pushed authorization request's ``request_uri``
            may wait to be used (RFC 9126 §2.2 suggests 5 to 600).
        require_par: Refuse authorization requests that were not pushed
            (``require_pushed_authorization_requests``), as FAPI 2.0 does.
        dpop_nonce: Demand a server nonce in every DPoP proof (RFC 9449 §8,
            §9): clients see a ``use_dpop_nonce`` challenge first.
    """

    issuer: str
    clients: tuple[DevClient, ...]
    access_token_lifetime: int = 300
    refresh_token_lifetime: int = 24 * 3600
    code_lifetime: int = 60
    par_lifetime: int = 90
    require_par: bool = False
    dpop_nonce: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.issuer)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError(f"issuer must be an absolute http(s) URL, not {self.issuer!r}")
        if self.issuer.endswith("/"):
            raise ValueError("issuer must not end with '/': endpoint paths are appended to it")
        lifetimes = (
            self.access_token_lifetime,
            self.refresh_token_lifetime,
            self.code_lifetime,
            self.par_lifetime,
        )
        if min(lifetimes) <= 0:
            raise ValueError("token and code lifetimes must be positive numbers of seconds")

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (which starts with ``/``) on this provider."""
        return f"{self.issuer}{path}"

"""The fake provider's records, and the oauthlib ``RequestValidator`` answering from them.

oauthlib's server side decides every protocol question (the code grant,
PKCE, client authentication, refresh, bearer checks, revocation); this
module only looks things up.
"""

from __future__ import annotations

import base64
import hmac
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from oauthlib.common import Request
from oauthlib.oauth2 import RequestValidator

__all__ = ["FakeClient", "Records", "Validator"]

_CODE_LIFETIME = 600


@dataclass
class FakeClient:
    """A client registered at the fake provider (any redirect URI is accepted)."""

    client_id: str
    client_secret: str | None


@dataclass
class Grant:
    """An authorization code, an access token or a refresh token, and whose it is."""

    client_id: str
    user: str
    scopes: list[str]
    expires_at: float = float("inf")
    redirect_uri: str | None = None
    challenge: str | None = None
    challenge_method: str | None = None
    nonce: str | None = None


@dataclass
class Records:
    """Everything the fake provider issued; tests may read and change it."""

    clients: dict[str, FakeClient] = field(default_factory=dict)
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    #: The userinfo of each user, by ``sub``.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)


class Validator(RequestValidator):
    """Answers oauthlib's look-ups from :class:`Records`."""

    def __init__(self, records: Records) -> None:
        super().__init__()
        self.records = records

    # -- clients ------------------------------------------------------------

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        client = self.records.clients.get(_client_id(request) or "")
        return client is None or client.client_secret is not None

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        basic = _basic(request.headers)
        client_id, secret = basic if basic else (request.client_id, request.client_secret)
        client = self.records.clients.get(client_id or "")
        if client is None or client.client_secret is None or secret is None:
            return False
        if not hmac.compare_digest(client.client_secret.encode(), secret.encode()):
            return False
        request.client = client
        request.client_id = client.client_id
        return True

    def authenticate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        client = self.records.clients.get(client_id)
        if client is None or client.client_secret is not None:
            return False
        request.client = client
        return True

    def validate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        return client_id in self.records.clients

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        return redirect_uri.startswith(("http://", "https://"))  # a fake: any web callback

    def get_default_redirect_uri(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> str:
        return ""  # the callback must always be sent

    def validate_response_type(
        self, client_id: str, response_type: str, client: Any, request: Request,
        *args: Any, **kwargs: Any,
    ) -> bool:  # fmt: skip
        return response_type == "code"

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Request,
        *args: Any, **kwargs: Any,
    ) -> bool:  # fmt: skip
        return grant_type in ("authorization_code", "refresh_token")

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Request,
        *args: Any, **kwargs: Any,
    ) -> bool:  # fmt: skip
        return True

    def get_default_scopes(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []

    # -- codes ----------------------------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: Any, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        self.records.codes[code["code"]] = Grant(
            client_id=client_id,
            user=str(request.user),
            scopes=list(request.scopes or []),
            expires_at=time.time() + _CODE_LIFETIME,
            redirect_uri=request.redirect_uri,
            challenge=request.code_challenge,
            challenge_method=request.code_challenge_method,
            nonce=getattr(request, "fake_nonce", None),
        )

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        grant = self.records.codes.get(code)
        if grant is None or grant.client_id != client_id or grant.expires_at < time.time():
            return False
        request.user = grant.user
        request.scopes = grant.scopes
        return True

    def confirm_redirect_uri(
        self, client_id: str, code: str, redirect_uri: str, client: Any, request: Request,
        *args: Any, **kwargs: Any,
    ) -> bool:  # fmt: skip
        grant = self.records.codes.get(code)
        return grant is not None and grant.redirect_uri == redirect_uri

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        self.records.codes.pop(code, None)

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        return False

    # oauthlib checks PKCE when the challenge is not None (its stubs say str).
    def get_code_challenge(self, code: str, request: Request) -> str | None:  # type: ignore[override]
        grant = self.records.codes.get(code)
        return grant.challenge if grant else None

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:  # type: ignore[override]
        grant = self.records.codes.get(code)
        return grant.challenge_method if grant else None

    # -- tokens ---------------------------------------------------------------

    def save_bearer_token(self, token: Any, request: Request, *args: Any, **kwargs: Any) -> None:
        client_id = str(request.client_id or getattr(request.client, "client_id", ""))
        user, scopes = str(request.user), list(request.scopes or [])
        expires_at = time.time() + int(token.get("expires_in") or 3600)
        self.records.access_tokens[token["access_token"]] = Grant(
            client_id, user, scopes, expires_at
        )
        if token.get("refresh_token"):
            self.records.refresh_tokens[token["refresh_token"]] = Grant(client_id, user, scopes)

    def validate_bearer_token(self, token: str, scopes: list[str], request: Request) -> bool:
        grant = self.records.access_tokens.get(token or "")
        if grant is None or grant.expires_at <= time.time():
            return False
        request.user = grant.user
        request.client_id = grant.client_id
        request.scopes = grant.scopes
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        grant = self.records.refresh_tokens.get(refresh_token)
        if grant is None or grant.client_id != getattr(client, "client_id", None):
            return False
        request.user = grant.user
        return True

    def get_original_scopes(
        self, refresh_token: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        grant = self.records.refresh_tokens.get(refresh_token)
        return list(grant.scopes) if grant else []

    def rotate_refresh_token(self, request: Request) -> bool:
        # A used refresh token is dropped: a replay is refused, as by careful providers.
        self.records.refresh_tokens.pop(request.refresh_token or "", None)
        return True

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        self.records.access_tokens.pop(token, None)
        self.records.refresh_tokens.pop(token, None)


def _client_id(request: Request) -> str | None:
    basic = _basic(request.headers)
    return basic[0] if basic else request.client_id


def _basic(headers: Any) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1 Basic credentials (form-encoded, then base64), if sent."""
    value = str(headers.get("Authorization") or "")
    if not value.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(value[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return unquote_plus(user), unquote_plus(password)

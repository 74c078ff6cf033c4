"""The development provider's answers to oauthlib's questions.

oauthlib's :class:`~oauthlib.oauth2.WebApplicationServer` does the protocol: it
checks every parameter, verifies the PKCE ``code_verifier``, mints tokens and
builds the answers. It asks a :class:`~oauthlib.oauth2.RequestValidator` only
what it cannot know: which clients exist, what was issued, who is the user.
This one answers from a :class:`~.store.DevStore`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

from oauthlib.common import Request
from oauthlib.oauth2 import RequestValidator

from .settings import DevClient, DevProviderSettings
from .store import AccessToken, AuthorizationCode, DevStore, RefreshToken

__all__ = ["SUPPORTED_SCOPES", "DevRequestValidator", "proof_thumbprint"]

#: The thumbprint of the DPoP key that the token request being answered proved it
#: holds (the token endpoint checks the proof before oauthlib runs), or None.
proof_thumbprint: ContextVar[str | None] = ContextVar("proof_thumbprint", default=None)

#: Scopes a client may ask for, with what the consent page says about each.
SUPPORTED_SCOPES: dict[str, str] = {
    "openid": "Confirm who you are to the app (an ID token)",
    "profile": "See your name, user name and picture",
    "email": "See your e-mail address",
    "fortune": "Read your fortune cookies (the dev provider's API)",
}

#: What a client that asks for no scope at all gets (RFC 6749 §3.3).
DEFAULT_SCOPES = ["profile"]


class DevRequestValidator(RequestValidator):
    """Answers oauthlib's look-ups from the provider's in-memory store."""

    def __init__(self, store: DevStore, settings: DevProviderSettings) -> None:
        super().__init__()
        self.store = store
        self.settings = settings

    # --- clients -------------------------------------------------------------------------

    def _client(self, client_id: str | None) -> DevClient | None:
        return self.store.clients.get(client_id or "")

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        client = self._client(request.client_id)
        has_credentials = request.client_secret is not None or _basic_credentials(request.headers)
        return bool(has_credentials) or client is None or not client.is_public

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        # RFC 6749 §2.3.1: HTTP Basic (client_secret_basic), or both in the form body
        # (client_secret_post). A client must not use both at once.
        basic = _basic_credentials(request.headers)
        if basic is not None and request.client_secret is not None:
            return False
        client_id, secret = basic or (request.client_id, request.client_secret)
        client = self._client(client_id)
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
        client = self._client(client_id)
        if client is None or not client.is_public:
            return False
        request.client = client
        return True

    def validate_client_id(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        client = self._client(client_id)
        if client is not None:
            request.client = client
        return client is not None

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        return grant_type in ("authorization_code", "refresh_token")

    def validate_response_type(
        self, client_id: str, response_type: str, client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        return response_type == "code"

    # --- redirect URIs and scopes -------------------------------------------------------

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        client = self._client(client_id)
        return client is not None and redirect_uri in client.redirect_uris

    def get_default_redirect_uri(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> str:
        client = self._client(client_id)
        return client.redirect_uris[0] if client and client.redirect_uris else ""

    def get_default_scopes(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(DEFAULT_SCOPES)

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        return all(scope in SUPPORTED_SCOPES for scope in scopes)

    # --- authorization codes and PKCE ---------------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: Any, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        # oauthlib has already checked that the challenge is there (PKCE is required) and
        # that its method is S256 (see oauth_server.require_s256).
        self.store.codes[code["code"]] = AuthorizationCode(
            client_id=client_id,
            username=str(request.user),
            scopes=list(request.scopes or []),
            redirect_uri=str(request.redirect_uri),
            code_challenge=str(request.code_challenge),
            code_challenge_method=str(request.code_challenge_method),
            nonce=request.nonce,
            # set from the credentials the consent view passes (see views_browser.decide)
            auth_time=int(request.auth_time or time.time()),
            grant_id=self.store.new_grant_id(),
            expires_at=time.time() + self.settings.code_lifetime,
            dpop_jkt=_query_parameter(request.uri, "dpop_jkt"),
        )

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        record = self.store.codes.get(code)
        if record is None or record.client_id != client_id:
            return False
        if record.used:
            # A code presented twice was probably stolen: revoke what it bought (§4.1.2).
            self.store.revoke_grant(record.grant_id)
            return False
        if record.expires_at <= time.time():
            return False
        if record.dpop_jkt is not None and record.dpop_jkt != proof_thumbprint.get():
            return False  # bound by dpop_jkt: only a proof by that key may exchange it
        request.user = record.username
        request.scopes = list(record.scopes)
        return True

    def confirm_redirect_uri(
        self, client_id: str, code: str, redirect_uri: str | None, client: Any, request: Request,
        *args: Any, **kwargs: Any,
    ) -> bool:  # fmt: skip
        # RFC 6749 §4.1.3: the same redirect_uri as in the authorization request.
        record = self.store.codes.get(code)
        return record is not None and redirect_uri == record.redirect_uri

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        self.store.codes[code].used = True

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        return True

    def get_code_challenge(self, code: str, request: Request) -> str:
        record = self.store.codes.get(code)
        # "" fails verification; oauthlib treats None as "no challenge" (the stubs say str)
        return record.code_challenge if record else ""

    def get_code_challenge_method(self, code: str, request: Request) -> str:
        record = self.store.codes.get(code)
        return record.code_challenge_method if record else "S256"

    # --- refresh tokens ------------------------------------------------------------------

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        record = self.store.active_refresh_token(refresh_token)
        if record is None or record.client_id != client.client_id:
            return False
        if record.rotated:
            # Someone presents a token that was already exchanged: one of the two
            # holders is a thief, so revoke the whole grant (RFC 9700 §4.14.2).
            self.store.revoke_grant(record.grant_id)
            return False
        if record.jkt is not None and record.jkt != proof_thumbprint.get():
            return False  # a DPoP-bound refresh token refreshes only with its key
        request.user = record.username
        return True

    def get_original_scopes(
        self, refresh_token: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(self.store.refresh_tokens[refresh_token].scopes)

    def rotate_refresh_token(self, request: Request) -> bool:
        return True

    # --- bearer tokens -------------------------------------------------------------------

    def save_bearer_token(self, token: Any, request: Request, *args: Any, **kwargs: Any) -> None:
        self.store.forget_expired()
        grant_id = self._grant_of(request)
        client_id = str(request.client_id)
        username = str(request.user)
        scopes = list(request.scopes or [])
        now = time.time()
        jkt = proof_thumbprint.get()
        self.store.access_tokens[token["access_token"]] = AccessToken(
            client_id, username, scopes, grant_id, now + int(token["expires_in"]), jkt=jkt
        )
        if request.grant_type == "refresh_token":
            self.store.refresh_tokens[str(request.refresh_token)].rotated = True
        if "refresh_token" in token:
            expires_at = now + self.settings.refresh_token_lifetime
            # A confidential client's refresh token is bound by its authentication; a
            # public client's to its DPoP key (RFC 9449 §5).
            client = self._client(client_id)
            public = client is not None and client.is_public
            self.store.refresh_tokens[token["refresh_token"]] = RefreshToken(
                client_id, username, scopes, grant_id, expires_at, jkt=jkt if public else None
            )

    def _grant_of(self, request: Request) -> int:
        """The grant a token request belongs to: that of its code or refresh token."""
        if request.grant_type == "refresh_token":
            return self.store.refresh_tokens[str(request.refresh_token)].grant_id
        return self.store.codes[str(request.code)].grant_id

    def validate_bearer_token(
        self, token: str | None, scopes: list[str] | None, request: Request
    ) -> bool:
        access = self.store.active_access_token(token)
        if access is None or access.jkt is not None:
            return False  # unknown, or DPoP-bound: never good as a bearer token
        request.user = access.username
        request.client_id = access.client_id
        request.scopes = list(access.scopes)
        # oauthlib has no "insufficient_scope" answer of its own; the caller tells it
        # apart from a bad token by request.user being set.
        return all(scope in access.scopes for scope in scopes or [])

    # --- revocation (RFC 7009) -----------------------------------------------------------

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Request, *a: Any, **k: Any
    ) -> None:
        # A client may revoke only its own tokens; anything else is silently ignored
        # (RFC 7009 §2.2 answers 200 for unknown tokens too). Revoking a refresh token
        # also revokes its access tokens, as §2.1 suggests.
        access = self.store.access_tokens.get(token)
        if access is not None and access.client_id == request.client_id:
            access.revoked = True
        refresh = self.store.refresh_tokens.get(token)
        if refresh is not None and refresh.client_id == request.client_id:
            self.store.revoke_grant(refresh.grant_id)


def _query_parameter(uri: str | None, name: str) -> str | None:
    """The single value of ``name`` in ``uri``'s query, if it has exactly one."""
    values = parse_qs(urlsplit(uri or "").query).get(name) or []
    return values[0] if len(values) == 1 else None


def _basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """HTTP Basic client credentials, form-decoded as RFC 6749 §2.3.1 says."""
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote_plus(client_id), unquote_plus(secret)

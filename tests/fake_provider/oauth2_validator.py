"""The fake OAuth 2 provider's oauthlib ``RequestValidator``.

oauthlib decides every protocol question (grants, PKCE, client authentication, bearer
checks); this module only answers its look-ups from in-memory records.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from oauthlib.common import Request
from oauthlib.oauth2 import RequestValidator

from tests.fake_provider.oauth2_store import (
    CODE_LIFETIME,
    AccessToken,
    AuthorizationCode,
    Client,
    RefreshToken,
    Store,
    basic_credentials,
    client_auth_method,
    peer_names,
)


class Validator(RequestValidator):
    """Answers oauthlib's questions from a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    # --- clients -------------------------------------------------------------------------

    def _client(self, client_id: str | None) -> Client | None:
        return self.store.clients.get(client_id or "")

    def client_authentication_required(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        if basic_credentials(request.headers) is not None or request.client_secret is not None:
            return True
        client = self._client(request.client_id)
        return client is None or not client.is_public

    def authenticate_client(self, request: Request, *args: Any, **kwargs: Any) -> bool:
        params = {"client_id": request.client_id, "client_secret": request.client_secret}
        method, client_id = client_auth_method(
            request.headers, params, self.store.clients, peer_names.get()
        )
        client = self._client(client_id)
        if client is None:
            return False
        if method == "client_secret_basic":
            basic = basic_credentials(request.headers)
            ok = basic is not None and _secret_matches(client, basic[1])
        elif method == "client_secret_post":
            ok = _secret_matches(client, request.client_secret)
        elif method == "tls_client_auth":
            ok = client.cert_subject in peer_names.get()
        else:
            ok = False
        if ok:
            request.client = client
        return ok

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
        return self._client(client_id) is not None

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        return not (grant_type == "client_credentials" and client.is_public)

    def validate_response_type(
        self, client_id: str, response_type: str, client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        return response_type in ("code", "token")

    # --- redirect URIs and scopes -------------------------------------------------------

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        client = self._client(client_id)
        return client is not None and self.store.redirect_allowed(client, redirect_uri)

    def get_default_redirect_uri(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> str:
        client = self._client(client_id)
        return client.redirect_uris[0] if client and client.redirect_uris else ""

    def get_default_scopes(
        self, client_id: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return ["read"]

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        allowed = self.store.allowed_scopes
        return allowed is None or all(scope in allowed for scope in scopes)

    # --- authorization codes and PKCE ---------------------------------------------------

    def save_authorization_code(
        self, client_id: str, code: Any, request: Request, *a: Any, **k: Any
    ) -> None:
        self.store.codes[code["code"]] = AuthorizationCode(
            client_id=client_id,
            user=str(request.user),
            scopes=list(request.scopes or []),
            redirect_uri=str(request.redirect_uri),
            redirect_uri_explicit=not request.using_default_redirect_uri,
            challenge=request.code_challenge,
            challenge_method=request.code_challenge_method,
            family=self.store.new_family(),
            expires_at=time.time() + CODE_LIFETIME,
        )

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        grant = self.store.codes.get(code)
        if grant is None or grant.client_id != client.client_id:
            return False
        if grant.used:  # RFC 6749 §4.1.2: revoke what the code already bought
            self.store.revoke_family(grant.family)
            return False
        if grant.expires_at <= time.time():
            return False
        request.user = grant.user
        request.scopes = grant.scopes
        request.family = grant.family  # type: ignore[attr-defined]  # our own field, for save
        return True

    def confirm_redirect_uri(
        self, client_id: str, code: str, redirect_uri: str | None, client: Any, request: Request,
        *args: Any, **kwargs: Any,
    ) -> bool:  # fmt: skip
        grant = self.store.codes.get(code)
        if grant is None:
            return False
        if grant.redirect_uri_explicit:
            return redirect_uri == grant.redirect_uri
        return redirect_uri in (None, grant.redirect_uri)

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: Request, *args: Any, **kwargs: Any
    ) -> None:
        self.store.codes[code].used = True

    def is_pkce_required(self, client_id: str, request: Request) -> bool:
        return self.store.require_pkce

    # oauthlib treats None as "no challenge"; the stubs say str.
    def get_code_challenge(self, code: str, request: Request) -> str | None:  # type: ignore[override]
        grant = self.store.codes.get(code)
        return grant.challenge if grant else None

    def get_code_challenge_method(self, code: str, request: Request) -> str | None:  # type: ignore[override]  # as above
        grant = self.store.codes.get(code)
        return grant.challenge_method if grant else None

    # --- users and refresh tokens -------------------------------------------------------

    def validate_user(
        self, username: str, password: str, client: Any, request: Request, *a: Any, **k: Any
    ) -> bool:
        expected = self.store.users.get(username)
        if expected is None or not hmac.compare_digest(expected, password):
            return False
        request.user = username
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Request, *args: Any, **kwargs: Any
    ) -> bool:
        record = self.store.refresh_tokens.get(refresh_token)
        if record is None or record.client_id != client.client_id or record.revoked:
            return False
        if record.used:  # a replayed, rotated-away token (RFC 9700 §4.14.2)
            if self.store.revoke_family_on_reuse:
                self.store.revoke_family(record.family)
            return False
        request.user = record.user
        request.family = record.family  # type: ignore[attr-defined]  # our own field, for save
        return True

    def get_original_scopes(
        self, refresh_token: str, request: Request, *args: Any, **kwargs: Any
    ) -> list[str]:
        return self.store.refresh_tokens[refresh_token].scopes

    def rotate_refresh_token(self, request: Request) -> bool:
        return self.store.rotate_refresh_tokens

    # --- bearer tokens -------------------------------------------------------------------

    def save_bearer_token(self, token: Any, request: Request, *args: Any, **kwargs: Any) -> None:
        family = getattr(request, "family", None) or self.store.new_family()
        client_id = str(request.client.client_id if request.client else request.client_id)
        scopes = list(request.scopes or [])
        user = getattr(request, "user", None)
        self.store.access_tokens[token["access_token"]] = AccessToken(
            token["access_token"], client_id, user, scopes, family,
            time.time() + token["expires_in"],
        )  # fmt: skip
        new_refresh = token.get("refresh_token")
        old_refresh = request.refresh_token if request.grant_type == "refresh_token" else None
        if old_refresh and new_refresh != old_refresh:
            self.store.refresh_tokens[old_refresh].used = True
        if new_refresh and new_refresh != old_refresh:
            self.store.refresh_tokens[new_refresh] = RefreshToken(
                new_refresh, client_id, user, scopes, family
            )

    def validate_bearer_token(
        self, token: str | None, scopes: list[str] | None, request: Request
    ) -> bool:
        access = self.store.active_access(token)
        if access is None or not all(scope in access.scopes for scope in scopes or []):
            return False
        request.user = access.user
        request.client_id = access.client_id
        request.scopes = access.scopes
        return True

    # --- revocation (RFC 7009) and introspection (RFC 7662) -----------------------------

    def revoke_token(
        self, token: str, token_type_hint: str | None, request: Request, *a: Any, **k: Any
    ) -> None:
        access = self.store.access_tokens.get(token)
        if access is not None and access.client_id == _client_id(request):
            access.revoked = True
        refresh = self.store.refresh_tokens.get(token)
        if refresh is not None and refresh.client_id == _client_id(request):
            self.store.revoke_family(refresh.family)

    def introspect_token(
        self, token: str, token_type_hint: str | None, request: Request, *a: Any, **k: Any
    ) -> dict[str, Any] | None:
        access = self.store.active_access(token)
        if access is not None:
            return _claims(access.client_id, access.user, access.scopes) | {
                "token_type": "Bearer",
                "exp": int(access.expires_at),
            }
        refresh = self.store.refresh_tokens.get(token)
        if refresh is not None and not (refresh.used or refresh.revoked):
            return _claims(refresh.client_id, refresh.user, refresh.scopes)
        return None


def _claims(client_id: str, user: str | None, scopes: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {"client_id": client_id, "scope": " ".join(scopes)}
    claims["sub"] = user or client_id
    if user:
        claims["username"] = user
    return claims


def _secret_matches(client: Client, secret: str | None) -> bool:
    if client.client_secret is None or secret is None:
        return False
    return hmac.compare_digest(client.client_secret.encode(), secret.encode())


def _client_id(request: Request) -> str | None:
    """The authenticated client's id (oauthlib sets ``request.client`` once authenticated)."""
    return request.client.client_id if request.client is not None else None

"""The development provider's state, and the glue between Quart and oauthlib."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from oauthlib.common import Request
from oauthlib.oauth2 import WebApplicationServer
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.tokens import TokenBase
from quart import Quart, Response, current_app, request

from .settings import DevProviderSettings
from .store import DevStore
from .users import DevUser
from .validator import DevRequestValidator, proof_thumbprint

if TYPE_CHECKING:
    from .dpop import DPoPChecker
    from .id_tokens import IDTokenSigner

__all__ = [
    "DevProvider",
    "current_provider",
    "error_response",
    "install",
    "oauthlib_response",
    "read_request",
]

_EXTENSION_KEY = "dev_provider"


class DevProvider:
    """Everything the views share: settings, store, oauthlib's server, the ID-token signer.

    Attributes:
        settings: How the provider was started.
        store: What it has issued.
        server: oauthlib's authorization, token, resource and revocation endpoints.
        signer: Signs ID tokens, or ``None`` when ``joserfc`` is not installed.
        dpop: Checks DPoP proofs, or ``None`` when ``joserfc`` is not installed
            (the provider then offers no DPoP and ignores ``DPoP`` headers).
    """

    def __init__(self, settings: DevProviderSettings) -> None:
        self.settings = settings
        self.store = DevStore.for_clients(settings.clients)
        self.validator = DevRequestValidator(self.store, settings)
        self.server = WebApplicationServer(
            self.validator, token_expires_in=settings.access_token_lifetime
        )
        # oauthlib accepts "plain" PKCE too; RFC 9700 §2.1.1 says providers should not.
        # types-oauthlib leaves out GrantTypeBase.custom_validators, oauthlib's hook for this.
        self.server.auth_grant.custom_validators.post_auth.append(require_s256)  # type: ignore[attr-defined]
        self.signer = _make_signer(settings)
        if self.signer is not None:
            self.server.auth_grant.register_token_modifier(self._add_id_token)
        self.dpop = _make_dpop_checker(settings)
        for grant in (self.server.auth_grant, self.server.refresh_grant):
            grant.register_token_modifier(_dpop_token_type)

    def picture_url(self, user: DevUser) -> str:
        """Where the user's avatar is served."""
        return self.settings.url(f"/avatar/{user.username}.svg")

    def _add_id_token(
        self, token: dict[str, Any], token_handler: TokenBase | None, oauth_request: Request | None
    ) -> dict[str, Any]:
        """Add an ``id_token`` to a code exchange that was granted the ``openid`` scope."""
        scopes = (oauth_request.scopes if oauth_request else None) or []
        if self.signer is None or oauth_request is None or "openid" not in scopes:
            return token
        code = self.store.codes[str(oauth_request.code)]
        user = DevUser(code.username)
        token["id_token"] = self.signer.sign(
            claims=user.claims(scopes, self.picture_url(user)),
            audience=code.client_id,
            nonce=code.nonce,
            auth_time=code.auth_time,
        )
        return token


def _dpop_token_type(
    token: dict[str, Any], token_handler: TokenBase | None, oauth_request: Request | None
) -> dict[str, Any]:
    """A token issued to a request with a valid DPoP proof is a DPoP token (RFC 9449 §5)."""
    if proof_thumbprint.get() is not None:
        token["token_type"] = "DPoP"
    return token


def require_s256(oauth_request: Request) -> dict[str, Any]:
    """An oauthlib post-authorization check: the PKCE challenge method must be S256."""
    if oauth_request.code_challenge_method != "S256":
        raise errors.UnsupportedCodeChallengeMethodError(
            description="This provider accepts only S256 PKCE challenges.",
            request=oauth_request,
        )
    return {}


def _make_signer(settings: DevProviderSettings) -> IDTokenSigner | None:
    """An :class:`~.id_tokens.IDTokenSigner`, or ``None`` if ``joserfc`` is missing."""
    try:
        from .id_tokens import IDTokenSigner
    except ImportError:  # joserfc is optional: without it there are just no ID tokens
        return None
    return IDTokenSigner(settings.issuer, lifetime=settings.access_token_lifetime)


def _make_dpop_checker(settings: DevProviderSettings) -> DPoPChecker | None:
    """A :class:`~.dpop.DPoPChecker`, or ``None`` if ``joserfc`` is missing."""
    try:
        from .dpop import DPoPChecker
    except ImportError:  # joserfc is optional: without it there is no DPoP
        return None
    return DPoPChecker(require_nonce=settings.dpop_nonce)


def current_provider() -> DevProvider:
    """The provider of the app handling the current request."""
    return cast(DevProvider, current_app.extensions[_EXTENSION_KEY])


def install(app: Quart, provider: DevProvider) -> None:
    """Make ``provider`` the one :func:`current_provider` returns for ``app``."""
    app.extensions[_EXTENSION_KEY] = provider


async def read_request() -> tuple[str, Any, str | None, dict[str, str]]:
    """The current request as oauthlib takes it: URI, method, body and headers."""
    body = await request.get_data(as_text=True) if request.method == "POST" else None
    # get_data is typed str | bytes for both modes; as_text=True gives str
    return request.url, request.method, cast(str | None, body) or None, dict(request.headers)


def oauthlib_response(headers: dict[str, str], body: str | None, status: int) -> Response:
    """A Quart response from what an oauthlib endpoint returned."""
    return Response(body or "", status=status, headers=headers)


def error_response(error: errors.OAuth2Error) -> Response:
    """The JSON answer for an oauthlib error raised (not returned) by an endpoint."""
    body = json.dumps(dict(error.twotuples))
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **error.headers}
    return Response(body, status=error.status_code, headers=headers)

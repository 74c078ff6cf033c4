"""The endpoints a client calls from its server: token, revocation, userinfo, API, discovery."""

from __future__ import annotations

import json
from typing import Any

from oauthlib.oauth2.rfc6749 import errors
from quart import Blueprint, Response, abort, jsonify
from quart.typing import ResponseReturnValue

from .fortunes import fortune_for
from .provider import current_provider, error_response, oauthlib_response, read_request
from .users import CLAIMS_SUPPORTED, DevUser
from .validator import SUPPORTED_SCOPES

__all__ = ["api"]

api = Blueprint("api", __name__)


@api.post("/token")
async def token() -> ResponseReturnValue:
    """The token endpoint (RFC 6749 §3.2): codes and refresh tokens in, tokens out."""
    uri, method, body, headers = await read_request()
    try:
        out_headers, out, status = current_provider().server.create_token_response(
            uri, method, body, headers
        )
    except errors.OAuth2Error as e:  # oauthlib raises, rather than answers, a few checks
        return error_response(e)
    return oauthlib_response(out_headers, out, status)


@api.post("/revoke")
async def revoke() -> ResponseReturnValue:
    """The revocation endpoint (RFC 7009)."""
    uri, method, body, headers = await read_request()
    try:
        out_headers, out, status = current_provider().server.create_revocation_response(
            uri, method, body, headers
        )
    except errors.OAuth2Error as e:
        return error_response(e)
    return oauthlib_response(out_headers, out, status)


@api.route("/userinfo", methods=["GET", "POST"])
async def userinfo() -> ResponseReturnValue:
    """The user's claims (OpenID Connect Core §5.3), as far as the token's scopes allow."""
    user, scopes = await _bearer_user(required_scopes=[])
    return jsonify(user.claims(scopes, current_provider().picture_url(user)))


@api.get("/api/fortune")
async def fortune() -> ResponseReturnValue:
    """The provider's API: a fortune cookie for the token's user. Needs the ``fortune`` scope."""
    user, _scopes = await _bearer_user(required_scopes=["fortune"])
    return jsonify(fortune_for(user))


@api.get("/.well-known/openid-configuration")
async def discovery() -> ResponseReturnValue:
    """OpenID Connect Discovery 1.0 §3 metadata."""
    return jsonify(_metadata())


@api.get("/.well-known/oauth-authorization-server")
async def oauth_metadata() -> ResponseReturnValue:
    """RFC 8414 §2 authorization server metadata: the same document, at its own path.

    Its own endpoint (not a second route of ``discovery``), so that
    ``url_for`` gives each of the two paths.
    """
    return jsonify(_metadata())


def _metadata() -> dict[str, Any]:
    provider = current_provider()
    url = provider.settings.url
    metadata: dict[str, Any] = {
        "issuer": provider.settings.issuer,
        "authorization_endpoint": url("/authorize"),
        "token_endpoint": url("/token"),
        "revocation_endpoint": url("/revoke"),
        "userinfo_endpoint": url("/userinfo"),
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "claims_supported": list(CLAIMS_SUPPORTED),
    }
    if provider.signer is not None:
        metadata["jwks_uri"] = url("/jwks.json")
        metadata["id_token_signing_alg_values_supported"] = [provider.signer.algorithm]
    return metadata


@api.get("/jwks.json")
async def jwks() -> ResponseReturnValue:
    """The public key that ID tokens are signed with (RFC 7517 JWK set)."""
    signer = current_provider().signer
    if signer is None:
        abort(404)
    return jsonify(signer.jwks())


async def _bearer_user(*, required_scopes: list[str]) -> tuple[DevUser, list[str]]:
    """The user and scopes of the request's bearer token, or a 401/403 answer (RFC 6750 §3)."""
    uri, method, body, headers = await read_request()
    valid, oauth_request = current_provider().server.verify_request(
        uri, method, body, headers, scopes=required_scopes
    )
    if valid:
        return DevUser(str(oauth_request.user)), list(oauth_request.scopes or [])
    if oauth_request.user is None:  # no token, or not one we know: unknown, expired, revoked
        abort(_bearer_error(401, "invalid_token", "The access token is invalid or expired."))
    needed = " ".join(required_scopes)
    abort(_bearer_error(403, "insufficient_scope", f"This needs the scope: {needed}.", needed))


def _bearer_error(status: int, error: str, description: str, scope: str | None = None) -> Response:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    if scope:
        challenge += f', scope="{scope}"'
    body = json.dumps({"error": error, "error_description": description})
    headers = {"WWW-Authenticate": challenge}
    return Response(body, status=status, headers=headers, content_type="application/json")

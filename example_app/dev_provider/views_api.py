"""The endpoints a client calls from its server: token, PAR, revocation, userinfo, API, discovery.

DPoP (RFC 9449): a token request with a valid ``DPoP`` proof gets a DPoP token,
bound to the proof's key; the userinfo and API endpoints then want it as
``Authorization: DPoP <token>`` with a proof by that key. Without a proof,
everything is plain Bearer, as before.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors
from quart import Blueprint, Response, abort, jsonify, request
from quart.typing import ResponseReturnValue

from .fortunes import fortune_for
from .provider import (
    DevProvider,
    current_provider,
    error_response,
    oauthlib_response,
    read_request,
)
from .store import AccessToken, PushedRequest
from .users import CLAIMS_SUPPORTED, DevUser
from .validator import SUPPORTED_SCOPES, proof_thumbprint

#: RFC 9126 §2.2: the ``request_uri`` of a pushed request starts with this URN.
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"

__all__ = ["api"]

api = Blueprint("api", __name__)


@api.post("/token")
async def token() -> ResponseReturnValue:
    """The token endpoint (RFC 6749 §3.2): codes and refresh tokens in, tokens out.

    A ``DPoP`` proof is checked first (RFC 9449 §5); oauthlib then issues the
    token, bound to the proof's key, knowing the key's thumbprint from
    :data:`~.validator.proof_thumbprint`.
    """
    provider = current_provider()
    uri, method, body, headers = await read_request()
    proofs = request.headers.getlist("DPoP")
    jkt = None
    if proofs and provider.dpop is not None:
        from .dpop import DPoPProofError

        try:
            jkt = provider.dpop.check(proofs, method=method, url=uri)
        except DPoPProofError as e:
            return _with_nonce(_json_error(400, e.error, e.description), provider)
    bound = proof_thumbprint.set(jkt)
    try:
        out_headers, out, status = provider.server.create_token_response(uri, method, body, headers)
    except errors.OAuth2Error as e:  # oauthlib raises, rather than answers, a few checks
        return _with_nonce(error_response(e), provider)
    finally:
        proof_thumbprint.reset(bound)
    return _with_nonce(oauthlib_response(out_headers, out, status), provider)


@api.post("/par")
async def pushed_authorization_request() -> ResponseReturnValue:
    """The pushed authorization request endpoint (RFC 9126 §2).

    The client authenticates as at the token endpoint and posts what it would
    have put in the authorization URL; oauthlib checks it all now (client,
    redirect URI, scopes, PKCE). The answer's ``request_uri`` stands for it at
    the authorization endpoint, once, for ``par_lifetime`` seconds.
    """
    provider = current_provider()
    uri, method, body, headers = await read_request()
    client_id = _authenticated_client(provider, OAuthlibRequest(uri, method, body, headers))
    if client_id is None:
        return _json_error(401, "invalid_client", "Client authentication failed.")
    form = await request.form
    if any(len(form.getlist(name)) > 1 for name in form):
        return _json_error(400, "invalid_request", "A parameter was sent more than once.")
    params = {name: value for name, value in form.items() if name != "client_secret"}
    if "request_uri" in params:  # RFC 9126 §2.1
        return _json_error(400, "invalid_request", "request_uri cannot be pushed.")
    if params.setdefault("client_id", client_id) != client_id:
        return _json_error(400, "invalid_request", "client_id is not the authenticated client.")
    authorize_url = provider.settings.url("/authorize") + "?" + urlencode(params)
    try:
        provider.server.validate_authorization_request(authorize_url, "GET", None, {})
    except errors.OAuth2Error as e:
        return error_response(e)
    provider.store.forget_expired()
    request_uri = REQUEST_URI_PREFIX + secrets.token_urlsafe(24)
    lifetime = provider.settings.par_lifetime
    provider.store.pushed[request_uri] = PushedRequest(client_id, params, time.time() + lifetime)
    answer = json.dumps({"request_uri": request_uri, "expires_in": lifetime})
    return Response(
        answer,
        status=201,
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _authenticated_client(provider: DevProvider, oauth_request: OAuthlibRequest) -> str | None:
    """The id of the client the request authenticates (as at the token endpoint), or None."""
    validator = provider.validator
    if validator.client_authentication_required(oauth_request):
        authenticated = validator.authenticate_client(oauth_request)
    else:  # a public client names itself; PKCE and the redirect URI protect it
        client_id = oauth_request.client_id
        authenticated = bool(client_id) and validator.authenticate_client_id(
            str(client_id), oauth_request
        )
    return str(oauth_request.client_id) if authenticated else None


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
        "pushed_authorization_request_endpoint": url("/par"),
        "require_pushed_authorization_requests": provider.settings.require_par,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "subject_types_supported": ["public"],
        "claims_supported": list(CLAIMS_SUPPORTED),
    }
    if provider.signer is not None:
        metadata["jwks_uri"] = url("/jwks.json")
        metadata["id_token_signing_alg_values_supported"] = [provider.signer.algorithm]
    if provider.dpop is not None:
        from .dpop import SIGNING_ALGORITHMS

        metadata["dpop_signing_alg_values_supported"] = list(SIGNING_ALGORITHMS)
    return metadata


@api.get("/jwks.json")
async def jwks() -> ResponseReturnValue:
    """The public key that ID tokens are signed with (RFC 7517 JWK set)."""
    signer = current_provider().signer
    if signer is None:
        abort(404)
    return jsonify(signer.jwks())


async def _bearer_user(*, required_scopes: list[str]) -> tuple[DevUser, list[str]]:
    """The user and scopes of the request's access token, or a 401/403 answer.

    A bearer token as RFC 6750 §3 says; a DPoP-bound token only as ``DPoP``,
    with a proof by its key (RFC 9449 §7).
    """
    provider = current_provider()
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "dpop" and provider.dpop is not None:
        access = await _dpop_bound_token(provider, presented.strip())
        if not all(scope in access.scopes for scope in required_scopes):
            needed = " ".join(required_scopes)
            abort(_dpop_error(403, "insufficient_scope", f"This needs the scope: {needed}."))
        return DevUser(access.username), list(access.scopes)
    if scheme.lower() == "bearer":
        bearer = provider.store.active_access_token(presented.strip())
        if bearer is not None and bearer.jkt is not None:
            description = "This token is DPoP-bound: send it as DPoP, with a proof."
            abort(_dpop_error(401, "invalid_token", description))
    uri, method, body, headers = await read_request()
    valid, oauth_request = provider.server.verify_request(
        uri, method, body, headers, scopes=required_scopes
    )
    if valid:
        return DevUser(str(oauth_request.user)), list(oauth_request.scopes or [])
    if oauth_request.user is None:  # no token, or not one we know: unknown, expired, revoked
        abort(_bearer_error(401, "invalid_token", "The access token is invalid or expired."))
    needed = " ".join(required_scopes)
    abort(_bearer_error(403, "insufficient_scope", f"This needs the scope: {needed}.", needed))


async def _dpop_bound_token(provider: DevProvider, presented: str) -> AccessToken:
    """The record of a ``DPoP`` token whose proof checks out, or a 401 answer (RFC 9449 §7.1)."""
    from .dpop import DPoPProofError

    assert provider.dpop is not None  # noqa: S101 -- the caller checked
    access = provider.store.active_access_token(presented)
    if access is None or access.jkt is None:
        abort(_dpop_error(401, "invalid_token", "The access token is invalid or expired."))
    try:
        jkt = provider.dpop.check(
            request.headers.getlist("DPoP"),
            method=request.method,
            url=request.url,
            access_token=presented,
        )
    except DPoPProofError as e:
        abort(_dpop_error(401, e.error, e.description))
    if jkt != access.jkt:
        abort(_dpop_error(401, "invalid_token", "The proof's key is not the token's."))
    return access


def _dpop_error(status: int, error: str, description: str) -> Response:
    """A DPoP challenge (RFC 9449 §7.1), with a fresh nonce when the provider wants one."""
    from .dpop import SIGNING_ALGORITHMS

    algs = " ".join(SIGNING_ALGORITHMS)
    quoted = description.replace("\\", "").replace('"', "'")  # a quoted-string (RFC 9110)
    challenge = f'DPoP error="{error}", error_description="{quoted}", algs="{algs}"'
    response = _json_error(status, error, description)
    response.headers["WWW-Authenticate"] = challenge
    return _with_nonce(response, current_provider())


def _with_nonce(response: Response, provider: DevProvider) -> Response:
    """``response`` with the ``DPoP-Nonce`` header, when the provider demands nonces."""
    nonce = provider.dpop.nonce() if provider.dpop is not None else None
    if nonce is not None:
        response.headers["DPoP-Nonce"] = nonce
    return response


def _json_error(status: int, error: str, description: str) -> Response:
    body = json.dumps({"error": error, "error_description": description})
    headers = {"Cache-Control": "no-store"}
    return Response(body, status=status, headers=headers, content_type="application/json")


def _bearer_error(status: int, error: str, description: str, scope: str | None = None) -> Response:
    challenge = f'Bearer error="{error}", error_description="{description}"'
    if scope:
        challenge += f', scope="{scope}"'
    body = json.dumps({"error": error, "error_description": description})
    headers = {"WWW-Authenticate": challenge}
    return Response(body, status=status, headers=headers, content_type="application/json")

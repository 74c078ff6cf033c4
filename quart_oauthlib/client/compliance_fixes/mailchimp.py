"""Mailchimp: ``"scope": null`` and ``"expires_in": 0`` in token answers.

Mailchimp answers ``{"access_token": ..., "token_type": "bearer",
"expires_in": 0, "scope": null}``. Its tokens never expire and it issues no
refresh token (https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/).
A ``null`` scope is not a scope (RFC 6749 §3.3), and ``expires_in: 0`` reads
as "expired now" to code that takes it literally, so both are dropped.

requests-oauthlib's fix replaced the 0 with 3600 instead, which makes a
session treat a token that never expires as expired after an hour, with no
refresh token to renew it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._token_endpoint import TokenResponse
from ._common import json_object, replace_body

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def _drop_null_scope_and_zero_expiry(response: TokenResponse) -> TokenResponse:
    body = json_object(response)
    if body is None:
        return response
    changed = False
    if "scope" in body and body["scope"] is None:
        del body["scope"]
        changed = True
    if "expires_in" in body and body["expires_in"] in (0, "0"):
        del body["expires_in"]
        changed = True
    return replace_body(response, body) if changed else response


def mailchimp_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Drop Mailchimp's ``null`` scope and its ``expires_in: 0`` (tokens never expire).

    Returns:
        ``session``, with the hook registered.
    """
    session.register_compliance_hook("access_token_response", _drop_null_scope_and_zero_expiry)
    return session

"""What the compliance fixes share: reading and rewriting a token answer safely.

requests-oauthlib's fixes call ``json.loads(r.text)`` unguarded, so an HTML
error page or an empty body made the *fix* raise ``JSONDecodeError`` and hid
what the provider said. Here a body that is not a JSON object is left alone,
and the session reports it with its status and content type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from oauthlib.common import add_params_to_uri

from .._token_endpoint import ResponseHook, TokenResponse

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session


def json_object(response: TokenResponse) -> dict[str, Any] | None:
    """The answer's body as a JSON object, or None when it is not one."""
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def replace_body(response: TokenResponse, body: dict[str, Any]) -> TokenResponse:
    """Make ``body`` (as JSON) what the session parses; return the response."""
    response.text = json.dumps(body)
    return response


def media_type(response: TokenResponse) -> str:
    """The answer's media type, lower-case and without parameters ("" if absent).

    Header names are matched case-insensitively even when a hook or a test
    built the response with a plain ``dict`` of headers.
    """
    value = response.headers.get("Content-Type")
    if value is None:
        value = next((v for k, v in response.headers.items() if k.lower() == "content-type"), "")
    return value.split(";")[0].strip().lower()


def on_token_responses(session: OAuth2Session, hook: ResponseHook) -> None:
    """Register ``hook`` for both token answers: fetching and refreshing."""
    session.register_compliance_hook("access_token_response", hook)
    session.register_compliance_hook("refresh_token_response", hook)


def add_missing_token_type(response: TokenResponse) -> TokenResponse:
    """Call a token answer without ``token_type`` a Bearer token (Douban, Weibo)."""
    body = json_object(response)
    if body is None or "access_token" not in body or body.get("token_type"):
        return response
    body["token_type"] = "Bearer"
    return replace_body(response, body)


RequestHook = Callable[[str, dict[str, str], Any], tuple[str, dict[str, str], Any]]


def query_token_hook(session: OAuth2Session, parameter: str) -> RequestHook:
    """A ``protected_request`` hook adding the access token as query ``parameter``.

    The token is read per request, not when the hook is made: it may have been
    refreshed. A URL that already has ``parameter`` (to use another token) is
    left as it is.
    """

    def add_query_token(
        url: str, headers: dict[str, str], data: Any
    ) -> tuple[str, dict[str, str], Any]:
        token = session.access_token
        if token and not parse_qs(urlsplit(url).query).get(parameter):
            url = add_params_to_uri(url, [(parameter, token)])
        return url, headers, data

    return add_query_token

"""Slack: token answers with bot/user token types, and the legacy ``token`` parameter.

Slack's token endpoints (``oauth.v2.access``, ``openid.connect.token``)
differ from RFC 6749 §5.1 and §5.2 in three ways
(https://api.slack.com/methods/oauth.v2.access):

* failures are HTTP 200 with ``{"ok": false, "error": "invalid_code"}``;
* a bot token comes with ``"token_type": "bot"``; both bot and user tokens are
  bearer tokens, and the session would otherwise reject the unknown type;
* when only user scopes were asked for, the user token is nested under
  ``authed_user`` (with ``"token_type": "user"``) and the top level holds none.

Slack's Web API historically read the token from a ``token`` form parameter,
which requests-oauthlib's fix adds to every request. Here it is added to form
``data`` (a ``dict``) only: the session also sends ``Authorization: Bearer``,
which every Web API method accepts (https://api.slack.com/web#authentication).
The original also put the token in the query string when the body was not a
dict, which Slack refuses for apps created since February 2021 and which
leaks the token into logs, mutated the caller's dict, and gave GET requests a
body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .._token_endpoint import TokenResponse
from ._common import json_object, on_token_responses, replace_body

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session

_SLACK_TOKEN_TYPES = frozenset({"bot", "user", "bearer"})


def _normalise_token_answer(response: TokenResponse) -> TokenResponse:
    body = json_object(response)
    if body is None:
        return response
    if body.get("ok") is False:
        body.setdefault("error", "invalid_request")
        return replace_body(response, body)
    user = body.get("authed_user")
    if "access_token" not in body and isinstance(user, dict) and "access_token" in user:
        body.update({k: v for k, v in user.items() if k != "id"})
    token_type = body.get("token_type")
    if "access_token" in body and (
        token_type is None or str(token_type).lower() in _SLACK_TOKEN_TYPES
    ):
        body["token_type"] = "Bearer"
    return replace_body(response, body)


def slack_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Make Slack's token answers RFC 6749 compliant, and send ``token`` in forms.

    Returns:
        ``session``, with the hooks registered.
    """

    def add_form_token(
        url: str, headers: dict[str, str], data: Any
    ) -> tuple[str, dict[str, str], Any]:
        # A token given explicitly (in the query or the form) is left as it is.
        if not isinstance(data, dict) or "token" in data:
            return url, headers, data
        if parse_qs(urlsplit(url).query).get("token") or not session.access_token:
            return url, headers, data
        return url, headers, {**data, "token": session.access_token}

    on_token_responses(session, _normalise_token_answer)
    session.register_compliance_hook("protected_request", add_form_token)
    return session

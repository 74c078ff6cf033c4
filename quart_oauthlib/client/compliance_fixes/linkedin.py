"""LinkedIn (legacy v1 API): no ``token_type``, and the token as ``oauth2_access_token``.

This fix is for LinkedIn's **legacy** OAuth 2 / v1 REST API
(``https://api.linkedin.com/v1/...``) only, which differed from RFC 6749 and
RFC 6750 in two ways:

* its token answers (``https://www.linkedin.com/oauth/v2/accessToken``) held
  ``access_token`` and ``expires_in`` but no ``token_type`` (RFC 6749 §5.1);
* its API read the token from an ``oauth2_access_token`` query parameter, not
  from ``Authorization: Bearer`` nor from RFC 6750's ``access_token`` parameter.

LinkedIn's current API ("Sign In with LinkedIn using OpenID Connect",
``https://api.linkedin.com/v2/userinfo``, used by the ``linkedin`` provider
preset) answers standard tokens and takes the ``Authorization`` header: it
needs no fix, and this one would break it.

The session runs ``protected_request`` hooks *before* it puts the token on a
request, so the hook adding ``oauth2_access_token`` could not stop the header
by itself. The fix therefore also tells the session's oauthlib client to leave
placement to the hook. Merely switching the client to query placement, as
requests-oauthlib's fix did, added ``access_token`` next to
``oauth2_access_token``, which LinkedIn refused with 403 "Unpermitted fields
present in PARAMETER" (requests-oauthlib issue #377).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from oauthlib.oauth2 import Client
from oauthlib.oauth2.rfc6749.clients.base import AUTH_HEADER, URI_QUERY

from ._common import add_missing_token_type, on_token_responses, query_token_hook

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session

# The query parameter LinkedIn's v1 API reads the access token from.
_TOKEN_PARAMETER: Final = "oauth2_access_token"

# Marks the add_token that only checks, so that applying the fix twice is harmless.
_CHECKS_ONLY: Final = "_quart_oauthlib_checks_only"


def _leave_placement_to_hooks(client: Client) -> None:
    """Make ``client.add_token`` check the token but add it nowhere.

    oauthlib's own checks (HTTPS, a known token type, a token at all, not
    expired) still run: the token is placed in a throwaway header, which is
    then dropped. The client is changed on the instance, as the session may
    have been given any oauthlib client class.
    """
    if getattr(client.add_token, _CHECKS_ONLY, False):
        return  # the fix was applied twice
    check = client.add_token

    def check_token_only(
        uri: str,
        http_method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        token_placement: str | None = None,
        **kwargs: Any,
    ) -> tuple[str, dict[str, str] | None, Any]:
        check(uri, headers={}, token_placement=AUTH_HEADER)
        return uri, headers, body

    setattr(check_token_only, _CHECKS_ONLY, True)
    setattr(client, "add_token", check_token_only)  # noqa: B010
    # Anything but the header, so that the session calls add_token rather than
    # building the header itself. (The token does go in the query, under its
    # LinkedIn name.)
    client.default_token_placement = URI_QUERY


def linkedin_compliance_fix(session: OAuth2Session) -> OAuth2Session:
    """Adapt a session to LinkedIn's legacy v1 API (not its current OpenID Connect API).

    Token answers, first and refreshed, get the missing ``"token_type": "Bearer"``.
    Each authorized request carries the access token as the
    ``oauth2_access_token`` query parameter (after the URL's own parameters)
    and no ``Authorization`` header. A URL that already has an
    ``oauth2_access_token`` (to use another token) is sent as it is.

    Do not apply it to sessions for ``https://api.linkedin.com/v2/`` or the
    ``linkedin`` provider preset: LinkedIn's current API wants the header.

    Returns:
        ``session``, with the hooks registered.
    """

    on_token_responses(session, add_missing_token_type)
    session.register_compliance_hook(
        "protected_request", query_token_hook(session, _TOKEN_PARAMETER)
    )
    _leave_placement_to_hooks(session._client)
    return session

"""Signals, sent with the app as sender (Quart's style); connect with ``@signal.connect``.

Receivers may be sync or async: they are sent through
``send_async(..., _sync_wrapper=app.ensure_async)``. Each receiver's
signature::

    oauth_before_login(app, *, provider: str, url: str) -> Response | None
        Just before redirecting to the provider's ``url``. Return a response
        to send it instead of the redirect.

    oauth_authorized(app, *, provider: str, token: dict,
                     id_token_claims: dict, userinfo: dict | None) -> False | Response | None
        After a successful callback, before the token is stored. Return
        ``False`` to skip storing it (you stored it yourself), or a response
        to skip storing it and answer with that response. For an OpenID
        provider (``server_metadata_url``) only, the receiver also gets the
        validated ID token's claims and the userinfo answer (its ``sub``
        checked; None without a userinfo endpoint), so accept ``**kwargs``.
        ``token`` still holds the raw ``id_token`` there, which is not stored.

    oauth_error(app, *, provider: str, error: str, description: str,
                exception: CallbackError) -> Response | None
        A login failed: the provider answered ``error=...``, the state did not
        match, the code exchange failed... Return a response to answer with it
        instead of the default error page.

    token_updated(app, *, provider: str, user_id: str, token: dict) -> None
        A token was refreshed and written back to the store.
"""

from __future__ import annotations

from typing import Any

from blinker import NamedSignal, Namespace
from quart import current_app

__all__ = ["oauth_authorized", "oauth_before_login", "oauth_error", "send", "token_updated"]

_signals = Namespace()

oauth_before_login = _signals.signal("oauth-before-login")
oauth_authorized = _signals.signal("oauth-authorized")
oauth_error = _signals.signal("oauth-error")
token_updated = _signals.signal("oauth-token-updated")


async def send(signal: NamedSignal, **kwargs: Any) -> list[Any]:
    """Send ``signal`` from the current app; return the receivers' return values."""
    if not signal.receivers:
        return []
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug LocalProxy
    results = await signal.send_async(app, _sync_wrapper=app.ensure_async, **kwargs)
    return [value for _receiver, value in results]

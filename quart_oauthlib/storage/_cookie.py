"""How large the session cookie will be: browsers drop one over about 4 KB, silently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from quart import current_app
from quart.sessions import SecureCookieSessionInterface

__all__ = ["MAX_COOKIE_BYTES", "session_cookie_size"]

#: Browsers keep cookies whose name and value fit in 4096 bytes; leave room.
MAX_COOKIE_BYTES: Final = 4000


def session_cookie_size(data: Mapping[str, Any]) -> int | None:
    """The bytes of ``name=value`` that a session holding ``data`` would be sent as.

    None when the app's sessions are not signed cookies (a server-side session
    sends an id only), or when there is no SECRET_KEY (Quart then keeps none).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # werkzeug LocalProxy
    interface = app.session_interface
    if not isinstance(interface, SecureCookieSessionInterface):
        return None
    serializer = interface.get_signing_serializer(app)
    if serializer is None:
        return None
    return len(interface.get_cookie_name(app)) + 1 + len(serializer.dumps(dict(data)))

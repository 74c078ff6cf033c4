"""The provider's own pages for 400, 404 and 405, in its look rather than Werkzeug's.

Only errors raised with a status code land here: answers built whole and passed
to ``abort`` (the JSON bearer-token errors, the redirects back to the client)
carry no code of their own and go out unchanged.
"""

from __future__ import annotations

from quart import Quart, Response, render_template, request
from quart.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

__all__ = ["install_error_pages"]

_TITLES = {
    400: "Bad request",
    404: "Page not found",
    405: "Not available this way",
}


async def http_error(error: HTTPException) -> ResponseReturnValue:
    """A page for ``error``, keeping its status and headers (a 405's ``Allow``)."""
    status = error.code or 500
    if status == 404:
        detail = f"There is no page at {request.path} on this provider."
    elif status == 405:
        detail = f"{request.path} does not answer a {request.method} request."
    else:
        # Our own abort() calls give a description written to be shown.
        detail = error.description or ""
    page = await render_template(
        "dev_provider/http_error.html", title=_TITLES.get(status, error.name), detail=detail
    )
    response = Response(page, status=status)
    for key, value in error.get_headers():
        if key.lower() != "content-type":
            response.headers[key] = value
    return response


def install_error_pages(app: Quart) -> None:
    """Answer 400, 404 and 405 on ``app`` with the provider's pages."""
    for status in _TITLES:
        app.register_error_handler(status, http_error)

"""Where to send the user after a login or logout: never off-site.

``next`` arrives from the query string, which anyone can write. Only a local
path survives :func:`safe_next`; everything else (other hosts, ``//host``,
``/\\host``, ``javascript:``, control characters, and the percent-encoded
forms of all of these) is dropped in favour of the configured default, and so
is a ``next`` longer than 512 characters.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote, urlsplit

from quart import request

__all__ = ["current_path", "safe_next", "wants_json"]

#: Longer ``next`` values are dropped: each pending login keeps its ``next`` in the
#: session cookie, which must stay well under the 4 KB browsers keep.
_MAX_LENGTH: Final = 512
_DECODE_ROUNDS: Final = 4


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site, else None.

    A full URL pointing at the current host is reduced to its path, so a link
    built with ``url_for(..., _external=True)`` still works.
    """
    if not value or len(value) > _MAX_LENGTH:
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != request.host:
            return None
        value = parts.path or "/"
        if parts.query:
            value += "?" + parts.query
        if parts.fragment:
            value += "#" + parts.fragment
    return value if _is_local_path(value) else None


def _is_local_path(value: str) -> bool:
    candidate = value
    for _ in range(_DECODE_ROUNDS):
        if not _plain_local_path(candidate):
            return False
        decoded = unquote(candidate)
        if decoded == candidate:
            return True
        candidate = decoded
    return False  # still changing after several rounds: nobody needs that


def _plain_local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return False
    path = value.split("?", 1)[0].split("#", 1)[0]
    if "\\" in path:  # browsers read a backslash in the path as a slash
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def current_path() -> str:
    """The path and query of the current request, for ``next``."""
    query = request.query_string.decode("latin-1")
    return request.path + ("?" + query if query else "")


def wants_json() -> bool:
    """True when the client prefers JSON to HTML (``fetch`` with ``Accept: application/json``)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"

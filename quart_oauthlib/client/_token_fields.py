"""The fields of a token answer: each of the type RFC 6749 §5.1 gives it, or refused.

A provider's answer reaches headers (the access token), stores (the whole
token) and arithmetic (``expires_in``). A field of the wrong type would break
one of them later, as an untyped exception far from its cause; here it is a
:class:`~quart_oauthlib.TokenResponseError` at the exchange, before anything is
stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ..errors import TokenResponseError

__all__ = ["MAX_EXPIRES_IN", "check_fields"]

#: The longest ``expires_in`` taken at its word (ten years); beyond it the answer is broken.
MAX_EXPIRES_IN: float = 10 * 365 * 24 * 3600.0
#: The latest ``expires_at`` taken at its word (epoch seconds, the year 5138).
_MAX_EPOCH: float = 1e11
#: Characters a token may not hold: controls would split or end an HTTP header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Access and refresh tokens are 1*VSCHAR (RFC 6749 Appendix A.12, A.17).
_VSCHARS = re.compile(r"[\x20-\x7e]+")
#: An integer as a string ("3600"), as form-encoded answers and some JSON ones send it.
_DECIMAL = re.compile(r"-?[0-9]{1,20}")
#: The string tokens of an answer, which end up in headers, forms and stores.
_TOKEN_STRINGS = ("access_token", "refresh_token", "id_token", "token_type")


def check_fields(params: Mapping[str, Any], status: int, content_type: str) -> None:
    """Refuse a token answer whose fields would break the token or what stores it.

    RFC 6749 §5.1 fixes each field's type; an answer that breaks it (an
    ``expires_in`` of ``"soon"`` or ``1e400``, a number as ``scope``, a token
    with a line break) is no token, and is never handed to oauthlib or stored.

    Args:
        params: The answer's parameters (a successful answer with an access token).
        status: Its HTTP status, for the error.
        content_type: Its media type, for the error.

    Raises:
        TokenResponseError: A field has the wrong type or an absurd value.
    """

    def refuse(what: str) -> TokenResponseError:
        return TokenResponseError(
            f"The token endpoint answered an unusable token: {what}.",
            status=status,
            content_type=content_type,
        )

    for name in _TOKEN_STRINGS:
        if name not in params:
            continue
        value = params[name]
        if not isinstance(value, str):
            raise refuse(f"{name} is not a string")
        if not value and name in ("access_token", "token_type"):
            raise refuse(f"{name} is empty")
        if _CONTROL.search(value):
            raise refuse(f"{name} holds control characters")
        if name in ("access_token", "refresh_token") and value and not _VSCHARS.fullmatch(value):
            raise refuse(f"{name} holds characters outside printable ASCII")
    # "expires_in": null is read as absent, by oauthlib too.
    if (
        params.get("expires_in") is not None
        and _seconds(params["expires_in"], MAX_EXPIRES_IN) is None
    ):
        raise refuse("expires_in is not a sane number of seconds")
    if "expires_at" in params and _seconds(params["expires_at"], _MAX_EPOCH) is None:
        raise refuse("expires_at is not a sane number of seconds")
    scope = params.get("scope")
    if scope is not None and not (
        isinstance(scope, str)
        or (isinstance(scope, list) and all(isinstance(s, str) for s in scope))
    ):
        raise refuse("scope is neither a string nor a list of strings")


def _seconds(value: Any, limit: float) -> float | None:
    """A finite number of seconds within ``±limit``, from a JSON number or a decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            return None
        value = int(value)
    if not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        if abs(value) > limit:  # compared as ints: 4,000 digits never become a float
            return None
    elif not math.isfinite(value) or abs(value) > limit:  # NaN, Infinity, 1e400
        return None
    return float(value)

"""The userinfo endpoint (OIDC Core §5.3), with the ``sub`` check of §5.3.2."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import aiohttp

from ...errors import TokenResponseError, UserInfoError, UserInfoMismatchError
from .._transport import read_bounded, with_deadline
from ._fetch import DEFAULT_FETCH_TIMEOUT, MAX_DOCUMENT_BYTES, parse_json_object

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session

__all__ = ["check_userinfo_subject", "fetch_userinfo"]


async def fetch_userinfo(
    session: OAuth2Session,
    url: str,
    *,
    id_token: Mapping[str, Any] | None = None,
    timeout: float | None = DEFAULT_FETCH_TIMEOUT,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> dict[str, Any]:
    """Fetch the user's claims with the session's access token.

    The request goes through the session, so an expired token is refreshed
    first (with ``auto_refresh_url``). Redirects are not followed, so the
    access token is only sent to ``url``.

    Args:
        session: An authorized session.
        url: The provider's ``userinfo_endpoint``.
        id_token: The validated ID token's claims (an
            :class:`~quart_oauthlib.client.oidc.IDToken` will do). When given,
            the userinfo ``sub`` must equal its ``sub``; always pass it when
            you have it.
        timeout: Total deadline in seconds.
        max_bytes: The largest answer accepted.

    Raises:
        UserInfoMismatchError: The ``sub`` differs from the ID token's.
        UserInfoError: The answer is not a JSON object with a ``sub`` (signed
            or encrypted userinfo, ``application/jwt``, is not supported).
        DeadlineExceededError: The deadline passed.
    """

    async def exchange() -> tuple[int, str, bytes]:
        async with session.get(
            url,
            headers={"Accept": "application/json"},
            allow_redirects=False,
            raise_for_status=False,
        ) as resp:
            return resp.status, resp.content_type, await read_bounded(resp, max_bytes)

    try:
        status, content_type, body = await with_deadline(
            exchange(), timeout, "The userinfo request", session_timeout=session.http.timeout
        )
    except TokenResponseError as exc:
        raise UserInfoError(
            f"The userinfo answer is larger than {max_bytes} bytes.", status=exc.status
        ) from exc
    except aiohttp.ClientError as exc:
        # The type only: an aiohttp error's repr can carry request headers (the token).
        raise UserInfoError(f"The userinfo request failed ({type(exc).__name__}).") from exc
    if status == 200 and content_type == "application/jwt":
        raise UserInfoError("Signed or encrypted userinfo (application/jwt) is not supported.")
    claims = parse_json_object(
        status,
        content_type,
        body,
        url=url,
        what="The userinfo answer",
        error=UserInfoError,
        quote_body=False,
    )
    if id_token is not None:
        check_userinfo_subject(claims, id_token)
    elif not isinstance(claims.get("sub"), str):
        raise UserInfoError("The userinfo answer has no sub.")
    return claims


def check_userinfo_subject(userinfo: Mapping[str, Any], id_token: Mapping[str, Any]) -> None:
    """OIDC Core §5.3.2: the userinfo ``sub`` must be exactly the ID token's.

    Raises:
        UserInfoMismatchError: It is missing or differs.
    """
    sub = userinfo.get("sub")
    if not isinstance(sub, str) or sub != id_token.get("sub"):
        raise UserInfoMismatchError(
            "The userinfo sub is missing or not the ID token's sub; the claims "
            "may be someone else's and were not used."
        )

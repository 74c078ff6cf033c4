"""RFC 8628 device authorization grant: show a code, poll until the user approves.

For a tool without a browser at hand (a server over SSH, a container): the
user types a short code into a page on another device, and the tool polls the
token endpoint meanwhile, at the pace the provider asks for.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeGuard

import aiohttp

from ...errors import (
    AuthorizationError,
    DeadlineExceededError,
    DeviceCodeExpiredError,
    LoginDeniedError,
    LoginTimeoutError,
    TokenResponseError,
)
from .._oauth2_grant import choose_client_authentication, scope_string
from .._resource_indicators import Resource, add_to_form, resource_list
from .._token_endpoint import TokenResponse, describe_body, post_form
from .._transport import maybe_await, require_secure_transport

if TYPE_CHECKING:
    # The base class, not OAuth2Session: that module offers device_login, so importing
    # it here would close an import circle.
    from .._oauth2_base import OAuth2SessionBase as OAuth2Session
    from .._oauth2_base import Token

__all__ = ["DEVICE_CODE_GRANT", "DeviceAuthorization", "DeviceCodeHandler", "device_login"]

log = logging.getLogger("quart_oauthlib")

DEVICE_CODE_GRANT: Final = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 §3.2: the polling interval when the provider names none.
DEFAULT_INTERVAL: Final = 5.0
#: RFC 8628 §3.5: how much longer to wait after each ``slow_down``.
SLOW_DOWN_STEP: Final = 5.0
#: Never poll faster than this, whatever the provider says.
MIN_INTERVAL: Final = 1.0

#: Shows the code: ``on_code(user_code, verification_uri, verification_uri_complete, expires_in)``.
DeviceCodeHandler = Callable[[str, str, "str | None", int], "Awaitable[None] | None"]


@dataclass(frozen=True)
class DeviceAuthorization:
    """The device authorization endpoint's answer (RFC 8628 §3.2).

    ``device_code`` is a secret of this login: it is left out of the ``repr``.
    """

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: float
    device_code: str

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(user_code={self.user_code!r}, "
            f"verification_uri={self.verification_uri!r}, expires_in={self.expires_in})"
        )

    @classmethod
    def from_response(cls, response: TokenResponse) -> DeviceAuthorization:
        """Check and type the answer.

        Raises:
            AuthorizationError: The endpoint answered an error.
            TokenResponseError: The answer is not a device authorization.
        """
        try:
            params = json.loads(response.text)
        except ValueError:
            params = None
        if isinstance(params, dict) and isinstance(params.get("error"), str):
            raise _error(params, "The device authorization endpoint")
        if not 200 <= response.status < 300 or not isinstance(params, dict):
            raise TokenResponseError(
                f"The device authorization endpoint answered status {response.status} with "
                f"{response.content_type or 'no content type'}: {describe_body(response)}",
                status=response.status,
                content_type=response.content_type,
            )
        strings = {}
        for name in ("device_code", "user_code", "verification_uri"):
            value = params.get(name)
            if not isinstance(value, str) or not value:
                raise TokenResponseError(
                    f"The device authorization answer has no {name}.", status=response.status
                )
            strings[name] = value
        complete = params.get("verification_uri_complete")
        expires_in = params.get("expires_in")
        interval = params.get("interval", DEFAULT_INTERVAL)
        if not _is_number(expires_in) or expires_in <= 0:
            raise TokenResponseError(
                "The device authorization answer has no positive expires_in.",
                status=response.status,
            )
        if not _is_number(interval) or interval < 0:
            raise TokenResponseError(
                "The device authorization answer's interval is not a number of seconds.",
                status=response.status,
            )
        return cls(
            user_code=strings["user_code"],
            verification_uri=strings["verification_uri"],
            verification_uri_complete=complete if isinstance(complete, str) and complete else None,
            expires_in=int(expires_in),
            interval=max(float(interval), MIN_INTERVAL),
            device_code=strings["device_code"],
        )


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _error(params: Mapping[str, Any], who: str) -> AuthorizationError:
    error = str(params["error"])
    description = params.get("error_description")
    description = description if isinstance(description, str) else None
    uri = params.get("error_uri")
    error_type: type[AuthorizationError] = {
        "access_denied": LoginDeniedError,
        "expired_token": DeviceCodeExpiredError,
    }.get(error, AuthorizationError)
    return error_type(
        f"{who} answered {error!r}" + (f": {description}" if description else "."),
        error=error,
        description=description,
        uri=uri if isinstance(uri, str) else None,
    )


def printable(text: str) -> str:
    """``text`` without control characters: a provider's strings must not drive the terminal
    (an escape sequence in a "user code" could rewrite what the user sees)."""
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)


def print_code(
    user_code: str, verification_uri: str, verification_uri_complete: str | None, expires_in: int
) -> None:
    """The default ``on_code``: tell the user where to go, on stderr (stdout stays the script's).

    With the optional ``segno`` package installed (``pip install quart-oauthlib[cli]``)
    a QR code of the complete URI is drawn too, for a phone's camera.
    """
    out = sys.stderr
    user_code, verification_uri = printable(user_code), printable(verification_uri)
    print(f"To sign in, visit {verification_uri} and enter the code: {user_code}", file=out)
    if verification_uri_complete:
        verification_uri_complete = printable(verification_uri_complete)
        print(f"Or open {verification_uri_complete}", file=out)
        try:
            import segno
        except ImportError:
            pass
        else:
            segno.make(verification_uri_complete).terminal(out=out, compact=True)
    print(f"The code expires in {expires_in // 60} minutes.", file=out, flush=True)


async def device_login(
    session: OAuth2Session,
    device_authorization_url: str,
    token_url: str,
    *,
    on_code: DeviceCodeHandler | None = None,
    timeout: float | None = None,
    resource: Resource | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **kwargs: Any,
) -> Token:
    """Log the user in with the device authorization grant (RFC 8628).

    See :meth:`quart_oauthlib.OAuth2Session.device_login`.
    """
    clock = clock or time.monotonic
    sleep = sleep or asyncio.sleep
    require_secure_transport(device_authorization_url)
    require_secure_transport(token_url)
    resources = resource_list(resource)
    authorization_header, include_client_id, _ = choose_client_authentication(
        session.client_id, None, None, session.client_secret
    )
    headers = {"Accept": "application/json"}
    if authorization_header:
        headers["Authorization"] = authorization_header
    identity: dict[str, str] = {}
    if include_client_id and session.client_id:
        identity["client_id"] = session.client_id

    form = dict(identity)
    scope = scope_string(session.scope)
    if scope:
        form["scope"] = scope
    form.update({key: str(value) for key, value in kwargs.items()})
    answer = await post_form(
        session.http,
        "POST",
        device_authorization_url,
        form=add_to_form(form, resources),
        headers=headers,
        as_query=False,
        timeout=None,
        request_options={},
    )
    grant = DeviceAuthorization.from_response(answer)
    started = clock()
    deadline = started + grant.expires_in
    if timeout is not None:
        deadline = min(deadline, started + timeout)
    show = on_code or print_code
    complete = grant.verification_uri_complete
    await maybe_await(show(grant.user_code, grant.verification_uri, complete, grant.expires_in))

    poll = {**identity, "grant_type": DEVICE_CODE_GRANT, "device_code": grant.device_code}
    interval = grant.interval
    while True:
        if clock() + interval > deadline:
            if deadline - started >= grant.expires_in:
                raise DeviceCodeExpiredError(
                    "The user code expired before the login was approved.", error="expired_token"
                )
            raise LoginTimeoutError(f"The login was not approved within {timeout:g} seconds.")
        await sleep(interval)
        try:
            response = await post_form(
                session.http,
                "POST",
                token_url,
                form=add_to_form(poll, resources),
                headers=headers,
                as_query=False,
                timeout=None,
                request_options={},
            )
        except (aiohttp.ClientConnectionError, DeadlineExceededError) as exc:
            # RFC 8628 §3.5: on a connection timeout, back off exponentially and go on
            # polling while the code is valid (the user may be approving right now).
            interval *= 2
            log.info("Polling failed (%s); retrying in %g s.", type(exc).__name__, interval)
            continue
        error = _pending_error(response)
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
            log.info("The provider asked to poll more slowly: every %g s now.", interval)
            continue
        session.token = session._parse_token(response)  # raises for any other error
        return session.token


def _pending_error(response: TokenResponse) -> str | None:
    """The RFC 8628 §3.5 error, if the answer is one; the login's end raises here."""
    try:
        params = response.json()
    except ValueError:
        return None
    if not isinstance(params, dict) or not isinstance(params.get("error"), str):
        return None
    error: str = params["error"]
    if error in ("authorization_pending", "slow_down"):
        return error
    if error in ("access_denied", "expired_token"):
        raise _error(params, "The token endpoint")
    return None  # invalid_grant, invalid_client ...: the token parser raises oauthlib's errors

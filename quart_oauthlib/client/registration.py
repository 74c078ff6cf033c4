"""RFC 7591 dynamic client registration: ask a provider for a client id (and secret).

Used by tools that cannot ship a client id for every provider they talk to
(MCP clients, say). The answer's secrets are kept out of ``repr`` and logs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import aiohttp

from ..errors import RegistrationError, excerpt
from ._transport import (
    DEFAULT_TOKEN_TIMEOUT,
    MAX_TOKEN_RESPONSE_BYTES,
    read_bounded,
    require_secure_transport,
    with_deadline,
)

__all__ = ["RegisteredClient", "register_client"]

log = logging.getLogger("quart_oauthlib")

_SECRET_FIELDS = frozenset({"client_secret", "registration_access_token"})


@dataclass(frozen=True)
class RegisteredClient:
    """A client the provider registered (RFC 7591 §3.2.1).

    Attributes:
        client_id: The new client's id.
        client_secret: Its secret; None for a public client.
        client_secret_expires_at: When the secret expires (seconds since the
            epoch); 0 means never, None that the provider did not say.
        client_id_issued_at: When the id was issued, if the provider said.
        registration_access_token: For the client configuration endpoint (RFC 7592).
        registration_client_uri: The client configuration endpoint (RFC 7592).
        metadata: The whole answer, secrets included; it is not in the ``repr``.
    """

    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    client_secret_expires_at: int | None = None
    client_id_issued_at: int | None = None
    registration_access_token: str | None = field(default=None, repr=False)
    registration_client_uri: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> RegisteredClient:
        """Type a registration answer.

        Raises:
            RegistrationError: ``client_id`` is missing, or a field has the wrong type.
        """
        client_id = answer.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise RegistrationError("The registration answer has no client_id.")
        values: dict[str, Any] = {"client_id": client_id}
        for name in ("client_secret", "registration_access_token", "registration_client_uri"):
            value = answer.get(name)
            if value is not None and not isinstance(value, str):
                raise RegistrationError(f"The registration answer's {name} is not a string.")
            values[name] = value
        for name in ("client_secret_expires_at", "client_id_issued_at"):
            value = answer.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise RegistrationError(f"The registration answer's {name} is not an integer.")
            values[name] = value
        if values["client_secret"] is not None and values["client_secret_expires_at"] is None:
            # RFC 7591 §3.2.1: required with a secret; a provider that forgets it is
            # read as "never" rather than refused.
            values["client_secret_expires_at"] = 0
        return cls(**values, metadata=MappingProxyType(dict(answer)))


async def register_client(
    registration_endpoint: str,
    metadata: Mapping[str, Any],
    *,
    initial_access_token: str | None = None,
    session: aiohttp.ClientSession | None = None,
    timeout: float = DEFAULT_TOKEN_TIMEOUT,
) -> RegisteredClient:
    """Register a client at the provider (RFC 7591 §3.1).

    Args:
        registration_endpoint: The provider's ``registration_endpoint`` (https).
        metadata: The client metadata (``redirect_uris``, ``client_name``,
            ``grant_types``, ``token_endpoint_auth_method`` ...).
        initial_access_token: Sent as a Bearer token, for providers that only
            register clients they were told about.
        session: An ``aiohttp.ClientSession`` to borrow; a short-lived one otherwise.
        timeout: Total deadline in seconds.

    Returns:
        The registered client.

    Raises:
        RegistrationError: The provider refused (with its RFC 7591 §3.2.2
            ``error`` code), or answered no usable client.
        DeadlineExceededError: The deadline passed.
    """
    require_secure_transport(registration_endpoint)
    if not isinstance(metadata, Mapping):
        raise TypeError("metadata must be a mapping of client metadata.")
    headers = {"Accept": "application/json"}
    if initial_access_token:
        headers["Authorization"] = f"Bearer {initial_access_token}"

    async def post(http: aiohttp.ClientSession) -> tuple[int, str]:
        async with http.post(
            registration_endpoint, json=dict(metadata), headers=headers, allow_redirects=False
        ) as resp:
            body = await read_bounded(resp, MAX_TOKEN_RESPONSE_BYTES)
            return resp.status, body.decode(resp.charset or "utf-8", errors="replace")

    if session is None:
        async with aiohttp.ClientSession() as owned:
            status, text = await with_deadline(post(owned), timeout, "The registration request")
    else:
        status, text = await with_deadline(post(session), timeout, "The registration request")
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        description = answer.get("error_description")
        description = description if isinstance(description, str) else None
        raise RegistrationError(
            f"The provider refused the registration with {answer['error']!r}"
            + (f": {description}" if description else "."),
            status=status,
            error=answer["error"],
            description=description,
        )
    if status not in (200, 201) or not isinstance(answer, dict):
        shown = "a JSON answer" if isinstance(answer, dict | list) else repr(excerpt(text))
        raise RegistrationError(
            f"The registration endpoint answered status {status}: {shown}.", status=status
        )
    client = RegisteredClient.from_answer(answer)
    log.info("Registered client %s.", client.client_id)
    return client

"""One call to the authorization server, with the client's authentication and DPoP proof.

Wraps :func:`._token_endpoint.post_form` (deadline, size cap, no redirects):
every attempt gets fresh credentials (a new client assertion) and a new DPoP
proof, and an authorization server's ``use_dpop_nonce`` answer (400 with a
``DPoP-Nonce`` header, RFC 9449 §8) is retried once with the nonce.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from ._token_endpoint import TokenResponse, post_form

if TYPE_CHECKING:
    from .client_auth import ClientAuthentication
    from .dpop import DPoPKey

#: A form: a mapping, or pairs where a field repeats (RFC 8707 ``resource``).
Form = Mapping[str, str] | Sequence[tuple[str, str]]


async def call_provider(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    form: Form,
    headers: dict[str, str],
    as_query: bool = False,
    timeout: float | aiohttp.ClientTimeout | None = None,
    request_options: dict[str, Any] | None = None,
    client_auth: ClientAuthentication | None = None,
    dpop: DPoPKey | None = None,
) -> TokenResponse:
    """Send a form to the provider, authenticated, with a DPoP proof when ``dpop`` is given."""
    response = await _attempt(
        http, method, url, form, headers, as_query, timeout, request_options, client_auth, dpop
    )
    if dpop is None:
        return response
    nonce = response.headers.get("DPoP-Nonce")
    dpop.remember_nonce(url, nonce)
    if response.status == 400 and nonce and _error_of(response) == "use_dpop_nonce":
        response = await _attempt(
            http, method, url, form, headers, as_query, timeout, request_options, client_auth, dpop
        )
        dpop.remember_nonce(url, response.headers.get("DPoP-Nonce"))
    return response


async def _attempt(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    form: Form,
    headers: dict[str, str],
    as_query: bool,
    timeout: float | aiohttp.ClientTimeout | None,
    request_options: dict[str, Any] | None,
    client_auth: ClientAuthentication | None,
    dpop: DPoPKey | None,
) -> TokenResponse:
    pairs = list(form.items()) if isinstance(form, Mapping) else list(form)
    # RFC 8707 ``resource`` may repeat; client authentication works on the other fields.
    repeated = [pair for pair in pairs if pair[0] == "resource"]
    send_form = {key: value for key, value in pairs if key != "resource"}
    send_headers = dict(headers)
    if client_auth is not None:
        client_auth.apply(url, send_form, send_headers)
    if dpop is not None:
        send_headers["DPoP"] = dpop.proof(method, url)
    return await post_form(
        http,
        method,
        url,
        form=[*send_form.items(), *repeated],
        headers=send_headers,
        as_query=as_query,
        timeout=timeout,
        request_options=dict(request_options or {}),
    )


def _error_of(response: TokenResponse) -> str | None:
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else None

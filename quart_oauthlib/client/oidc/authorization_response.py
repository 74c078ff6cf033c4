"""RFC 9207: the ``iss`` parameter of authorization responses, against mix-up attacks."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs

from yarl import URL

from ...errors import IssuerMismatchError
from .discovery import ProviderMetadata

__all__ = ["check_authorization_response_issuer"]


def check_authorization_response_issuer(
    metadata: ProviderMetadata, authorization_response: str | URL | Mapping[str, str]
) -> None:
    """Check the ``iss`` of an authorization response (RFC 9207 §2.4).

    When the response has an ``iss``, it must be exactly the provider's
    issuer, whatever the provider advertises. When it has none, that is an
    error only if the provider advertises
    ``authorization_response_iss_parameter_supported``. Error responses are
    checked the same way.

    Args:
        metadata: The metadata of the provider the user was sent to.
        authorization_response: The full callback URL (``iss`` is read from
            the query, or else from the fragment), or the parameters of a
            ``form_post`` response.

    Raises:
        IssuerMismatchError: ``iss`` differs, appears more than once, or is
            missing although the provider sends it.
    """
    values = _iss_values(authorization_response)
    if not values:
        if metadata.authorization_response_iss_parameter_supported:
            raise IssuerMismatchError(
                f"The authorization response has no iss, but {metadata.issuer!r} always sends "
                "one (RFC 9207); it may come from another provider."
            )
        return
    if len(values) > 1:
        raise IssuerMismatchError("The authorization response has more than one iss.")
    if values[0] != metadata.issuer:
        raise IssuerMismatchError(
            f"The authorization response comes from issuer {values[0]!r}, not the "
            f"expected {metadata.issuer!r} (RFC 9207); it was not used."
        )


def _iss_values(response: str | URL | Mapping[str, str]) -> list[str]:
    if isinstance(response, Mapping):
        value = response.get("iss")
        return [] if value is None else [value]
    url = URL(response) if isinstance(response, str) else response
    found = url.query.getall("iss", [])
    if not found and url.fragment:
        found = parse_qs(url.fragment, keep_blank_values=True).get("iss", [])
    return list(found)

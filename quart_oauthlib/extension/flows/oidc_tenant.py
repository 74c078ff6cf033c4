"""An issuer template with ``{tenantid}``: Microsoft's multi-tenant endpoints.

The metadata of ``https://login.microsoftonline.com/common/v2.0`` names the issuer
``https://login.microsoftonline.com/{tenantid}/v2.0``: each user's tenant signs
in under its own issuer. With such a template as the configured ``issuer``, the
metadata's issuer must be the template, or the template with one tenant id
filled in (a single tenant's metadata). When it is the template itself, each ID
token's ``iss`` must be the template filled with that token's own ``tid``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Callable
from typing import Final

import aiohttp

from ...client._single_flight import SingleFlight
from ...client.oidc import ProviderMetadata
from ...client.oidc._fetch import fetch_json
from ...client.oidc.discovery import DEFAULT_METADATA_MAX_AGE
from ...errors import DiscoveryError, IDTokenIssuerError

__all__ = ["TENANT", "TenantDiscovery", "fits_template", "token_issuer"]

TENANT: Final = "{tenantid}"
_TENANT_ID: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class TenantDiscovery:
    """Discovery for an issuer template with ``{tenantid}``, cached like ProviderDiscovery."""

    def __init__(
        self,
        server_metadata_url: str,
        template: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.server_metadata_url = server_metadata_url
        self.template = template
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = 0.0
        self._flight = SingleFlight[ProviderMetadata]()

    async def load(self, http: aiohttp.ClientSession) -> ProviderMetadata:
        """The metadata, fetched now if not cached or stale.

        Raises:
            DiscoveryError: Unusable, or another issuer than the template allows.
        """
        cached = self._metadata
        if cached is not None and self._clock() - self._fetched_at < DEFAULT_METADATA_MAX_AGE:
            return cached

        async def fetch() -> ProviderMetadata:
            document = await fetch_json(
                http, self.server_metadata_url, what="The provider metadata", error=DiscoveryError
            )
            metadata = ProviderMetadata.from_document(document)
            if not fits_template(self.template, metadata.issuer):
                raise DiscoveryError(
                    f"The provider metadata is for issuer {metadata.issuer!r}, which the "
                    f"expected {self.template!r} does not allow."
                )
            self._metadata, self._fetched_at = metadata, self._clock()
            return metadata

        result, _ = await self._flight.run(fetch)
        return result


def fits_template(template: str, issuer: str) -> bool:
    if issuer == template:
        return True
    head, _, tail = template.partition(TENANT)
    if not (issuer.startswith(head) and issuer.endswith(tail)):
        return False
    return bool(_TENANT_ID.match(issuer[len(head) : len(issuer) - len(tail)]))


def token_issuer(metadata: ProviderMetadata, raw: str) -> ProviderMetadata:
    """For a template issuer: the metadata with the issuer of the token's own ``tid``.

    The ``tid`` is read before the signature is checked; that is safe, as the
    validator then checks the signature, and ``iss`` against the issuer built here.
    """
    if TENANT not in metadata.issuer:
        return metadata
    try:
        payload = raw.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        tid = claims.get("tid") if isinstance(claims, dict) else None
    except (IndexError, ValueError, binascii.Error):
        tid = None
    if not isinstance(tid, str) or not _TENANT_ID.match(tid):
        raise IDTokenIssuerError(
            "The ID token names no usable tenant (tid), so its issuer cannot be checked."
        )
    return metadata.replace(issuer=metadata.issuer.replace(TENANT, tid))

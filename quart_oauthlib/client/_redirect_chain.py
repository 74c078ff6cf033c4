"""Which redirect chain a request belongs to, so credentials never cross origins.

aiohttp runs client middlewares on every hop of a redirect chain, with a fresh
``ClientRequest`` each time. An auth middleware must sign the first hop, may
sign later hops on the same origin, and must not sign anything once the chain
has left that origin (as requests' ``rebuild_auth`` does): otherwise a
redirect to another host would receive our token or signature.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import aiohttp
from yarl import URL

from ._transport import REDIRECT_STATUSES


@dataclass(slots=True)
class _Chain:
    """One ``ClientSession`` request: its first hop's origin, and whether it stayed there."""

    key: object
    origin: URL
    on_origin: bool = True


# The redirect chain the current task is in. A hop belongs to the chain when it
# carries the same per-call object as the chain's first request: aiohttp makes
# one timer per ``ClientSession._request`` call and gives it to every hop and
# retry of that call. Unset after any answer that is not a redirect.
_chain: ContextVar[_Chain | None] = ContextVar("quart_oauthlib_redirect_chain", default=None)


def enter_chain(request: aiohttp.ClientRequest) -> tuple[bool, bool]:
    """Whether ``request`` is a later hop of a chain, and whether it may carry credentials.

    A hop may carry credentials while its chain has never left the first origin.
    """
    # No public attribute links the hops of one call. Should aiohttp drop this
    # one, every request that follows a redirect answer in the same task counts
    # as a hop: requests go without credentials rather than to the wrong origin.
    key = getattr(request, "_timer", None)
    origin = request.url.origin()
    chain = _chain.get()
    if chain is None or chain.key is not key:
        _chain.set(_Chain(key, origin))
        return False, True
    chain.on_origin = chain.on_origin and origin == chain.origin
    return True, chain.on_origin


def leave_chain(response: aiohttp.ClientResponse) -> None:
    """End the current chain unless ``response`` redirects to a next hop."""
    if response.status not in REDIRECT_STATUSES:
        _chain.set(None)

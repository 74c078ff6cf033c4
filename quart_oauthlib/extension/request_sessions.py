"""The request's bound sessions: made once per request, lazily from each provider's template.

``oauth.<name>`` and ``@oauth.require`` get the current request's session for a
provider here. An OAuth 2 provider's session is copied from a template made once
per provider config, and starts lazy: it holds the token ``@oauth.require`` read
and what it sends, and is completed from the template on first need (see
:class:`~quart_oauthlib.extension.bound.BoundOAuth2Session`). Building a whole
session per request (a new oauthlib client, the settings worked out again) was most
of what a protected request cost over a hand-written one.
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from quart import has_request_context

from ..client.oauth2_auth import adopted_bearer, sends_plain_bearer
from ..storage.base import Token
from .bound import BUILT_ANEW, BoundOAuth1Session, BoundOAuth2Session, BoundSession
from .provider import Provider
from .state import OAuthState, RequestCache, get_state, request_cache

__all__ = ["bound_session", "ready_session"]


#: A template serves no request: each copy gets its request's state (see _new_oauth2).
_NO_STATE: Any = None


def _oauth2_template(provider: Provider) -> BoundOAuth2Session | None:
    """The provider's bound session without a user or a request, to copy for each request.

    None where a copy would not be a new session: a compliance fix may keep the
    session it fixed (a hook's closure), a client secret factory makes a secret
    valid for minutes only, and client authentication and DPoP objects hold
    state of their own.
    """
    config = provider.config
    if config.compliance_fix is not None or config.client_secret_factory is not None:
        return None
    template = BoundOAuth2Session(provider, _NO_STATE, None)
    if not template._copyable() or not sends_plain_bearer(template._client):
        return None
    return template


def _new_oauth2(
    provider: Provider, state: OAuthState, http: aiohttp.ClientSession, token: Token | None
) -> BoundOAuth2Session:
    """A bound session for this request: a lazy one where the provider allows.

    Building one from scratch (a new oauthlib client, the settings worked out
    again from the config) is most of what a protected request would cost over
    a hand-written one; a lazy copy holds a few references, and the token
    ``@oauth.require`` read, until it is needed as a whole session (see
    ``BoundOAuth2Session._complete``). ``token`` is the one this request read
    (``NOT_READ`` when it has not read it yet).
    """
    prototype = provider.derived(_lazy_prototype)
    if prototype is None:
        bound = BoundOAuth2Session(provider, state, http)
    else:
        bearer = None
        # A fresh token is sent without the discovered endpoints: only a refresh needs
        # them, and the whole session discovers first (BoundOAuth2Session._prepare).
        if token and token is not NOT_READ and "dpop_jkt" not in token:
            bearer = adopted_bearer(token, prototype["_refresh_margin"])
        bound = object.__new__(BoundOAuth2Session)
        attributes = bound.__dict__ = prototype.copy()
        attributes["_app_state"] = state
        attributes["_http_session"] = http
        if prototype["_discover"]:  # the config (so the prototype) changes once discovered
            attributes["_discover"] = provider.needs_discovery
        if bearer is not None:  # sent as it is until the session is completed
            attributes["_loaded"] = True
            attributes["_adopted"] = token
            attributes["_adopted_bearer"] = bearer
            return bound
    if token is not NOT_READ:
        bound._adopt(token)  # read by @oauth.require: no need to wait for it
    return bound


def _lazy_prototype(provider: Provider) -> dict[str, Any] | None:
    """The attributes a lazy session for the provider starts from (made once per config).

    A lazy session holds what the request path reads before it is completed: these,
    and the request's state, HTTP session and token. None for providers whose
    sessions send otherwise than a plain Bearer header (DPoP, a compliance fix, which
    may register hooks or change the placement): theirs are built whole. Where the
    provider has no template to copy (client authentication, a secret factory), a
    lazy session is completed by building a whole one anew.
    """
    config = provider.config
    if config.compliance_fix is not None or config.dpop_key is not None:
        return None
    template = provider.derived(_oauth2_template)
    model = template if template is not None else BoundOAuth2Session(provider, _NO_STATE, None)
    if not sends_plain_bearer(model._client) or model.dpop_key is not None:
        return None
    return {
        "_template": template if template is not None else BUILT_ANEW,
        "provider": model.provider,
        "_source": provider,
        "_loaded": False,
        "_api_base": model._api_base,
        "_refresh_on_invalid_token": model._refresh_on_invalid_token,
        "_refresh_margin": model.refresh_margin,
        "_guarded": True,
        "_discover": provider.needs_discovery,
    }


#: Not read by this request yet.
NOT_READ: Any = object()


def bound_session(name: str, state: OAuthState | None = None) -> BoundSession:
    """The current request's session for provider ``name``.

    ``state`` is the current app's, when the caller has it already.

    Raises:
        RuntimeError: Outside a request.
        ConfigurationError: No such provider in the current app.
    """
    if not has_request_context():
        raise RuntimeError(
            f"oauth[{name!r}] is bound to the user of the current request; use it inside a "
            "request, or build an OAuth2Session with the token yourself elsewhere."
        )
    cache = request_cache()
    bound: BoundSession | None = cache.sessions.get(name)
    if bound is not None:
        return bound
    if state is None:
        state = get_state()
    provider = state.provider(name)
    if provider.flow.protocol == "oauth1":
        bound = cache.sessions[name] = BoundOAuth1Session(provider, state, state.http_session())
        return bound
    return _bind_oauth2(state, cache, provider, cache.tokens.get(name, NOT_READ))


def _bind_oauth2(
    state: OAuthState, cache: RequestCache, provider: Provider, token: Token | None
) -> BoundOAuth2Session:
    """Make and keep the request's OAuth 2 session for ``provider``, with ``token``."""
    bound = cache.sessions[provider.name] = _new_oauth2(
        provider, state, state.http_session(), token
    )
    return bound


def ready_session(
    state: OAuthState, cache: RequestCache, provider: Provider, token: Token | None
) -> bool:
    """Whether the user's ``token``, just read by ``@oauth.require``, can be used
    now or refreshed first; the request's OAuth 2 session is made with it on the way.

    The view's ``oauth.<name>`` then finds its session made. A fresh plain
    Bearer token, which the lazy session takes as it is, needs no further
    check. OAuth 1 sessions, which cost more to make, are left to the first use.
    """
    if provider.name in cache.sessions or provider.flow.protocol == "oauth1":
        return provider.usable(token)
    bearer = _bind_oauth2(state, cache, provider, token)._adopted_bearer
    if bearer is not None and time.time() < bearer[1]:
        return True
    return provider.usable(token)

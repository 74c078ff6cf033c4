"""The pages of one provider: profile, API call, and token (with refresh and sign out).

Each page is guarded by ``@oauth.require(name)``: without a token the user is
sent to the provider's login first, and comes back here afterwards.
"""

from __future__ import annotations

import logging
from typing import Any

from quart import Blueprint, abort, redirect, render_template, url_for
from quart.typing import ResponseReturnValue

from quart_oauthlib import ConfigurationError, ReauthorizationRequiredError, UserInfoError
from quart_oauthlib.extension.bound import BoundOAuth2Session, BoundSession

from .api_demos import ApiDemo
from .error_pages import TokenRejectedError
from .extensions import oauth
from .presenters import ProfileCard, SignInSecurity, TokenSummary

__all__ = ["provider_pages"]

log = logging.getLogger(__name__)


def provider_pages(name: str, demo: ApiDemo | None) -> Blueprint:
    """The pages of provider ``name``, under ``/<name>/``.

    Args:
        name: The provider's name in ``OAUTH_PROVIDERS``.
        demo: The API call its API page makes, if it has one.
    """
    pages = Blueprint(f"{name}_pages", __name__, url_prefix=f"/{name}")

    @pages.get("/profile")
    @oauth.require(name)
    async def profile() -> ResponseReturnValue:
        """The user's profile: ``oauth[name].profile()``, one record for every provider.

        The library finds the userinfo endpoint (configured, or discovered for
        OpenID providers such as Google) or, without one, maps the ID token's claims.
        """
        try:
            user = await oauth[name].profile()
        except ReauthorizationRequiredError as e:
            # The token was refused as invalid (RFC 6750), and could not be refreshed:
            # the extension dropped it. Say so, rather than just redirect to the login.
            raise TokenRejectedError(name, "the provider no longer accepts the access token") from e
        except ConfigurationError as e:
            # No userinfo endpoint, and no ID token claims kept from the sign-in.
            log.warning("No profile for %s: %s", name, e)
            return await render_template(
                "profile.html",
                provider=name,
                card=None,
                reason=str(e),
                security=await _security(name),
            )
        except UserInfoError as e:
            if e.status == 401:
                raise TokenRejectedError(
                    name, "the provider no longer accepts the access token"
                ) from e
            raise  # the "provider could not be reached" page
        return await render_template(
            "profile.html",
            provider=name,
            card=ProfileCard.of(user),
            security=await _security(name),
        )

    @pages.get("/api")
    @oauth.require(name)
    async def api() -> ResponseReturnValue:
        """A call to the provider's API with the user's token."""
        if demo is None:
            abort(404)
        answer = await get_json(oauth[name], demo.url, name)
        return await render_template(
            "api.html", provider=name, demo=demo, answer=answer, security=await _security(name)
        )

    @pages.get("/token")
    @oauth.require(name)
    async def token() -> ResponseReturnValue:
        """What the app holds for this provider: scopes, expiry; never the token itself."""
        stored = await oauth[name].load_token() or {}
        return await render_template(
            "token.html",
            provider=name,
            summary=TokenSummary.of(stored),
            can_refresh=_can_refresh(oauth[name], stored),
            security=SignInSecurity.of(stored, pushed=_pushes(name)),
        )

    @pages.post("/token/refresh")
    @oauth.require(name)
    async def refresh() -> ResponseReturnValue:
        """Get a new access token now, rather than when the current one expires."""
        # The session cookie is SameSite=Lax, so another site cannot make a browser
        # POST here with it; without it, @oauth.require sends the request to login.
        session = oauth[name]
        stored = await session.load_token() or {}
        if not isinstance(session, BoundOAuth2Session) or not _can_refresh(session, stored):
            abort(404)
        try:
            # Under the same per-user lock as automatic refreshes; the new token is
            # stored and the token_updated signal sent (which flashes a notice).
            await session.renew_token()
        except ReauthorizationRequiredError as e:  # invalid_grant: revoked, expired or used
            raise TokenRejectedError(name, f"the refresh was refused ({e.error})") from e
        return redirect(url_for(".token"), 303)

    return pages


async def get_json(session: BoundSession, url: str, provider: str) -> Any:
    """``GET url`` with the user's token; the JSON answer.

    Raises:
        TokenRejectedError: The provider no longer accepts the token (401).
        aiohttp.ClientResponseError: Any other error status (the error pages show it).
    """
    headers = {"Accept": "application/json"}
    # No redirects: an API redirecting elsewhere must not get the token along.
    rejected = TokenRejectedError(provider, "the provider no longer accepts the access token")
    try:
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            if response.status == 401:
                raise rejected
            response.raise_for_status()
            return await response.json()
    except ReauthorizationRequiredError as e:  # refused as invalid, and not refreshable
        raise rejected from e


async def _security(name: str) -> SignInSecurity:
    """How the user's sign-in with ``name`` was made, and how its token is held."""
    stored = await oauth[name].load_token() or {}
    return SignInSecurity.of(stored, pushed=_pushes(name))


def _pushes(name: str) -> bool | None:
    """Whether sign-ins with ``name`` are pushed: its ``par`` setting, else None when its
    discovered metadata may require it, else False (no metadata, no PAR endpoint)."""
    config = oauth.provider(name)
    if config.par is not None:
        return config.par
    return None if config.server_metadata_url else False


def _can_refresh(session: BoundSession, token: dict[str, Any]) -> bool:
    return (
        isinstance(session, BoundOAuth2Session)
        and bool(session.auto_refresh_url)
        and bool(token.get("refresh_token"))
    )

"""``@oauth.require(...)``: run a view only when the user has a token for each provider."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from quart import current_app, jsonify, redirect, url_for
from quart.typing import ResponseReturnValue

from .http_errors import ReauthorizationRequiredError
from .redirects import current_path, wants_json
from .request_sessions import ready_session
from .state import get_state, request_cache

__all__ = ["login_required_response", "require"]

P = ParamSpec("P")
T = TypeVar("T")
Answer = ResponseReturnValue


def require(
    *names: str,
) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T | ResponseReturnValue]]]:
    """Run the view only if the current user holds a usable token for every provider named.

    Otherwise answer with a redirect to the first missing provider's login,
    with ``next`` set to the current path, or, for a client that asks for
    JSON, a 401 with ``{"error": "login_required", "provider", "login_url"}``.

    Args:
        *names: Provider names from ``OAUTH_PROVIDERS``.
    """
    if not names:
        raise TypeError("require() needs at least one provider name.")

    def decorator(
        func: Callable[P, Awaitable[T]],
    ) -> Callable[P, Awaitable[T | ResponseReturnValue]]:
        # Decided once here rather than by ensure_async on every request.
        is_async = inspect.iscoroutinefunction(func)

        @wraps(func)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T | Answer:
            state = get_state()
            cache = request_cache()  # once for all the names: each read through ``g`` costs
            for name in names:
                # Read without awaiting where the store allows (the cookie, memory):
                # a protected request would otherwise pay for three coroutines here.
                known, token = state.token_now(cache, name)
                if not known:
                    token = await state.cached_token(cache, name)
                if not ready_session(state, cache, state.provider(name), token):
                    return login_required_response(name)
            if is_async:
                return await func(*args, **kwargs)
            return await current_app.ensure_async(func)(*args, **kwargs)

        return wrapper

    return decorator


def login_required_response(name: str) -> ResponseReturnValue:
    """The answer for a user without a usable token for provider ``name``."""
    login_url = url_for(f"{name}.login", next=current_path())
    if wants_json():
        body = {"error": "login_required", "provider": name, "login_url": login_url}
        return jsonify(body), 401
    return redirect(login_url)


async def handle_reauthorization(error: ReauthorizationRequiredError) -> ResponseReturnValue:
    """The app's error handler for a dead token met inside a view."""
    return login_required_response(error.provider)

"""Authlib's client methods on the bound sessions, for apps that write their own login views::

    @app.route("/login")
    async def login():
        return await oauth.google.authorize_redirect(url_for("auth", _external=True))

    @app.route("/auth")
    async def auth():
        token = await oauth.google.authorize_access_token()
        session["user"] = token["userinfo"]
        return redirect("/")

Both run the same checked flow as the built-in ``/login/<name>`` routes: the
state, PKCE verifier and nonce are kept for this browser, the callback is
checked (state, RFC 9207 ``iss``, ID token), the token is stored, and the
signals are sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from oauthlib.oauth2 import InsecureTransportError, is_secure_transport
from quart import Response, make_response
from werkzeug.wrappers.response import Response as ResponseBase

from ..errors import ConfigurationError
from ..signals import oauth_error, send
from .http_errors import CallbackError
from .state import get_state
from .views import _login, finish_login

__all__ = ["AuthlibMethods", "with_explicit_token"]

#: Parameters the flow sets itself: an app passing them would break its checks.
_RESERVED: Final = frozenset(
    {"state", "redirect_uri", "response_type", "client_id", "code_challenge",
     "code_challenge_method", "scope"}
)  # fmt: skip


class AuthlibMethods:
    """Mixin of the bound sessions: ``authorize_redirect`` and ``authorize_access_token``."""

    provider: str
    _loaded: bool

    async def authorize_redirect(
        self, redirect_uri: str | None = None, **params: Any
    ) -> Response | ResponseBase:
        """A redirect to the provider's login, as the built-in login route answers.

        Args:
            redirect_uri: Where the provider sends the user back: by default the
                built-in callback route (``url_for("<name>.callback")``), which
                completes the login itself; or a route of the app, which calls
                :meth:`authorize_access_token`. It must be registered with the provider.
            **params: Extra authorization request parameters (``prompt``,
                ``login_hint``, ``audience``...), over the provider's
                ``authorize_params``. A ``nonce`` is replaced by the flow's own.

        Raises:
            ConfigurationError: A parameter the flow sets itself (``state``,
                ``scope``, ``redirect_uri``...), or parameters for an OAuth 1 provider.
        """
        reserved = sorted(_RESERVED & set(params))
        if reserved:
            raise ConfigurationError(
                f"authorize_redirect(): {', '.join(reserved)} are set by the login flow "
                "(the scope by this provider's 'scope' setting); do not pass them."
            )
        state = get_state()
        if params and state.provider(self.provider).settings.version == 1:
            raise ConfigurationError(
                f"authorize_redirect(): {self.provider!r} is an OAuth 1 provider, whose "
                "authorization request takes no extra parameters here."
            )
        values = {key: str(value) for key, value in params.items() if key != "nonce"}
        answer = await _login(state, self.provider, redirect_uri=redirect_uri, params=values)
        return await make_response(answer)

    async def authorize_access_token(self, **kwargs: Any) -> dict[str, Any]:
        """Complete the login the provider sent the user back from; return the token.

        Call it in the view at the ``redirect_uri`` given to :meth:`authorize_redirect`.
        The token is checked and stored as by the built-in callback route, and
        ``oauth_authorized`` is sent (a receiver's response is not used here; its
        ``False`` still keeps the token from being stored). For an OpenID login
        the token has ``userinfo``: the verified ID token claims, with the
        userinfo answer's.

        Raises:
            CallbackError: The login failed (denied, wrong state, ID token refused...):
                nothing was stored; ``oauth_error`` was sent. It answers 4xx unless
                the app handles it.
            ConfigurationError: Arguments were passed (the flow keeps everything it needs).
        """
        if kwargs:
            raise ConfigurationError(
                "authorize_access_token() takes no arguments: the redirect URI, PKCE "
                "verifier and nonce of the login are kept by the flow."
            )
        state = get_state()
        try:
            done = await finish_login(state, self.provider)
        except CallbackError as exc:
            await send(
                oauth_error,
                provider=exc.provider,
                error=exc.error,
                description=exc.description or "",
                exception=exc,
            )
            raise
        self._loaded = False  # the session reads the new token at its next use
        return dict(done.token)

    async def parse_id_token(
        self, token: Mapping[str, Any], nonce: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The verified ID token claims of a token from :meth:`authorize_access_token`.

        Authlib's name. The ID token was already verified (signature, issuer,
        audience, expiry, the login's own nonce) before the token was returned;
        this returns its claims (``token["userinfo"]``), never parsing anything again.

        Raises:
            ConfigurationError: ``token`` did not come from an OpenID login here.
        """
        claims = token.get("userinfo") if isinstance(token, Mapping) else None
        if not isinstance(claims, Mapping):
            raise ConfigurationError(
                "parse_id_token() takes the token authorize_access_token() returned for an "
                "OpenID login (its ID token is verified there, and its claims are in "
                "token['userinfo'])."
            )
        return dict(claims)


def with_explicit_token(provider: str, url: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Authlib's ``get(url, token=token)``: send that Bearer token instead of the stored one.

    Raises:
        ConfigurationError: ``token`` holds no Bearer access token.
        InsecureTransportError: ``url`` is not https (the token would travel in clear).
    """
    token = kwargs.pop("token")
    access = token.get("access_token") if isinstance(token, Mapping) else None
    if not access or str(token.get("token_type") or "Bearer").lower() != "bearer":
        raise ConfigurationError(
            f"oauth.{provider}.request(token=...) takes a Bearer token dict "
            "(with 'access_token'); leave it out to use the user's stored token."
        )
    if not is_secure_transport(url):
        raise InsecureTransportError()
    headers = dict(kwargs.get("headers") or {})
    headers["Authorization"] = f"Bearer {access}"
    return {**kwargs, "headers": headers, "withhold_token": True}

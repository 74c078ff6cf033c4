"""Pending logins: one short-lived record per ``state``, kept in the browser session.

A login writes a record (next URL, redirect URI, PKCE verifier, nonce, or
OAuth 1's request-token secret) under its ``state``; the callback pops it, so
a state works once. Expired records are pruned whenever the records are
written, and at most ``max_flows`` are kept (the oldest go first), fewer when
the session cookie would otherwise grow past what browsers keep, so a user who
clicks "Sign in" many times cannot grow the cookie without bound.

When the callback's state matches nothing, :func:`state_problem` works out
why (no cookie at all, a reset session, a state already used, another
provider) and says it in words a developer can act on.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Final

from quart import current_app, request, session

from ..storage._cookie import MAX_COOKIE_BYTES, session_cookie_size
from .http_errors import FlowExpiredError, StateMismatchError

__all__ = ["FlowRecord", "FlowStore"]

FLOWS_KEY: Final = "_oauth_flows"
USED_KEY: Final = "_oauth_used"
_USED_KEPT: Final = 4


@dataclass(frozen=True)
class FlowRecord:
    """What a callback needs to finish the login a ``state`` belongs to."""

    provider: str
    expires_at: float
    redirect_uri: str
    next_url: str | None = None
    # Secrets of the login: left out of the repr (error reporters capture locals).
    code_verifier: str | None = field(default=None, repr=False)
    nonce: str | None = field(default=None, repr=False)
    request_token_secret: str | None = field(default=None, repr=False)
    max_age: int | None = None  # OIDC: the ID token's auth_time is checked against it
    #: OIDC: the ``acr`` values this login asked for; the ID token's ``acr`` must be one.
    acr_values: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {
            "p": self.provider,
            "x": round(self.expires_at),
            "r": self.redirect_uri,
            "n": self.next_url,
            "v": self.code_verifier,
            "o": self.nonce,
            "s": self.request_token_secret,
            "m": self.max_age,
            "a": " ".join(self.acr_values) if self.acr_values is not None else None,
        }
        return {k: v for k, v in data.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FlowRecord:
        return cls(
            provider=str(data["p"]),
            expires_at=float(data["x"]),
            redirect_uri=str(data["r"]),
            next_url=data.get("n"),
            code_verifier=data.get("v"),
            nonce=data.get("o"),
            request_token_secret=data.get("s"),
            max_age=data.get("m"),
            acr_values=tuple(str(data["a"]).split()) if data.get("a") is not None else None,
        )


class FlowStore:
    """The pending logins of the current browser session.

    Args:
        timeout: Seconds a login may take, from redirect to callback.
        max_flows: Pending logins kept per browser session.
    """

    def __init__(self, timeout: float, max_flows: int):
        self.timeout = timeout
        self.max_flows = max_flows

    def add(self, state: str, record: FlowRecord) -> None:
        """Remember a new pending login under ``state``."""
        flows = self._live_flows()
        flows[state] = record.to_json()
        while len(flows) > self.max_flows or (len(flows) > 1 and self._too_big(flows)):
            # The oldest go first (never the new one): a user who opened several login
            # tabs must not push the cookie past what browsers keep.
            oldest = min((s for s in flows if s != state), key=lambda s: flows[s]["x"])
            del flows[oldest]
        session[FLOWS_KEY] = flows

    @staticmethod
    def _too_big(flows: dict[str, dict[str, Any]]) -> bool:
        size = session_cookie_size({**session, FLOWS_KEY: flows})
        return size is not None and size > MAX_COOKIE_BYTES

    def pop(self, state: str | None, provider: str) -> FlowRecord:
        """Take the record of ``state`` for ``provider``, or raise why there is none.

        Raises:
            StateMismatchError: No such pending login here (the message says why).
            FlowExpiredError: The login took longer than ``timeout``.
        """
        if not state:
            raise StateMismatchError(
                "The provider's answer carries no 'state', so it cannot be matched to a login "
                "started in this browser. Start the login again.",
                provider=provider,
                reason="missing",
            )
        flows = dict(session.get(FLOWS_KEY) or {})
        data = flows.pop(state, None)
        if data is None:
            raise state_problem(state, provider)
        if flows:
            session[FLOWS_KEY] = flows
        else:
            session.pop(FLOWS_KEY, None)
        self._remember_used(state)
        record = FlowRecord.from_json(data)
        if record.provider != provider:
            raise StateMismatchError(
                f"This answer belongs to a login with {record.provider!r}, not {provider!r}: "
                "the provider redirected to the wrong callback URL. Check the redirect URI "
                "registered with each provider.",
                provider=provider,
                reason="wrong_provider",
            )
        if record.expires_at < time.time():
            raise FlowExpiredError(
                f"This login was started more than {self.timeout:g} seconds ago and has expired. "
                "Start it again (OAUTH_FLOW_TIMEOUT sets how long a login may take).",
                provider=provider,
            )
        return record

    def _live_flows(self) -> dict[str, dict[str, Any]]:
        now = time.time()
        flows = session.get(FLOWS_KEY) or {}
        return {s: r for s, r in flows.items() if isinstance(r, dict) and r.get("x", 0) >= now}

    def _remember_used(self, state: str) -> None:
        used = [h for h in session.get(USED_KEY) or [] if isinstance(h, str)]
        used.append(_digest(state))
        session[USED_KEY] = used[-_USED_KEPT:]


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:12]


def state_problem(state: str, provider: str) -> StateMismatchError:
    """Explain why ``state`` matches no pending login in this browser."""
    app = current_app
    cookie_name = app.config.get("SESSION_COOKIE_NAME", "session")
    if cookie_name not in request.cookies:
        return StateMismatchError(
            _no_cookie_message(cookie_name), provider=provider, reason="no_cookie"
        )
    if _digest(state) in (session.get(USED_KEY) or []):
        return StateMismatchError(
            "This login was already answered: a callback URL works once, whether the "
            "provider's answer was a sign-in or a refusal (it was reloaded, or opened "
            "twice). Start the login again if you need a new one.",
            provider=provider,
            reason="unknown",
        )
    if not session.get(FLOWS_KEY):
        return StateMismatchError(
            "The session cookie came back, but holds no pending login. Either the session was "
            "reset between login and callback (is SECRET_KEY the same in every worker process, "
            "and unchanged since the login began?), or the login was started in another "
            "browser. Start the login again.",
            provider=provider,
            reason="unknown",
        )
    return StateMismatchError(
        "No login with this state is pending in this browser: it was started in another "
        "browser or tab session, replaced by newer logins, or the state was altered. "
        "Start the login again.",
        provider=provider,
        reason="unknown",
    )


def _no_cookie_message(cookie_name: str) -> str:
    app = current_app
    causes: list[str] = []
    samesite = str(app.config.get("SESSION_COOKIE_SAMESITE") or "").lower()
    if samesite == "strict":
        causes.append(
            "SESSION_COOKIE_SAMESITE is 'Strict', so browsers do not send the cookie when the "
            "provider redirects back; use 'Lax'"
        )
    if app.config.get("SESSION_COOKIE_SECURE") and request.scheme != "https":
        causes.append(
            "SESSION_COOKIE_SECURE is on but this callback arrived over http; serve https, or "
            "trust your proxy's X-Forwarded-Proto (hypercorn's ProxyFixMiddleware)"
        )
    causes.append(
        f"the login was started on another host name than this callback's ({request.host}): "
        "'localhost' and '127.0.0.1' are different sites to a browser, so start the login "
        "from the same host as the registered redirect URI"
    )
    causes.append("SESSION_COOKIE_DOMAIN or SESSION_COOKIE_PATH does not cover this URL")
    causes.append("this browser blocks cookies for the site")
    return (
        f"The browser sent no session cookie ({cookie_name!r}) with the provider's answer, so "
        "the login it started cannot be found and the 'state' check fails. Likely causes: "
        + "; ".join(f"({i}) {c}" for i, c in enumerate(causes, 1))
        + "."
    )

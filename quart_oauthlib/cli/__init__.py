"""``python -m quart_oauthlib``: log in from a terminal, and hand scripts a fresh token.

``python -m quart_oauthlib login google --client-id ID`` signs in once; then
``python -m quart_oauthlib token google --client-id ID`` prints a fresh access
token for another program's ``Authorization`` header.

Progress goes to stderr; ``token`` prints the access token alone on stdout.
Errors are one line on stderr, with exit status 1 (2 for a wrong command line).
Never imports Quart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from ..client.native.device import printable
from ..client.native.token_cache import TokenCache
from ..client.oauth2_session import OAuth2Session
from ..client.oidc.userinfo import fetch_userinfo
from ..errors import ConfigurationError, QuartOAuthlibError
from ._provider import Endpoints, cache_issuer, resolve

__all__ = ["default_cache_path", "main"]

SECRET_ENV = "QUART_OAUTHLIB_CLIENT_SECRET"
PROG = "python -m quart_oauthlib"


def default_cache_path() -> Path:
    """``$XDG_CONFIG_HOME/quart-oauthlib/tokens.json`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "quart-oauthlib" / "tokens.json"


class UsageError(Exception):
    """A wrong command line: exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Sign in to an OAuth 2 / OpenID Connect provider from a terminal, and "
        "print fresh access tokens for scripts. Tokens are kept in a cache file "
        "(mode 0600) and refreshed when they expire.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    login = commands.add_parser(
        "login",
        help="sign in (in the browser, or with a code on another device) and cache the token",
        description="Sign in and cache the token. By default the browser opens and the "
        "provider redirects back to a port on 127.0.0.1 (RFC 8252); with --device, a code "
        "is shown to enter on any device (RFC 8628).",
    )
    token = commands.add_parser(
        "token",
        help="print a fresh access token (refreshed as needed), and nothing else",
        description="Print the cached access token on stdout, refreshing it first when it "
        "has expired. Run 'login' once before.",
    )
    for sub in (login, token):
        _common_options(sub)
    login.add_argument(
        "--device",
        action="store_true",
        help="use the device flow: show a code to enter on another device (for SSH "
        "sessions and machines without a browser)",
    )
    login.add_argument(
        "--device-authorization-url",
        metavar="URL",
        help="the provider's device authorization endpoint, when discovery does not give it",
    )
    login.add_argument(
        "--port",
        type=int,
        default=0,
        help="the loopback port to receive the browser's redirect on (default: any free one)",
    )
    login.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds to wait for the sign-in (default: 300)",
    )
    login.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a browser; only print the URL to open",
    )
    return parser


def _common_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "provider",
        metavar="PROVIDER",
        help="a preset name (google, github, microsoft, ...) or the issuer's https:// URL "
        "(its /.well-known/openid-configuration is read)",
    )
    sub.add_argument("--client-id", required=True, help="your OAuth client id")
    sub.add_argument(
        "--client-secret",
        help=f"the client secret, for providers that want one from native apps (better: "
        f"set ${SECRET_ENV}; a command line is visible to other users)",
    )
    sub.add_argument(
        "--scope",
        nargs="+",
        metavar="SCOPE",
        help="the scopes to ask for (default: the preset's, or 'openid profile')",
    )
    sub.add_argument(
        "--cache",
        type=Path,
        metavar="PATH",
        help=f"the token cache file (default: {default_cache_path()})",
    )
    sub.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a preset setting, such as tenant=contoso.com for microsoft (repeatable)",
    )


def _settings(pairs: Sequence[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--setting takes NAME=VALUE, not {pair!r}.")
        settings[name.strip()] = value.strip()
    return settings


async def _run(args: argparse.Namespace) -> int:
    secret = args.client_secret or os.environ.get(SECRET_ENV) or None
    settings = _settings(args.setting)
    cache = TokenCache(args.cache or default_cache_path())
    async with aiohttp.ClientSession() as http:
        if args.command == "token":
            return await _token(http, args, secret, settings, cache)
        return await _login(http, args, secret, settings, cache)


def _session(
    http: aiohttp.ClientSession, args: argparse.Namespace, secret: str | None, scope: Sequence[str]
) -> OAuth2Session:
    return OAuth2Session(args.client_id, scope=list(scope), client_secret=secret, session=http)


async def _token(
    http: aiohttp.ClientSession,
    args: argparse.Namespace,
    secret: str | None,
    settings: dict[str, str],
    cache: TokenCache,
) -> int:
    issuer = cache_issuer(args.provider, args.client_id, settings)
    not_signed_in = QuartOAuthlibError(
        f"Not signed in to {args.provider} as client {args.client_id}"
        + (f" with scope {' '.join(args.scope)}" if args.scope else "")
        + f"; run: {PROG} login {args.provider} --client-id {args.client_id}"
    )
    found = cache.find(issuer, args.client_id)
    if args.scope:
        wanted = " ".join(sorted(set(args.scope)))
        found = [(scope, token) for scope, token in found if scope == wanted]
    if not found:
        raise not_signed_in
    if len(found) > 1:
        raise UsageError(
            "Several sign-ins for this client, with scopes: "
            + "; ".join(repr(scope) for scope, _ in found)
            + ". Pick one with --scope."
        )
    scope, token = found[0]
    if _expired(token):
        endpoints = await resolve(
            http, args.provider, args.client_id, secret, settings, None, scope.split()
        )
        async with _session(http, args, secret, scope.split()) as oauth:
            try:
                token = await cache.get_or_login(
                    oauth, token_url=endpoints.token_url, issuer=issuer
                )
            except ConfigurationError:  # the grant is gone, and no login here
                raise not_signed_in from None
    print(token["access_token"])
    return 0


def _expired(token: dict[str, Any]) -> bool:
    expires_at = token.get("expires_at")
    return isinstance(expires_at, int | float) and expires_at - 60 <= time.time()


async def _login(
    http: aiohttp.ClientSession,
    args: argparse.Namespace,
    secret: str | None,
    settings: dict[str, str],
    cache: TokenCache,
) -> int:
    endpoints = await resolve(
        http,
        args.provider,
        args.client_id,
        secret,
        settings,
        args.device_authorization_url,
        args.scope,
    )
    async with _session(http, args, secret, endpoints.scope) as oauth:
        print(f"Signing in to {endpoints.issuer} ...", file=sys.stderr, flush=True)
        if args.device and endpoints.device_authorization_url:
            token = await oauth.device_login(
                endpoints.device_authorization_url, endpoints.token_url, timeout=args.timeout
            )
        elif endpoints.authorization_url:
            token = await oauth.login_with_browser(
                endpoints.authorization_url,
                endpoints.token_url,
                port=args.port,
                timeout=args.timeout,
                open_browser=(lambda url: None) if args.no_browser else None,
                issuer=endpoints.response_issuer,
                require_iss=endpoints.iss_required,
            )
        elif args.device:
            raise ConfigurationError(
                f"{args.provider} advertises no device authorization endpoint; "
                "pass --device-authorization-url, or sign in without --device."
            )
        else:
            raise ConfigurationError(f"{args.provider} advertises no authorization endpoint.")
        await cache.store(endpoints.issuer, args.client_id, endpoints.scope, token)
        print(f"Signed in{printable(await _who(oauth, endpoints))}.", flush=True)
    print(f"Token saved in {cache.path}", file=sys.stderr)
    return 0


async def _who(oauth: OAuth2Session, endpoints: Endpoints) -> str:
    """ " as <name> (<sub>)" from the userinfo endpoint, when there is one that answers."""
    if not endpoints.userinfo_url:
        return ""
    try:
        claims = await fetch_userinfo(oauth, endpoints.userinfo_url)
    except (QuartOAuthlibError, aiohttp.ClientError, OAuth2Error):
        return ""
    sub = claims.get("sub") or claims.get("id") or claims.get("login")
    name = claims.get("name") or claims.get("preferred_username") or claims.get("email")
    if name and sub:
        return f" as {name} ({sub})"
    return f" as {name or sub}" if name or sub else ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OAuth2Error):
        text = f"the provider answered {exc.error}"
        return text + (f": {exc.description}" if exc.description else "")
    if isinstance(exc, aiohttp.ClientError):
        return f"network error: {exc}" if str(exc) else f"network error ({type(exc).__name__})"
    return str(exc) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0, 1 for errors, 2 for usage)."""
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return 1
    except (QuartOAuthlibError, OAuth2Error, aiohttp.ClientError, OSError, ValueError) as exc:
        print(f"error: {printable(_describe(exc))}", file=sys.stderr)
        return 1

"""``python -m example_app``: the example app and its development provider, together.

Open the URL it prints. Ctrl-C stops both. ``--help`` lists the options;
each also has an environment variable (which a ``.env`` file may set).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from quart_oauthlib import ConfigurationError

from .serving import LOOPBACK, Servers, build_servers, listen_on_loopback, serve_together
from .settings import read_env_file


def main(argv: Sequence[str] | None = None) -> int:
    """Run until Ctrl-C; the exit status (0, or 2 when it cannot start)."""
    env_file = _parser({}).parse_known_args(argv)[0].env_file
    env = {**read_env_file(env_file), **os.environ}  # the real environment wins
    args = _parser(env).parse_args(argv)
    _configure_logging()

    # DEVELOPMENT ONLY. oauthlib refuses OAuth over plain http, rightly: tokens would
    # cross the network in clear text. Here the app and the dev provider talk over
    # 127.0.0.1, and the callback URL is http://127.0.0.1, so this process, and only
    # this process, allows it. Never set OAUTHLIB_INSECURE_TRANSPORT in production.
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

    try:
        app_socket = listen_on_loopback(args.port)
        provider_socket = None if args.no_dev_provider else listen_on_loopback(args.provider_port)
    except OSError as e:
        print(f"Cannot listen on {LOOPBACK}: {e.strerror}. Is the example already running? "
              "Choose other ports with --port and --provider-port.", file=sys.stderr)  # fmt: skip
        return 2
    try:
        servers = build_servers(env, app_socket, provider_socket, args.token_lifetime)
    except ConfigurationError as e:
        print(f"Configuration error: {e}", file=sys.stderr)
        return 2
    asyncio.run(_serve_until_interrupted(servers, _banner(servers)))
    print("Stopped.", flush=True)
    return 0


async def _serve_until_interrupted(servers: Servers, banner: str) -> None:
    shutdown = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, shutdown.set)
        except NotImplementedError:  # Windows: Ctrl-C cancels asyncio.run's task instead
            pass
    await serve_together(servers.listeners, shutdown, on_ready=lambda: print(banner, flush=True))


def _banner(servers: Servers) -> str:
    app_url = servers.app_url
    lines = ["", f"  Open {app_url} in your browser.", ""]
    if servers.provider_url is not None:
        lines.append(
            f"  Dev provider at {servers.provider_url}: DEVELOPMENT ONLY, any user name signs in."
        )
        if servers.settings.dev_modern:
            lines.append(
                "  Dev login: pushed (PAR) with DPoP-bound tokens; EXAMPLE_DEV_MODERN=0 for Bearer."
            )
    for name in servers.settings.providers:
        if name != "dev":
            lines.append(f"  {name}: register the callback URL {app_url}/login/{name}/authorized")
    lines += ["  Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m example_app",
        description="The quart-oauthlib example app, with its development OAuth provider.",
    )
    parser.add_argument(
        "--port", type=int, default=int(env.get("EXAMPLE_PORT", 5000)),
        help="the app's port on 127.0.0.1; 0 for any free one (EXAMPLE_PORT, default 5000)",
    )  # fmt: skip
    parser.add_argument(
        "--provider-port", type=int, default=int(env.get("EXAMPLE_PROVIDER_PORT", 5001)),
        help="the dev provider's port (EXAMPLE_PROVIDER_PORT, default 5001)",
    )  # fmt: skip
    parser.add_argument(
        "--token-lifetime", type=int, default=int(env.get("EXAMPLE_TOKEN_LIFETIME", 300)),
        help="seconds the dev provider's access tokens live (EXAMPLE_TOKEN_LIFETIME, default 300)",
    )  # fmt: skip
    parser.add_argument(
        "--no-dev-provider", action="store_true",
        default=env.get("EXAMPLE_DEV_PROVIDER", "1") == "0",
        help="do not start the dev provider (EXAMPLE_DEV_PROVIDER=0)",
    )  # fmt: skip
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"),
        help="read KEY=value settings from this file too (default ./.env)",
    )  # fmt: skip
    return parser


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )  # fmt: skip
    # oauthlib logs request bodies (tokens, codes, secrets) at DEBUG on both the
    # client and the provider side; keep them out even if the root level is lowered.
    logging.getLogger("oauthlib").setLevel(logging.WARNING)


if __name__ == "__main__":
    sys.exit(main())

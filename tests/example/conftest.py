"""The example app and its dev provider, served for real on free ports of 127.0.0.1."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from yarl import URL

from example_app.app import create_app
from example_app.dev_provider.provider import DevProvider
from example_app.serving import Servers, build_servers, listen_on_loopback, serve_together


@dataclass
class RunningExample:
    """The served example: its URLs, and the dev provider's state for assertions."""

    servers: Servers

    @property
    def app_url(self) -> URL:
        return URL(self.servers.app_url)

    @property
    def provider_url(self) -> URL:
        assert self.servers.provider_url is not None
        return URL(self.servers.provider_url)

    @property
    def provider(self) -> DevProvider:
        provider: DevProvider = self.servers.apps["dev-provider"].extensions["dev_provider"]
        return provider


#: Changes the example app's ``OAUTH_PROVIDERS["dev"]`` entry, given the dev provider's URL.
DevSettings = Callable[[str, dict[str, Any]], dict[str, Any]]


@asynccontextmanager
async def running_example(
    token_lifetime: int = 300,
    dev_settings: DevSettings | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[RunningExample]:
    """Both servers under Hypercorn, as ``python -m example_app`` runs them.

    ``dev_settings`` rewrites the app's settings for the dev provider (to reach it
    through discovery, say); ``env`` is the environment the example reads
    (``{"EXAMPLE_DEV_MODERN": "0"}`` for the classic Bearer login). The caller
    allows plain http (``OAUTHLIB_INSECURE_TRANSPORT``), as the example does.
    """
    sockets = listen_on_loopback(0), listen_on_loopback(0)
    servers = build_servers(env or {}, *sockets, token_lifetime)
    if dev_settings is not None:
        servers = _with_dev_settings(servers, dev_settings)
    shutdown, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(serve_together(servers.listeners, shutdown, ready.set))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        yield RunningExample(servers)
    finally:
        shutdown.set()
        await asyncio.wait_for(task, 10)


def _with_dev_settings(servers: Servers, change: DevSettings) -> Servers:
    """``servers`` with the example app rebuilt for changed dev provider settings."""
    assert servers.provider_url is not None
    providers = dict(servers.settings.providers)
    providers["dev"] = change(servers.provider_url, dict(providers["dev"]))
    settings = replace(servers.settings, providers=providers)
    (name, _app, sock), *others = servers.listeners
    return replace(
        servers, listeners=[(name, create_app(settings), sock), *others], settings=settings
    )


@pytest.fixture
def insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    """Development only, as in example_app.__main__: the dev provider speaks plain http."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
async def example(insecure_transport: None) -> AsyncIterator[RunningExample]:
    """The example app and its dev provider, with the default token lifetime."""
    async with running_example() as running:
        yield running


#: The example's environment for the classic dev login: Bearer tokens, no PAR.
CLASSIC = {"EXAMPLE_DEV_MODERN": "0"}


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client that keeps cookies, like a browser."""
    # unsafe=True: aiohttp's cookie jar ignores cookies from IP addresses by default.
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield session


def form_field(page: str, name: str) -> str:
    """The value of the first ``<input name=...>`` on ``page``."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no {name!r} field on the page"
    return html.unescape(match.group(1))


def form_action(page: str, form_class: str) -> str:
    """The ``action`` of the form with ``class="{form_class}"``."""
    match = re.search(rf'<form method="post" action="([^"]*)" class="{form_class}"', page)
    assert match, f"no {form_class!r} form on the page"
    return html.unescape(match.group(1))


def link(page: str, text: str) -> str:
    """The ``href`` of the link whose text is ``text``."""
    match = re.search(rf'href="([^"]*)"[^>]*>{re.escape(text)}</a>', page)
    assert match, f"no link {text!r} on the page"
    return html.unescape(match.group(1))

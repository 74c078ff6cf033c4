"""The pytest plugin of quart-oauthlib: the ``fake_provider`` fixture.

Registered through the ``pytest11`` entry point, so an app's tests get it by
installing the package::

    async def test_profile(fake_provider, monkeypatch):
        app = create_app({"github": fake_provider.settings_for("github")})
        ...

The fixture is async: it needs pytest-asyncio (``asyncio_mode = auto``, or
the ``@pytest.mark.asyncio`` mark on the test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .provider import FakeProvider, running_fake_provider

__all__ = ["fake_provider"]

try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover -- the plugin loads anyway; the fixture needs it
    _async_fixture = pytest.fixture  # type: ignore[assignment]


@_async_fixture
async def fake_provider(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProvider]:
    """A running :class:`~quart_oauthlib.testing.FakeProvider` on 127.0.0.1.

    It serves plain HTTP, so ``OAUTHLIB_INSECURE_TRANSPORT`` is set for the test
    (create the app inside the test, after the fixture, for its checks to see it).
    """
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    async with running_fake_provider() as provider:
        yield provider

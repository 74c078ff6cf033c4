"""Test helpers for apps using quart-oauthlib (installed with the package).

* :func:`login_as`: sign a Quart test client in, with no provider at all.
* :class:`FakeProvider` and :func:`running_fake_provider`: a real OAuth 2 /
  OpenID provider on 127.0.0.1 (oauthlib's server side) for whole-login tests;
  it needs the ``testing`` extra (``pip install 'quart-oauthlib[testing]'``).
* The pytest plugin (:mod:`quart_oauthlib.testing.pytest_plugin`, loaded
  automatically) provides the ``fake_provider`` fixture.
"""

from __future__ import annotations

from .login import login_as, logout_as
from .provider import FakeProvider, running_fake_provider

__all__ = ["FakeProvider", "login_as", "logout_as", "running_fake_provider"]

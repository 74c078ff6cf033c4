"""The shipped pytest plugin's fixture, imported as an app's tests get it from the entry point."""

from quart_oauthlib.testing.pytest_plugin import fake_provider

__all__ = ["fake_provider"]

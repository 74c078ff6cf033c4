"""Logins for native apps (scripts, command-line tools): RFC 8252 loopback and RFC 8628
device flow, and a token cache file. Framework-free, like the rest of the client."""

from .device import DeviceCodeHandler, device_login
from .loopback import BrowserOpener, LoopbackListener, login_with_browser
from .token_cache import TokenCache

__all__ = [
    "BrowserOpener",
    "DeviceCodeHandler",
    "LoopbackListener",
    "TokenCache",
    "device_login",
    "login_with_browser",
]

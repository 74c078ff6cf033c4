"""Encryption at rest for stored tokens: a codec using cryptography's Fernet.

Give a server-side store a :class:`FernetCodec` and it keeps each token as a
Fernet token (AES-128-CBC with an HMAC-SHA256, a timestamp and a version)
instead of JSON::

    codec = FernetCodec(app.config["OAUTH_TOKEN_ENCRYPTION_KEYS"])
    store = SQLTokenStore("postgresql+asyncpg://...", codec=codec)

or let the extension build both from config: ``OAUTH_TOKEN_STORE`` set to a
database or Redis URL, and ``OAUTH_TOKEN_ENCRYPTION_KEYS`` to one key or a
list of keys (``Fernet.generate_key()``). Key rotation: put the new key
first. The first key encrypts; every key decrypts, so tokens written under
an older key stay readable and are re-encrypted with the new key the next
time they are written (at the next refresh or login). Drop an old key once
no token needs it (:meth:`FernetCodec.rotate` re-encrypts one on demand).

Needs the ``crypto`` extra (``cryptography``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from .base import Token

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

__all__ = ["FernetCodec"]

Keys = str | bytes | Sequence[str | bytes]


class FernetCodec:
    """Encrypts tokens with the first of ``keys``; decrypts with any of them.

    Args:
        keys: A Fernet key (32 url-safe base64-encoded bytes), or several,
            newest first. A string may hold several keys separated by commas.

    Raises:
        ConfigurationError: No key, a malformed key, or ``cryptography`` missing.
    """

    def __init__(self, keys: Keys):
        try:
            from cryptography.fernet import Fernet, MultiFernet
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "Token encryption needs cryptography: pip install 'quart-oauthlib[crypto]'."
            ) from exc
        key_list = _split(keys)
        if not key_list:
            raise ConfigurationError("OAUTH_TOKEN_ENCRYPTION_KEYS: give at least one Fernet key.")
        try:
            fernets = [Fernet(key) for key in key_list]
        except ValueError as exc:
            raise ConfigurationError(
                "OAUTH_TOKEN_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded "
                "bytes, as Fernet.generate_key() makes."
            ) from exc
        self._fernet: MultiFernet = MultiFernet(fernets)
        self.key_count = len(fernets)

    def encode(self, token: Mapping[str, Any]) -> str:
        """``token`` as JSON, encrypted with the first key."""
        data = json.dumps(dict(token), separators=(",", ":")).encode()
        return self._fernet.encrypt(data).decode("ascii")

    def decode(self, data: str) -> Token:
        """The token encrypted as ``data``.

        Raises:
            ValueError: No key decrypts it, or it was altered.
        """
        from cryptography.fernet import InvalidToken

        try:
            value = json.loads(self._fernet.decrypt(data.encode("ascii")))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise ValueError("a stored token cannot be decrypted with any configured key") from exc
        if not isinstance(value, dict):
            raise ValueError("a stored token is not a JSON object")  # noqa: TRY004 -- codec contract
        return value

    def rotate(self, data: str) -> str:
        """``data`` re-encrypted with the first key (for a bulk re-encryption job)."""
        return self._fernet.rotate(data.encode("ascii")).decode("ascii")

    def __repr__(self) -> str:
        return f"<FernetCodec with {self.key_count} key(s)>"


def _split(keys: Keys) -> list[str | bytes]:
    if isinstance(keys, str):
        return [part.strip() for part in keys.split(",") if part.strip()]
    if isinstance(keys, bytes):
        return [keys]
    return [key for key in keys if key]

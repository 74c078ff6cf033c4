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

Each ciphertext is bound to its row: the provider and user it was written for
are encrypted with the token and checked when it is read, so a ciphertext
copied into another user's row (by someone with write access to the table but
not the key) does not decrypt there. Fernet has no associated data, so they
travel inside the encrypted payload, which Fernet's HMAC protects.

Rows written before this binding (plain encrypted tokens) are refused by
default, as they could have been copied from anywhere; those users sign in
again. To migrate without that, either build the store's codec with
``accept_unbound=True`` until every row has been rewritten (at its next
refresh or login), or run :meth:`FernetCodec.rebind` over the rows once.

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


#: The key of the bound payload's (provider, user) pair; a token never has it.
_ROW = "quart_oauthlib_row"


class FernetCodec:
    """Encrypts tokens with the first of ``keys``; decrypts with any of them.

    The stores call :meth:`encode_for` and :meth:`decode_for`, which bind each
    ciphertext to its (provider, user) row; :meth:`encode` and :meth:`decode`
    are the unbound forms, for values that belong to no row.

    Args:
        keys: A Fernet key (32 url-safe base64-encoded bytes), or several,
            newest first. A string may hold several keys separated by commas.
        accept_unbound: Also read rows written before ciphertexts were bound
            to their row (a migration aid: such a row could have been copied
            from another user's). Off by default.

    Raises:
        ConfigurationError: No key, a malformed key, or ``cryptography`` missing.
    """

    def __init__(self, keys: Keys, *, accept_unbound: bool = False):
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
        self.accept_unbound = accept_unbound

    def encode(self, token: Mapping[str, Any]) -> str:
        """``token`` as JSON, encrypted with the first key."""
        data = json.dumps(dict(token), separators=(",", ":")).encode()
        return self._fernet.encrypt(data).decode("ascii")

    def decode(self, data: str) -> Token:
        """The token encrypted as ``data`` by :meth:`encode`.

        Raises:
            ValueError: No key decrypts it, or it was altered.
        """
        value = self._decrypt(data)
        if _ROW in value:
            raise ValueError("a stored token is bound to a row; read it with decode_for()")
        return value

    def encode_for(self, token: Mapping[str, Any], provider: str, user_id: str) -> str:
        """``token`` encrypted for the row of ``provider`` and ``user_id`` only."""
        payload = {_ROW: [provider, user_id], "token": dict(token)}
        data = json.dumps(payload, separators=(",", ":")).encode()
        return self._fernet.encrypt(data).decode("ascii")

    def decode_for(self, data: str, provider: str, user_id: str) -> Token:
        """The token encrypted as ``data`` for the row of ``provider`` and ``user_id``.

        Raises:
            ValueError: No key decrypts it, it was altered, it was written for
                another row, or it is unbound and ``accept_unbound`` is off.
        """
        value = self._decrypt(data)
        if _ROW not in value:
            if not self.accept_unbound:
                raise ValueError(
                    "a stored token was encrypted without its row (an older format); "
                    "it is refused (see FernetCodec's accept_unbound for migrating)"
                )
            return value
        return _bound_token(value, provider, user_id)

    def rebind(self, data: str, provider: str, user_id: str) -> str:
        """An unbound (older) ciphertext re-encrypted, bound to its row (a migration job).

        Run it only over rows you trust were not tampered with. An already bound
        ciphertext is checked against the row and re-encrypted with the first key.

        Raises:
            ValueError: No key decrypts it, or it is bound to another row.
        """
        value = self._decrypt(data)
        token = _bound_token(value, provider, user_id) if _ROW in value else value
        return self.encode_for(token, provider, user_id)

    def _decrypt(self, data: str) -> dict[str, Any]:
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


def _bound_token(value: Mapping[str, Any], provider: str, user_id: str) -> Token:
    """The token of a bound payload, if it was written for this row."""
    token = value.get("token")
    if value.get(_ROW) != [provider, user_id] or not isinstance(token, dict):
        raise ValueError("a stored token was encrypted for another row; it is refused")
    return token


def _split(keys: Keys) -> list[str | bytes]:
    if isinstance(keys, str):
        return [part.strip() for part in keys.split(",") if part.strip()]
    if isinstance(keys, bytes):
        return [keys]
    return [key for key in keys if key]

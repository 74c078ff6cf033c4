"""A token cache file for scripts: log in once, refresh afterwards.

One JSON file holds the tokens of every (issuer or token URL, client id,
scope). It is the user's secret, so it is treated like ``~/.ssh``'s files: it
must be a regular file of this user, readable by nobody else; it is written
atomically (a temporary file renamed over it) with mode 0600; writers in
several processes take turns on a lock file. A file that breaks those rules,
or that is not JSON this module wrote, raises a :class:`TokenCacheError` and is
never overwritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ...errors import (
    ConfigurationError,
    TokenCacheCorruptError,
    TokenCacheError,
    TokenCachePermissionError,
    TokenRefreshError,
)
from ..oauth2_auth import DEFAULT_REFRESH_MARGIN

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the cache raises TokenCacheError on use
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from ..oauth2_session import OAuth2Session, Token, TokenUpdater

__all__ = ["TokenCache", "cache_key"]

log = logging.getLogger("quart_oauthlib")

_FORMAT: Final = "quart-oauthlib token cache"
_VERSION: Final = 1
#: How long to wait for another process's hold on the cache (a refresh is bounded by 30 s).
LOCK_TIMEOUT: Final = 60.0
_LOCK_POLL: Final = 0.05


def cache_key(issuer: str, client_id: str, scope: str | Sequence[str] | None) -> str:
    """The key of one login: the scope is normalized, so its order does not matter."""
    scopes = scope.split() if isinstance(scope, str) else list(scope or ())
    return json.dumps([issuer, client_id, " ".join(sorted(set(scopes)))])


class TokenCache:
    """Tokens kept in one JSON file, per (issuer or token URL, client id, scope).

    Args:
        path: The cache file. Its folder is created (mode 0700) when missing.

    Example::

        cache = TokenCache("~/.config/my-tool/tokens.json")
        async with OAuth2Session(client_id, scope=["openid"]) as session:
            await cache.get_or_login(session, token_url=token_url, authorization_url=auth_url)
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path).expanduser()
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"TokenCache({str(self.path)!r})"

    # -- reading and writing ---------------------------------------------

    def get(self, issuer: str, client_id: str, scope: str | Sequence[str] | None) -> Token | None:
        """The cached token of this login, or None.

        Raises:
            TokenCacheError: The file is corrupt or unsafe.
        """
        entry = self._read().get(cache_key(issuer, client_id, scope))
        return dict(entry) if isinstance(entry, Mapping) else None

    def find(self, issuer: str, client_id: str) -> list[tuple[str, Token]]:
        """Every cached login of this client at this issuer, as ``(scope, token)`` pairs.

        Raises:
            TokenCacheError: The file is corrupt or unsafe.
        """
        found = []
        for key, entry in self._read().items():
            try:
                key_issuer, key_client, scope = json.loads(key)
            except (ValueError, TypeError):
                continue
            if (key_issuer, key_client) == (issuer, client_id) and isinstance(entry, Mapping):
                found.append((str(scope), dict(entry)))
        return found

    def set(
        self,
        issuer: str,
        client_id: str,
        scope: str | Sequence[str] | None,
        token: Mapping[str, Any],
    ) -> None:
        """Save the token of this login (blocking: it waits for other writers).

        Raises:
            TokenCacheError: The file is corrupt or unsafe; it is left as it was.
        """
        with self._locked_sync():
            self._write_entry(cache_key(issuer, client_id, scope), dict(token))

    def delete(self, issuer: str, client_id: str, scope: str | Sequence[str] | None) -> None:
        """Forget the token of this login."""
        with self._locked_sync():
            self._write_entry(cache_key(issuer, client_id, scope), None)

    async def store(
        self,
        issuer: str,
        client_id: str,
        scope: str | Sequence[str] | None,
        token: Mapping[str, Any],
    ) -> None:
        """Save the token of this login, waiting for other writers without blocking the loop.

        Raises:
            TokenCacheError: The file is corrupt or unsafe; it is left as it was.
        """
        async with self._locked():
            self._write_entry(cache_key(issuer, client_id, scope), dict(token))

    def updater(
        self, issuer: str, client_id: str, scope: str | Sequence[str] | None
    ) -> TokenUpdater:
        """A ``token_updater`` for a session: each refreshed token is saved here."""

        async def save(token: Token) -> None:
            await self.store(issuer, client_id, scope, token)

        return save

    # -- the login ---------------------------------------------------------

    async def get_or_login(
        self,
        session: OAuth2Session,
        *,
        token_url: str,
        issuer: str | None = None,
        authorization_url: str | None = None,
        device_authorization_url: str | None = None,
        device: bool = False,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        **login_kwargs: Any,
    ) -> Token:
        """A usable token for the session: the cached one, else refreshed, else a new login.

        The session gets the token, ``auto_refresh_url`` and a ``token_updater``
        that saves every later refresh here. A refresh that the provider refuses
        with ``invalid_grant`` (the grant is gone) falls through to a login;
        any other refresh failure is raised, and the cached token is kept.

        Args:
            session: The session; its ``client_id`` and ``scope`` name the login.
            token_url: The token endpoint.
            issuer: The provider's issuer, to key the cache (the token URL by default).
            authorization_url: For a login in the browser (the default).
            device_authorization_url: For a login with the device flow.
            device: Use the device flow even when ``authorization_url`` is given.
            refresh_margin: Refresh a token that expires within this many seconds.
            **login_kwargs: For :meth:`~quart_oauthlib.OAuth2Session.login_with_browser`
                or :meth:`~quart_oauthlib.OAuth2Session.device_login`.

        Raises:
            TokenCacheError: The cache file is corrupt or unsafe.
            ConfigurationError: No way to log in was given.
        """
        if not session.client_id:
            raise ConfigurationError("get_or_login() needs a session with a client_id.")
        key_parts = (issuer or token_url, session.client_id, session.scope)
        session.auto_refresh_url = session.auto_refresh_url or token_url
        session.token_updater = self.updater(*key_parts)
        cached = self.get(*key_parts)
        if cached is not None and not _expires_within(cached, refresh_margin):
            session.token = cached
            return cached
        if cached is not None and cached.get("refresh_token"):
            refreshed = await self._refresh(session, key_parts, refresh_margin)
            if refreshed is not None:
                return refreshed
        if device or authorization_url is None:
            if device_authorization_url is None:
                raise ConfigurationError(
                    "No cached token, and no authorization_url or device_authorization_url "
                    "to log in with."
                )
            token = await session.device_login(device_authorization_url, token_url, **login_kwargs)
        else:
            token = await session.login_with_browser(authorization_url, token_url, **login_kwargs)
        async with self._locked():
            self._write_entry(cache_key(*key_parts), token)
        return token

    async def _refresh(
        self,
        session: OAuth2Session,
        key_parts: tuple[str, str, str | Sequence[str] | None],
        margin: float,
    ) -> Token | None:
        """Refresh under the cache's lock, so that two processes never both spend one
        (rotating) refresh token; None when the grant is gone and a login is needed."""
        key = cache_key(*key_parts)
        async with self._locked():
            entry = self._read().get(key)  # another process may have refreshed meanwhile
            if not isinstance(entry, Mapping):
                return None
            current = dict(entry)
            session.token = current
            if not _expires_within(current, margin):
                return current
            updater, session.token_updater = session.token_updater, None
            try:
                token = await session.renew_token()
            except TokenRefreshError as exc:
                if exc.needs_login:
                    log.info("The cached grant is gone (invalid_grant); logging in again.")
                    return None
                raise
            finally:
                session.token_updater = updater
            self._write_entry(key, token)
            return token

    # -- the file ----------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return {}
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise TokenCachePermissionError(
                    f"The token cache {self.path} is a symbolic link; refusing to use it.",
                    path=str(self.path),
                ) from None
            raise TokenCacheError(
                f"The token cache {self.path} cannot be read: {exc.strerror}.",
                path=str(self.path),
            ) from None
        try:
            self._check_safe(os.fstat(fd))  # of the file opened, not of whatever the path is now
        except BaseException:
            os.close(fd)
            raise
        with open(fd, encoding="utf-8") as file:
            try:
                document = json.load(file)
            except (ValueError, UnicodeDecodeError):
                document = None
        if (
            not isinstance(document, dict)
            or document.get("format") != _FORMAT
            or document.get("version") != _VERSION
            or not isinstance(document.get("tokens"), dict)
        ):
            raise TokenCacheCorruptError(
                f"The token cache {self.path} is not a token cache this library wrote "
                "(corrupt or another program's); move it away or delete it to log in again.",
                path=str(self.path),
            )
        tokens: dict[str, Any] = document["tokens"]
        return tokens

    def _check_safe(self, info: os.stat_result) -> None:
        where = str(self.path)
        if not stat.S_ISREG(info.st_mode):
            raise TokenCachePermissionError(
                f"The token cache {where} is not a regular file.", path=where
            )
        if info.st_uid != os.getuid():
            raise TokenCachePermissionError(
                f"The token cache {where} belongs to another user (uid {info.st_uid}); "
                "refusing to read or replace it.",
                path=where,
            )
        if info.st_mode & 0o077:
            raise TokenCachePermissionError(
                f"The token cache {where} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {where}",
                path=where,
            )

    def _write_entry(self, key: str, token: dict[str, Any] | None) -> None:
        """Read, change one entry, write atomically. Call with the lock held."""
        tokens = self._read()
        if token is None:
            if tokens.pop(key, None) is None:
                return
        else:
            tokens[key] = token
        document = {"format": _FORMAT, "version": _VERSION, "tokens": tokens}
        fd, temporary = tempfile.mkstemp(  # mode 0600, in the same folder for os.replace
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            with open(fd, "w", encoding="utf-8") as file:
                json.dump(document, file, indent=1, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _open_lock(self) -> int:
        if fcntl is None:
            raise TokenCacheError(
                "The token cache needs POSIX file locks (Linux, macOS, BSD).",
                path=str(self.path),
            )
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            return os.open(
                self._lock_path,
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                0o600,
            )
        except OSError as exc:
            raise TokenCacheError(
                f"Cannot open the token cache's lock file {self._lock_path}: {exc.strerror}.",
                path=str(self.path),
            ) from None

    @contextlib.contextmanager
    def _locked_sync(self) -> Iterator[None]:
        fd = self._open_lock()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextlib.asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        """The lock, without blocking the event loop while another process holds it."""
        fd = self._open_lock()
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TokenCacheError(
                            f"Another process has held the token cache {self.path} "
                            f"for over {LOCK_TIMEOUT:g} seconds.",
                            path=str(self.path),
                        ) from None
                    await asyncio.sleep(_LOCK_POLL)
            yield
        finally:
            os.close(fd)


def _expires_within(token: Mapping[str, Any], margin: float) -> bool:
    expires_at = token.get("expires_at")
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        return False  # no expiry known: use it until the provider says otherwise
    return float(expires_at) - margin <= time.time()

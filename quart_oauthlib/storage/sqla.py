"""``SQLTokenStore``: tokens in a database, through SQLAlchemy 2's asyncio API.

SQLite (aiosqlite) by default, PostgreSQL through asyncpg; any dialect
SQLAlchemy supports works, with an upsert written natively for SQLite and
PostgreSQL. One row per ``(provider, user_id)`` holds the token (JSON, or
encrypted: see :mod:`.encryption`), the provider's account id (so a user can
link one account per provider, and an account can be found again), the
expiry, and the refresh lease.

The table is created on first use (``create_table=True``), or by a
migration; the PostgreSQL DDL::

    CREATE TABLE oauth_tokens (
        provider     VARCHAR(100) NOT NULL,
        user_id      VARCHAR(255) NOT NULL,
        account_id   VARCHAR(255),
        token        TEXT NOT NULL,
        expires_at   DOUBLE PRECISION,
        updated_at   DOUBLE PRECISION NOT NULL,
        lease_holder VARCHAR(64),
        lease_until  DOUBLE PRECISION,
        PRIMARY KEY (provider, user_id)
    );
    CREATE INDEX ix_oauth_tokens_account ON oauth_tokens (provider, account_id);

Refresh lease: a row lock that expires. ``UPDATE ... SET lease_holder=...,
lease_until=now+lease WHERE lease_until IS NULL OR lease_until < now`` takes
it (one statement, atomic on both databases); the holder clears it. Unlike a
PostgreSQL advisory lock it also works on SQLite, and a worker that hangs
(rather than dies) holding it blocks the others only until ``lease_until``.
Workers compare their clocks with it, so keep them in sync (NTP). The
refreshed token is written back with ``UPDATE ... WHERE token = <the text the
lease holder read>``: a worker whose lease ran out, and meanwhile saw another
worker (or a login) write a newer token, changes nothing.

Needs the ``sqla`` extra (and ``postgres`` for PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Final

from ..errors import ConfigurationError
from ._lease import (
    DEFAULT_LEASE_SECONDS,
    JSONCodec,
    TokenCodec,
    decode_row,
    encode_row,
    hold_lease,
)
from .base import BaseTokenStore, Lease, Token, _no_lock, default_account_id

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["SQLTokenStore", "default_account_id"]

log = logging.getLogger("quart_oauthlib")

DEFAULT_URL = "sqlite+aiosqlite:///oauth_tokens.sqlite3"


class SQLTokenStore(BaseTokenStore):
    """Keeps tokens in an SQL table, shared by every worker that uses the database.

    No connection is made before the first call (engines are bound to the
    event loop that first uses them); :meth:`close` disposes of the engine,
    and a later call opens a new one.

    Args:
        url: An SQLAlchemy URL (``sqlite+aiosqlite:///path``,
            ``postgresql+asyncpg://user@host/db``), or an ``AsyncEngine``.
        table_name: The table's name.
        codec: How tokens are written (JSON by default; a
            :class:`~quart_oauthlib.storage.encryption.FernetCodec` encrypts).
        create_table: Create the table (if missing) on first use.
        lease_seconds: The refresh lease's life; None disables the lease
            (only for a single process: several would refresh at once).
        lease_wait: How long to wait for a busy lease (default: lease + 5 s).
        account_id: Picks the provider's account id out of a token.
    """

    def __init__(
        self,
        url: str | AsyncEngine = DEFAULT_URL,
        *,
        table_name: str = "oauth_tokens",
        codec: TokenCodec | None = None,
        create_table: bool = True,
        lease_seconds: float | None = DEFAULT_LEASE_SECONDS,
        lease_wait: float | None = None,
        account_id: Callable[[Mapping[str, Any]], str | None] = default_account_id,
    ):
        try:
            import sqlalchemy  # noqa: F401 -- fail early, with the extra to install
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigurationError(
                "SQLTokenStore needs SQLAlchemy: pip install 'quart-oauthlib[sqla]'."
            ) from exc
        self._url = url if isinstance(url, str) else None
        self._engine: AsyncEngine | None = None if isinstance(url, str) else url
        self.table: Table = _make_table(table_name)
        self.codec: TokenCodec = codec or JSONCodec()
        self._create = create_table
        self._created = False
        self._create_lock: asyncio.Lock | None = None
        self.lease_seconds = lease_seconds
        self.lease_wait = lease_wait if lease_wait is not None else (lease_seconds or 0) + 5
        self._account_id = account_id

    # -- TokenStore --------------------------------------------------------

    async def get(self, provider: str, user_id: str) -> Token | None:
        """The token stored for ``provider`` and ``user_id``, or None."""
        from sqlalchemy import select

        t = self.table
        query = select(t.c.token).where(t.c.provider == provider, t.c.user_id == user_id)
        engine = await self.engine()
        async with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                # One statement: no BEGIN / ROLLBACK round trips around it. (On SQLite,
                # where a round trip is a thread hop, switching the mode costs more.)
                await conn.execution_options(isolation_level="AUTOCOMMIT")
            data = (await conn.execute(query)).scalar_one_or_none()
        return self._decode(data, provider, user_id)

    async def set(self, provider: str, user_id: str, token: Mapping[str, Any]) -> None:
        """Store ``token`` (insert or replace), keeping any lease on the row."""
        values = self._row_values(token, provider, user_id)
        engine = await self.engine()
        async with engine.begin() as conn:
            await conn.execute(self._upsert(engine, provider, user_id, values))

    async def delete(self, provider: str, user_id: str) -> None:
        """Forget the token (no error when there is none)."""
        from sqlalchemy import delete

        t = self.table
        async with (await self.engine()).begin() as conn:
            await conn.execute(delete(t).where(t.c.provider == provider, t.c.user_id == user_id))

    def lock(self, provider: str, user_id: str) -> AbstractAsyncContextManager[None]:
        """The refresh lease on the row of ``provider`` and ``user_id``."""
        if self.lease_seconds is None:
            return _no_lock()

        async def acquire(holder: str, seconds: float) -> bool:
            return await self._acquire(provider, user_id, holder, seconds)

        async def release(holder: str) -> None:
            await self._release(provider, user_id, holder)

        return hold_lease(acquire, release, seconds=self.lease_seconds, wait=self.lease_wait)

    # -- FencedTokenStore ------------------------------------------------------

    async def acquire_lease(self, lease: Lease) -> bool:
        """Take the row's lease if free, expired or already this holder's (one UPDATE)."""
        return await self._acquire(lease.provider, lease.user_id, lease.holder, lease.seconds)

    async def release_lease(self, lease: Lease) -> None:
        """Clear the row's lease if this holder has it."""
        await self._release(lease.provider, lease.user_id, lease.holder)

    async def read_leased(self, lease: Lease) -> Token | None:
        """The token; the stored text goes to ``lease.seen`` for the fenced write."""
        from sqlalchemy import select

        t = self.table
        query = select(t.c.token).where(
            t.c.provider == lease.provider, t.c.user_id == lease.user_id
        )
        async with (await self.engine()).connect() as conn:
            data = (await conn.execute(query)).scalar_one_or_none()
        lease.seen = data
        return self._decode(data, lease.provider, lease.user_id)

    async def write_if_unchanged(self, lease: Lease, token: Mapping[str, Any] | None) -> bool:
        """``UPDATE`` (or ``DELETE``) the row only if its token is the text read under the lease."""
        from sqlalchemy import delete, update

        if lease.seen is None:
            return False  # there was no row: nothing to replace
        t = self.table
        where = (
            t.c.provider == lease.provider,
            t.c.user_id == lease.user_id,
            t.c.token == lease.seen,
        )
        stmt: Any
        if token is None:
            stmt = delete(t).where(*where)
        else:
            stmt = (
                update(t)
                .where(*where)
                .values(**self._row_values(token, lease.provider, lease.user_id))
            )
        async with (await self.engine()).begin() as conn:
            return bool((await conn.execute(stmt)).rowcount == 1)

    # -- more than TokenStore ------------------------------------------------

    async def find_user(self, provider: str, account_id: str) -> str | None:
        """The user who linked the provider account ``account_id``, if any.

        Should several users have linked it, the one whose token was written last.
        """
        from sqlalchemy import select

        t = self.table
        query = (
            select(t.c.user_id)
            .where(t.c.provider == provider, t.c.account_id == account_id)
            .order_by(t.c.updated_at.desc())
            .limit(1)
        )
        async with (await self.engine()).connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def engine(self) -> AsyncEngine:
        """The engine, made on first use; the table is created then if asked."""
        if self._engine is None:
            self._engine = _make_engine(self._url or DEFAULT_URL)
        if self._create and not self._created:
            await self.create_table()
        return self._engine

    async def create_table(self) -> None:
        """Create the table and its index if they do not exist (a migration can do it instead)."""
        from sqlalchemy.exc import SQLAlchemyError

        if self._create_lock is None:
            self._create_lock = asyncio.Lock()
        async with self._create_lock:
            if self._created:
                return
            if self._engine is None:
                self._engine = _make_engine(self._url or DEFAULT_URL)
            try:
                async with self._engine.begin() as conn:
                    await conn.run_sync(self.table.metadata.create_all, checkfirst=True)
            except SQLAlchemyError:
                # Checking and creating are two statements: a worker starting at the same
                # moment may have created the table in between. Then all is well.
                if not await self._table_exists():
                    raise
            self._created = True

    async def _table_exists(self) -> bool:
        from sqlalchemy import inspect

        assert self._engine is not None  # noqa: S101 -- made by create_table
        async with self._engine.connect() as conn:
            return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(self.table.name)))

    async def close(self) -> None:
        """Dispose of the engine's connections (a later call opens new ones)."""
        engine = self._engine
        if engine is not None and self._url is not None:
            self._engine = None
            self._created = False
            self._create_lock = None
            await engine.dispose()

    def __repr__(self) -> str:
        engine = self._engine
        dialect = engine.dialect.name if engine is not None else (self._url or "").split(":")[0]
        return f"<SQLTokenStore {dialect} table={self.table.name!r}>"

    # -- helpers ---------------------------------------------------------------

    def _decode(self, data: str | None, provider: str, user_id: str) -> Token | None:
        if data is None:
            return None
        try:
            return decode_row(self.codec, data, provider, user_id)
        except ValueError as exc:
            log.warning("quart_oauthlib: unreadable stored %r token ignored: %s", provider, exc)
            return None

    def _row_values(self, token: Mapping[str, Any], provider: str, user_id: str) -> dict[str, Any]:
        expires_at = token.get("expires_at")
        values: dict[str, Any] = {
            "token": encode_row(self.codec, token, provider, user_id),
            "expires_at": float(expires_at) if isinstance(expires_at, int | float) else None,
            "updated_at": time.time(),
        }
        # A refresh answer rarely repeats the account id: the row keeps the one it has.
        if (account_id := self._account_id(token)) is not None:
            values["account_id"] = account_id
        return values

    def _upsert(
        self, engine: AsyncEngine, provider: str, user_id: str, values: dict[str, Any]
    ) -> Any:
        t = self.table
        keys = {"provider": provider, "user_id": user_id}
        name = engine.dialect.name
        if name in ("sqlite", "postgresql"):
            if name == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]  # same API
            stmt = insert(t).values(**keys, **values)
            return stmt.on_conflict_do_update(
                index_elements=[t.c.provider, t.c.user_id], set_=values
            )
        raise ConfigurationError(f"SQLTokenStore supports SQLite and PostgreSQL, not {name!r}.")

    async def _acquire(self, provider: str, user_id: str, holder: str, seconds: float) -> bool:
        from sqlalchemy import or_, select, update

        t = self.table
        now = time.time()
        row = (t.c.provider == provider, t.c.user_id == user_id)
        # Already ours: an earlier attempt committed but its reply was lost.
        free = or_(t.c.lease_until.is_(None), t.c.lease_until < now, t.c.lease_holder == holder)
        stmt = update(t).where(*row, free).values(lease_holder=holder, lease_until=now + seconds)
        async with (await self.engine()).begin() as conn:
            if (await conn.execute(stmt)).rowcount == 1:
                return True
            # No row at all: nothing to refresh, so nothing to guard.
            exists = await conn.execute(select(t.c.provider).where(*row))
            return exists.first() is None

    async def _release(self, provider: str, user_id: str, holder: str) -> None:
        from sqlalchemy import update

        t = self.table
        stmt = (
            update(t)
            .where(t.c.provider == provider, t.c.user_id == user_id, t.c.lease_holder == holder)
            .values(lease_holder=None, lease_until=None)
        )
        async with (await self.engine()).begin() as conn:
            await conn.execute(stmt)


def _make_table(name: str) -> Table:
    from sqlalchemy import Column, Float, Index, MetaData, String, Table, Text

    table = Table(
        name,
        MetaData(),
        Column("provider", String(100), primary_key=True),
        Column("user_id", String(255), primary_key=True),
        Column("account_id", String(255), nullable=True),
        Column("token", Text, nullable=False),
        Column("expires_at", Float, nullable=True),
        Column("updated_at", Float, nullable=False),
        Column("lease_holder", String(64), nullable=True),
        Column("lease_until", Float, nullable=True),
    )
    Index(f"ix_{name}_account", table.c.provider, table.c.account_id)
    return table


#: How often, and how far apart, a connection retries switching a new file to WAL.
_WAL_ATTEMPTS: Final = 100
_WAL_RETRY_SECONDS: Final = 0.02


def _switch_to_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the file.

    SQLite does not call its busy handler for this pragma: workers opening a new
    file at the same moment would otherwise fail their first call with "database is
    locked". Once one of them has switched the file, the mode is kept in it. This runs
    in the driver's thread, so the short sleep never blocks the event loop.
    """
    import sqlite3

    for attempt in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(_WAL_RETRY_SECONDS)
        else:
            return


def _make_engine(url: str) -> AsyncEngine:
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    if url.startswith("sqlite"):
        # Several processes share the file: wait for a writer instead of failing at once,
        # and let readers read while one writes (WAL). synchronous=NORMAL is WAL's
        # recommended setting: no corruption on a crash, one fsync per checkpoint.
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _wal(dbapi_connection: Any, record: Any) -> None:
            cursor = dbapi_connection.cursor()
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # No pool_pre_ping: it would add a round trip to every token read; a connection
    # the server dropped fails one call, and the pool then replaces it.
    return create_async_engine(url, pool_recycle=3600)

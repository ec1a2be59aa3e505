"""Single SQL statements run on the event loop itself, on a PostgreSQL connection of the loop's
own (docs/decisions/0018).

Handing a statement to a pool thread (``realtime.threads.db``) costs about 0.3 ms of CPU on our
machines before the statement runs: the thread's wake-up, asgiref's context, and a connection
taken from Django's pool and given back. For the few statements a live lesson runs several
times a second (the teacher's strokes), that was more than the statement itself. Here the loop
awaits the statement on its own autocommit connection (psycopg's asyncio connection): about
0.1 ms.

The connection is opened on first use with Django's connection settings, used by one
statement at a time, and dropped when it fails; the caller then takes its ordinary way
through a thread. A statement that waits for a row lock longer than 0.1 s gives up (and
takes that way too), so one lesson's wait holds up the process's other statements no longer
than that. PostgreSQL only: elsewhere ``available()`` is false."""

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

from django.db import connection

LOCK_TIMEOUT_MS = 100  # those who hold a lesson's number commit within milliseconds
CONNECT_TIMEOUT_SECONDS = 5
RETRY_SECONDS = 5.0  # after a failed attempt to connect, the ordinary way for this long


def available() -> bool:
    return connection.vendor == "postgresql"


class LoopConnection:
    def __init__(self) -> None:
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._failed_at: float | None = None  # the last failed connection attempt

    async def fetchone(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """The statement's first row (None when it returns none)."""
        rows = await self.fetch(sql, params, one=True)
        return rows[0] if rows else None

    async def fetch(
        self, sql: str, params: Sequence[Any], *, one: bool = False
    ) -> list[tuple[Any, ...]]:
        """The statement's rows (only the first when ``one``). A database error is raised as
        psycopg's; a connection that failed is dropped and the next statement opens
        another. After a failed attempt to connect, statements fail at once
        (``Unavailable``) for ``RETRY_SECONDS``: their callers take their ordinary way
        without each trying to connect again."""
        import psycopg

        async with self._lock:
            if self._connection is None or self._connection.closed:
                await self._connect()
            try:
                cursor = await self._connection.execute(sql, params)
                if one:
                    row = await cursor.fetchone()
                    return [row] if row is not None else []
                return await cursor.fetchall()
            except psycopg.Error:
                if self._connection.broken:
                    await self.close()
                raise

    async def _connect(self) -> None:
        import psycopg

        loop = asyncio.get_running_loop()
        if self._failed_at is not None and loop.time() - self._failed_at < RETRY_SECONDS:
            raise Unavailable("the last attempt to connect failed moments ago")
        try:
            self._connection = await psycopg.AsyncConnection.connect(
                **_connection_params(), autocommit=True
            )
        except psycopg.Error:
            self._failed_at = loop.time()
            raise
        self._failed_at = None
        _open.add(self)

    async def close(self) -> None:
        held, self._connection = self._connection, None
        _open.discard(self)
        if held is not None and not held.closed:
            await held.close()

    def close_now(self) -> None:
        """Close from outside the loop (a loop that has already stopped)."""
        held, self._connection = self._connection, None
        _open.discard(self)
        if held is not None and not held.closed:
            held.pgconn.finish()


class Unavailable(Exception):
    """The loop's connection could not be opened a moment ago."""


def _connection_params() -> dict[str, Any]:
    """Django's parameters for this database, without what belongs to its synchronous
    cursors (their class and adapters)."""
    params = dict(connection.get_connection_params())
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    # Statements go one at a time on this connection: one that waits for a row lock gives up
    # soon and takes the ordinary way, instead of holding up the others for long.
    timeout = f"-c lock_timeout={LOCK_TIMEOUT_MS}"
    params["options"] = f"{params['options']} {timeout}" if params.get("options") else timeout
    return params


_connections: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopConnection]" = (
    weakref.WeakKeyDictionary()
)


def loop_connection() -> LoopConnection:
    """This event loop's connection (opened on its first statement)."""
    loop = asyncio.get_running_loop()
    found = _connections.get(loop)
    if found is None:
        found = _connections[loop] = LoopConnection()
    return found


# The open connections, held until closed: a loop that is gone (a test's) must not leave its
# connection open behind it, keeping the database from being dropped.
_open: set[LoopConnection] = set()


def close_all() -> None:
    """Close every loop's connection (tests: before their database is dropped)."""
    for held in list(_open):
        held.close_now()

"""Single SQL statements run on the event loop itself, on a PostgreSQL connection of the loop's
own (docs/decisions/0018, 0020).

Handing a statement to a pool thread (``realtime.threads.db``) costs about 0.3 ms of CPU on our
machines before the statement runs: the thread's wake-up, asgiref's context, and a connection
taken from Django's pool and given back. For the few statements a live lesson runs several
times a second (the teacher's strokes), that was more than the statement itself. Here the loop
awaits the statement on its own connection, through asyncpg: its protocol reads the
connection's socket as the loop's other connections are read, where psycopg's asyncio
connection registers and removes the socket with the loop around every wait (about 0.09 ms of
CPU a statement against psycopg's 0.19 ms, docs/decisions/0020).

The statements are written as Django's are, with ``%s`` for each parameter (``%%`` for a
percent sign); a parameter whose type PostgreSQL cannot infer from where it stands (in a
``SELECT`` list) is cast in the statement. Each statement is prepared once per connection and
then only executed, unless ``settings.DATABASE_PREPARED_STATEMENTS`` is off (a connection
pooler that does not keep prepared statements).

The connection is opened on first use with Django's connection settings, used by one
statement at a time, and dropped when it fails; the caller then takes its ordinary way
through a thread. A statement that waits for a row lock longer than 0.1 s gives up (and
takes that way too), so one lesson's wait holds up the process's other statements no longer
than that. (Where the session cannot be given that timeout when it connects, behind a
pooler such as PgBouncer, each statement runs in a transaction of its own that sets it.)
PostgreSQL only: elsewhere ``available()`` is false; and a connection setting this
module cannot pass on to asyncpg makes every statement ``Unavailable`` (logged once)."""

import asyncio
import contextlib
import functools
import logging
import re
import socket
import weakref
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

LOCK_TIMEOUT_MS = 100  # those who hold a lesson's number commit within milliseconds
CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_SECONDS = 5.0  # a database that stops answering: give up, reconnect later
RETRY_SECONDS = 5.0  # after a failed attempt to connect, the ordinary way for this long


@functools.cache
def available() -> bool:
    """Whether the database is PostgreSQL (asked once: for every stroke, the connection's
    lookup through its context-local handler cost more than the answer)."""
    return connection.vendor == "postgresql"


class Failed(Exception):
    """The statement did not run: the database refused it, or the connection failed."""


class Duplicate(Failed):
    """A unique constraint refused the row (a message sent again)."""


class Busy(Failed):
    """A row lock was not granted within ``LOCK_TIMEOUT_MS``."""


class Unavailable(Failed):
    """There is no connection: the last attempt to connect failed moments ago, or the
    connection settings cannot be passed on."""


class LoopConnection:
    def __init__(self) -> None:
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._failed_at: float | None = None  # the last failed connection attempt
        # The lock timeout is set in each statement's own transaction, not for the session:
        # the server did not take it at connection (a pooler, docs/decisions/0020).
        self._timeout_each_time = False

    async def fetchone(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """The statement's first row (None when it returns none)."""
        rows = await self.fetch(sql, params, one=True)
        return rows[0] if rows else None

    async def fetch(
        self, sql: str, params: Sequence[Any], *, one: bool = False
    ) -> list[tuple[Any, ...]]:
        """The statement's rows (only the first when ``one``), or ``Failed``: ``Duplicate``
        and ``Busy`` for those two refusals, ``Unavailable`` for
        ``RETRY_SECONDS`` after a failed attempt to connect (the callers take their
        ordinary way without each trying to connect again). A connection that failed, or
        did not answer within ``STATEMENT_TIMEOUT_SECONDS``, is dropped, and the next
        statement opens another."""
        import asyncpg

        query = _numbered(sql)
        async with self._lock:
            if self._connection is None or self._connection.is_closed():
                await self._connect()
            held = self._connection
            try:
                if self._timeout_each_time:
                    return await self._in_transaction(held, query, params, one=one)
                return await _rows(held, query, params, one=one)
            except asyncpg.UniqueViolationError as error:
                raise Duplicate(str(error)) from error
            except asyncpg.LockNotAvailableError as error:
                raise Busy(str(error)) from error
            except asyncpg.PostgresError as error:
                # refused (a parameter it cannot take included); the connection is still good
                raise Failed(str(error)) from error
            except (asyncpg.InterfaceError, OSError) as error:  # OSError: TimeoutError too
                self.close_now()
                raise Failed(str(error) or type(error).__name__) from error
            finally:
                # A statement's own transaction left open (cancelled, or its ROLLBACK failed)
                # would refuse every later statement and keep its locks: drop the connection.
                if self._connection is held and not held.is_closed() and held.is_in_transaction():
                    self.close_now()

    @staticmethod
    async def _in_transaction(
        held: Any, query: str, params: Sequence[Any], *, one: bool
    ) -> list[tuple[Any, ...]]:
        """The statement in a transaction of its own that sets the lock timeout first (two
        more round trips: only where the session could not be given it). Whatever leaves the
        transaction open (a cancellation) makes ``fetch`` drop the connection."""
        import asyncpg

        await held.execute(
            f"BEGIN; SET LOCAL lock_timeout = {LOCK_TIMEOUT_MS}",
            timeout=STATEMENT_TIMEOUT_SECONDS,
        )
        try:
            rows = await _rows(held, query, params, one=one)
        except asyncpg.PostgresError:
            await held.execute("ROLLBACK", timeout=STATEMENT_TIMEOUT_SECONDS)
            raise
        await held.execute("COMMIT", timeout=STATEMENT_TIMEOUT_SECONDS)
        return rows

    async def _connect(self) -> None:
        import asyncpg

        loop = asyncio.get_running_loop()
        if self._failed_at is not None and loop.time() - self._failed_at < RETRY_SECONDS:
            raise Unavailable("the last attempt to connect failed moments ago")
        arguments = _connect_arguments()
        if arguments is None:
            raise Unavailable("the connection settings cannot be passed on to asyncpg")
        try:
            try:
                opened = await asyncpg.connect(**arguments)
            except asyncpg.ProtocolViolationError:
                # A pooler (PgBouncer) refuses server settings it does not know at connection
                opened = await asyncpg.connect(**_without_lock_timeout(arguments))
            try:
                given = await opened.fetchval("SHOW lock_timeout", timeout=CONNECT_TIMEOUT_SECONDS)
            except BaseException:
                opened.terminate()
                raise
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            self._failed_at = loop.time()
            raise Failed(str(error) or type(error).__name__) from error
        # ... or leaves them out (its ignore_startup_parameters): then each statement sets it
        self._timeout_each_time = given != f"{LOCK_TIMEOUT_MS}ms"
        self._connection = opened
        self._failed_at = None
        _open.add(self)

    async def close(self) -> None:
        held, self._connection = self._connection, None
        _open.discard(self)
        if held is not None and not held.is_closed():
            await held.close(timeout=CONNECT_TIMEOUT_SECONDS)

    def close_now(self) -> None:
        """Close at once, also from outside the loop (a loop that has stopped, closed, or runs
        in another thread): asyncpg writes PostgreSQL's Terminate message at once, and the
        server ends the session."""
        held, self._connection = self._connection, None
        _open.discard(self)
        if held is None or held.is_closed():
            return
        try:
            held.terminate()
        except RuntimeError:  # its loop is closed: end the session from this side of the socket
            with contextlib.suppress(OSError, AttributeError):
                held._transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)


async def _rows(
    held: Any, query: str, params: Sequence[Any], *, one: bool
) -> list[tuple[Any, ...]]:
    if one:
        row = await held.fetchrow(query, *params, timeout=STATEMENT_TIMEOUT_SECONDS)
        return [tuple(row)] if row is not None else []
    return [
        tuple(row) for row in await held.fetch(query, *params, timeout=STATEMENT_TIMEOUT_SECONDS)
    ]


def _without_lock_timeout(arguments: dict[str, Any]) -> dict[str, Any]:
    server_settings = dict(arguments["server_settings"])
    server_settings.pop("lock_timeout", None)
    return {**arguments, "server_settings": server_settings}


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1``, ``$2``, ... (``%%`` is ``%``)."""
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%[s%]", lambda found: "%" if found[0] == "%%" else f"${next(numbers)}", sql)


# libpq's connection parameters that asyncpg reads from a connection string as libpq does
_IN_DSN = {
    "sslmode",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "sslcrl",
    "sslpassword",
    "sslnegotiation",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "target_session_attrs",
    "krbsrvname",
    "gsslib",
    "service",
    "passfile",
}
# what belongs to psycopg's own cursors and connections, not to the server
_PSYCOPG_ONLY = {"cursor_factory", "context", "prepare_threshold"}
_SETTING = re.compile(r"-c\s*([\w.]+)=(\S+)")


def _connect_arguments() -> dict[str, Any] | None:
    """asyncpg's ``connect`` arguments for Django's connection to this database, with the
    lock timeout; None (logged) when a parameter has no equivalent there."""
    params = dict(connection.get_connection_params())
    for name in _PSYCOPG_ONLY:
        params.pop(name, None)
    server_settings = {"lock_timeout": str(LOCK_TIMEOUT_MS)}
    encoding = str(params.pop("client_encoding", "UTF8") or "UTF8")
    options = str(params.pop("options", "") or "")
    if encoding.upper().replace("-", "") != "UTF8" or _SETTING.sub("", options).strip():
        _warned("client_encoding or options")
        return None
    server_settings = {**dict(_SETTING.findall(options)), **server_settings}
    if params.get("application_name"):
        server_settings["application_name"] = str(params.pop("application_name"))
    in_dsn = {name: str(params.pop(name)) for name in list(params) if name in _IN_DSN}
    arguments: dict[str, Any] = {
        "dsn": f"postgresql://?{urlencode(in_dsn)}" if in_dsn else None,
        "host": params.pop("host", None) or None,
        "port": params.pop("port", None) or None,
        "user": params.pop("user", None) or None,
        "password": params.pop("password", None) or None,
        "database": params.pop("dbname", None) or None,
        "timeout": float(params.pop("connect_timeout", None) or CONNECT_TIMEOUT_SECONDS),
        "server_settings": server_settings,
        "statement_cache_size": 100 if settings.DATABASE_PREPARED_STATEMENTS else 0,
    }
    if params:
        _warned(", ".join(sorted(params)))
        return None
    return arguments


@functools.cache
def _warned(what: str) -> None:
    log.warning(
        "live lessons: the loop's own database connection is off (%s cannot be passed on); "
        "their statements go through threads",
        what,
    )


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

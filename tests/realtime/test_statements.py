"""Statements on the event loop's own connection (``realtime.statements``): the lesson feeds'
comparison with the log every 2 seconds asks there, and falls back to a thread; a failed
connection is not tried again at once; the strokes' condition answers as the policy does."""

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from django.db import connection

from classrooms import policies
from classrooms.models import LiveLesson
from realtime import fanout, statements
from tests.realtime.conftest import Live, joined, run, start, stored
from tests.servers import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_the_feeds_read_the_log_s_last_numbers_on_the_loop(
    live: Live, other_lesson: LiveLesson, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)
    quiet = other_lesson  # no event yet: not in the answer

    async def no_thread(lesson_ids: list[int]) -> Any:
        raise AssertionError("asked on a thread")

    monkeypatch.setattr(fanout, "_last_seqs_on_thread", no_thread)

    async def scenario() -> None:
        assert await fanout.last_seqs([live.lesson.pk, quiet.pk]) == {live.lesson.pk: 1}
        assert statements.loop_connection()._connection is not None

    run(scenario)


def test_a_failed_statement_asks_on_a_thread_instead(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)

    async def failing(self: statements.LoopConnection, *args: Any, **kwargs: Any) -> Any:
        raise OSError("the connection is gone")

    monkeypatch.setattr(statements.LoopConnection, "fetch", failing)

    async def scenario() -> None:
        assert await fanout.last_seqs([live.lesson.pk]) == {live.lesson.pk: 1}

    run(scenario)


def test_after_a_failed_connection_the_loop_does_not_try_again_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every stroke would otherwise wait for its own attempt (up to the connect timeout)
    before taking the ordinary way."""
    attempts: list[dict[str, Any]] = []
    connect = asyncpg.connect

    async def counted(**kwargs: Any) -> Any:
        attempts.append(kwargs)
        return await connect(**kwargs)

    monkeypatch.setattr(asyncpg, "connect", counted)
    monkeypatch.setattr(
        statements,
        "_connect_arguments",
        lambda: {"host": "127.0.0.1", "port": free_port(), "database": "none", "timeout": 2},
    )

    async def scenario() -> None:
        held = statements.LoopConnection()
        with pytest.raises(statements.Failed) as failed:
            await held.fetch("SELECT 1", [])
        assert not isinstance(failed.value, statements.Unavailable)
        with pytest.raises(statements.Unavailable):
            await held.fetch("SELECT 1", [])
        assert len(attempts) == 1
        held._failed_at = asyncio.get_running_loop().time() - statements.RETRY_SECONDS
        with pytest.raises(statements.Failed):
            await held.fetch("SELECT 1", [])
        assert len(attempts) == 2

    run(scenario)


def test_the_loop_s_statements_give_up_a_row_lock_soon() -> None:
    arguments = statements._connect_arguments()
    assert arguments is not None
    assert arguments["server_settings"]["lock_timeout"] == str(statements.LOCK_TIMEOUT_MS)


def test_a_statement_the_database_does_not_answer_drops_the_connection(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statements, "STATEMENT_TIMEOUT_SECONDS", 0.3)

    async def scenario() -> None:
        held = statements.loop_connection()
        assert await held.fetchone("SELECT %s::int + 1", [1]) == (2,)
        with pytest.raises(statements.Failed):
            await held.fetch("SELECT pg_sleep(5)", [])
        assert held._connection is None
        assert await held.fetchone("SELECT %s::int + 1", [2]) == (3,)

    run(scenario)


def test_a_statement_cancelled_in_its_own_transaction_leaves_no_transaction_open(
    live: Live,
) -> None:
    """Behind a pooler each statement runs in a transaction of its own; cancelled there (its
    caller gave up), the transaction would stay open, aborted, refusing every later statement
    and keeping its locks."""

    async def scenario() -> None:
        held = statements.loop_connection()
        assert await held.fetchone("SELECT 1", []) == (1,)
        held._timeout_each_time = True  # as behind PgBouncer
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(held.fetch("SELECT pg_sleep(5)", []), 0.3)
        assert await held.fetchone("SELECT %s::int + 1", [2]) == (3,)

    run(scenario)


def test_a_refused_statement_keeps_the_connection(live: Live) -> None:
    async def scenario() -> None:
        held = statements.loop_connection()
        assert await held.fetchone("SELECT 1", []) == (1,)
        connection_before = held._connection
        with pytest.raises(statements.Failed):
            await held.fetch("SELECT 1 / 0", [])
        assert held._connection is connection_before
        assert await held.fetchone("SELECT 2", []) == (2,)

    run(scenario)


def test_django_s_placeholders_are_numbered() -> None:
    numbered = statements._numbered("SELECT %s WHERE a LIKE 'x%%' AND b = ANY(%s) AND c = %s")
    assert numbered == "SELECT $1 WHERE a LIKE 'x%' AND b = ANY($2) AND c = $3"


def test_the_connection_settings_are_passed_on(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS and the rest of libpq's parameters that asyncpg reads as libpq does travel in the
    connection string; server settings in ``options`` stay server settings."""
    params = {
        "dbname": "mektep",
        "user": "mektep",
        "password": "p@ss word",
        "host": "db.example.kg",
        "port": 6432,
        "client_encoding": "UTF8",
        "prepare_threshold": None,
        "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/ca.pem",
        "options": "-c statement_timeout=30000",
        "application_name": "mektep",
    }
    monkeypatch.setattr(connection, "get_connection_params", lambda: dict(params))
    settings.DATABASE_PREPARED_STATEMENTS = False
    arguments = statements._connect_arguments()
    assert arguments == {
        "dsn": "postgresql://?sslmode=verify-full&sslrootcert=%2Fetc%2Fssl%2Fca.pem",
        "host": "db.example.kg",
        "port": 6432,
        "user": "mektep",
        "password": "p@ss word",
        "database": "mektep",
        "timeout": float(statements.CONNECT_TIMEOUT_SECONDS),
        "server_settings": {
            "statement_timeout": "30000",
            "lock_timeout": str(statements.LOCK_TIMEOUT_MS),
            "application_name": "mektep",
        },
        "statement_cache_size": 0,
    }


@pytest.mark.parametrize(
    "extra",
    [{"gssencmode": "disable"}, {"client_encoding": "LATIN1"}, {"options": "--search_path=x"}],
)
def test_a_setting_that_cannot_be_passed_on_turns_the_loop_s_connection_off(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, str]
) -> None:
    params = {"dbname": "mektep", "host": "127.0.0.1", **extra}
    monkeypatch.setattr(connection, "get_connection_params", lambda: dict(params))
    assert statements._connect_arguments() is None


def test_a_parameter_the_statement_cannot_take_keeps_the_connection(live: Live) -> None:
    async def scenario() -> None:
        held = statements.loop_connection()
        assert await held.fetchone("SELECT %s::int + 1", [1]) == (2,)
        connection_before = held._connection
        with pytest.raises(statements.Failed):
            await held.fetchone("SELECT %s::int + 1", ["not a number"])
        assert held._connection is connection_before
        assert await held.fetchone("SELECT %s::int + 1", [2]) == (3,)

    run(scenario)


@pytest.mark.parametrize("loop_is", ["closed", "stopped", "running in another thread"])
def test_a_connection_is_closed_from_outside_its_loop(live: Live, loop_is: str) -> None:
    """Every loop's connection is closed for the tests, whatever became of its loop (a test's
    has closed by then): the session ends all the same."""
    loop = asyncio.new_event_loop()
    runner = None
    try:
        held = loop.run_until_complete(_opened())
        backend = held._connection.get_server_pid()
        if loop_is == "closed":
            loop.close()
        if loop_is == "running in another thread":
            runner = threading.Thread(target=loop.run_forever)
            runner.start()
        assert backend in _backends()
        statements.close_all()
        assert _eventually(lambda: backend not in _backends())
        assert held._connection is None
    finally:
        if runner is not None:
            loop.call_soon_threadsafe(loop.stop)
            runner.join()
        loop.close()


async def _opened() -> statements.LoopConnection:
    held = statements.loop_connection()
    assert await held.fetchone("SELECT 1", []) == (1,)
    return held


def test_with_settings_it_cannot_pass_on_the_loop_stores_strokes_through_threads(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statements, "_connect_arguments", lambda: None)
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        ack = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        assert (ack["type"], ack["seq"]) == ("ack", 2)
        assert statements.loop_connection()._connection is None
        await teacher.close()

    run(scenario)
    assert stored(live.lesson.pk) == [(1, "lesson.started"), (2, "board.strokes")]


def stroke() -> dict[str, Any]:
    return {"color": "#1a2b3c", "width": 4, "points": [[10, 20], [30, 40]]}


def _backends() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity")
        return {pid for (pid,) in cursor.fetchall()}


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(
    "who",
    [
        "class_teacher",
        "class_teacher_inactive",
        "other_teacher_a1",
        "teacher_a2",
        "facilitator",
        "student",
        "school_admin_a1",
        "platform_admin",
    ],
)
def test_the_strokes_condition_says_what_teaches_says(live: Live, who: str) -> None:
    """``policies.teaches_lesson_sql`` is ``policies.teaches`` written in SQL: the same answer
    for every kind of person."""
    classes = live.rooms.classes
    if who.startswith("class_teacher"):
        person = classes.person("class_teacher")
        person.is_active = who == "class_teacher"
    else:
        person = classes.courses.people[who]
    cohort = live.lesson.cohort
    condition = policies.teaches_lesson_sql(person, live.lesson)
    if condition is None:
        in_sql = False
    else:
        sql, params = condition
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql}", params)
            in_sql = bool(cursor.fetchone()[0])
    assert in_sql == policies.teaches(person, cohort)
    if who == "class_teacher":
        assert in_sql
    if who in ("class_teacher_inactive", "teacher_a2", "student", "platform_admin"):
        assert not in_sql

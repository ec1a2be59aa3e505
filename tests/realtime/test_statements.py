"""Statements on the event loop's own connection (``realtime.statements``): the lesson feeds'
comparison with the log every 2 seconds asks there, and falls back to a thread; a failed
connection is not tried again at once; the strokes' condition answers as the policy does."""

import asyncio
from typing import Any

import psycopg
import pytest
from django.db import connection

from classrooms import policies
from classrooms.models import LiveLesson
from realtime import fanout, statements
from tests.realtime.conftest import Live, run, start
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


def test_every_loop_s_connection_is_closed_for_the_tests(live: Live) -> None:
    held: list[Any] = []

    async def scenario() -> None:
        await fanout.last_seqs([live.lesson.pk])
        held.append(statements.loop_connection()._connection)

    run(scenario)
    assert not held[0].closed
    statements.close_all()
    assert held[0].closed


def test_after_a_failed_connection_the_loop_does_not_try_again_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every stroke would otherwise wait for its own attempt (up to the connect timeout)
    before taking the ordinary way."""
    attempts: list[dict[str, Any]] = []
    connect = psycopg.AsyncConnection.connect

    async def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append(kwargs)
        return await connect(*args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", counted)
    monkeypatch.setattr(
        statements,
        "_connection_params",
        lambda: {"host": "127.0.0.1", "port": free_port(), "dbname": "none", "connect_timeout": 2},
    )

    async def scenario() -> None:
        held = statements.LoopConnection()
        with pytest.raises(psycopg.OperationalError):
            await held.fetch("SELECT 1", [])
        with pytest.raises(statements.Unavailable):
            await held.fetch("SELECT 1", [])
        assert len(attempts) == 1
        held._failed_at = asyncio.get_running_loop().time() - statements.RETRY_SECONDS
        with pytest.raises(psycopg.OperationalError):
            await held.fetch("SELECT 1", [])
        assert len(attempts) == 2

    run(scenario)


def test_the_loop_s_statements_give_up_a_row_lock_soon() -> None:
    options = statements._connection_params()["options"]
    assert f"-c lock_timeout={statements.LOCK_TIMEOUT_MS}" in options


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

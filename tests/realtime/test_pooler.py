"""The loop's statements (``realtime.statements``) straight to PostgreSQL and through
PgBouncer in transaction mode, as a ministry's deployment may run it. PgBouncer refuses a
connection that asks for a server setting it does not know (the statements' lock timeout),
or, told to ignore it, leaves it out: either way a stroke that waits for the lesson's number
must still give up after the lock timeout and take the ordinary way, and strokes must still
be stored by the statement."""

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from realtime import statements
from realtime.consumers import LessonConsumer
from realtime.models import LessonStream
from tests.realtime.conftest import Live, joined, run, start, statement_numbers, stored
from tests.realtime.test_statements import stroke
from tests.servers import free_port, pgbouncer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

ROUTES = [
    "direct",
    "direct, unprepared",
    pytest.param("pgbouncer refusing", marks=pytest.mark.pgbouncer),
    pytest.param("pgbouncer ignoring", marks=pytest.mark.pgbouncer),
]


@pytest.fixture(params=ROUTES)
def route(
    request: pytest.FixtureRequest, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The loop's connection straight to PostgreSQL, or through a PgBouncer of the test's
    own (which keeps no prepared statement: ``DATABASE_PREPARED_STATEMENTS`` off).
    Unprepared, every parameter's type must still be known to the server: the statements'
    casts."""
    name: str = request.param
    if name.startswith("direct"):
        settings.DATABASE_PREPARED_STATEMENTS = name == "direct"
        yield name
        return
    port = free_port()
    ignore = ["lock_timeout"] if name == "pgbouncer ignoring" else []
    with pgbouncer(port, ignore=ignore):
        settings.DATABASE_PREPARED_STATEMENTS = False
        given = statements._connect_arguments

        def through_pgbouncer() -> dict[str, Any] | None:
            arguments = given()
            assert arguments is not None
            return {**arguments, "host": "127.0.0.1", "port": port}

        monkeypatch.setattr(statements, "_connect_arguments", through_pgbouncer)
        yield name


def test_strokes_are_stored_by_the_statement(
    live: Live, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)
    numbers = statement_numbers(monkeypatch)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        for _ in range(3):
            ack = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
            assert ack["type"] == "ack"
        held = statements.loop_connection()
        assert held._timeout_each_time == route.startswith("pgbouncer")
        await teacher.close()

    run(scenario)
    assert numbers == [2, 3, 4]  # each stroke stored by the statement, none by a thread
    assert [kind for _seq, kind in stored(live.lesson.pk)] == ["lesson.started"] + [
        "board.strokes"
    ] * 3


def test_strokes_that_wait_for_the_lesson_s_number_take_the_ordinary_way(
    live: Live, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another transaction holds the lesson's number (a long service): the statement gives up
    after its lock timeout instead of holding up the loop's other statements, and the service
    stores the strokes once the number is free. Without the timeout the statement would wait
    for the holder, which lets go only once a stroke has taken the ordinary way."""
    start(live)
    # Without its lock timeout the statement would wait for the holder: far longer than a
    # reply is waited for here, not cut short by the statement's own time limit.
    monkeypatch.setattr(statements, "STATEMENT_TIMEOUT_SECONDS", 30.0)
    calls: list[str] = []
    numbers = statement_numbers(monkeypatch)
    fell_back = threading.Event()
    ordinary = LessonConsumer._apply_sync

    def counted(self: LessonConsumer, action: Any, client_id: str, data: Any) -> Any:
        calls.append(client_id)
        fell_back.set()
        return ordinary(self, action, client_id, data)

    monkeypatch.setattr(LessonConsumer, "_apply_sync", counted)

    def hold_the_number() -> None:
        try:
            with transaction.atomic():
                LessonStream.objects.select_for_update().get(lesson=live.lesson)
                held.set()
                fell_back.wait(timeout=10)
        finally:
            connection.close()

    held = threading.Event()
    holder = threading.Thread(target=hold_the_number)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        holder.start()
        assert await asyncio.to_thread(held.wait, 10)
        ack = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        assert (ack["type"], ack["seq"]) == ("ack", 2)
        connection_then = statements.loop_connection()._connection
        # the next one, the number free again, by the statement on the same connection
        ack = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        assert (ack["type"], ack["seq"]) == ("ack", 3)
        assert connection_then is not None
        assert statements.loop_connection()._connection is connection_then
        await teacher.close()

    try:
        run(scenario)
    finally:
        fell_back.set()
        holder.join()
    assert len(calls) == 1
    assert numbers == [None, 3]
    assert [kind for _seq, kind in stored(live.lesson.pk)] == [
        "lesson.started",
        "board.strokes",
        "board.strokes",
    ]

"""Statements on the event loop's own connection (``realtime.statements``): the lesson feeds'
comparison with the log every 2 seconds asks there, and falls back to a thread."""

from typing import Any

import pytest

from classrooms.models import LiveLesson
from realtime import fanout, statements
from tests.realtime.conftest import Live, run, start

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

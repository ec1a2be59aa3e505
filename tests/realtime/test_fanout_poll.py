"""The feeds' comparison with the log (``fanout.Hub._poll_once``): a quiet feed is compared and
catches up with an event whose publication was lost; a feed that passed events on since the
last comparison is not compared (a lost event before a passed one was read as a gap)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from classrooms.live import board_clear
from realtime import bus, fanout
from tests.realtime.conftest import Live, joined, run, start

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The lessons of each comparison with the log, made when the test says (not every
    ``POLL_SECONDS``)."""
    monkeypatch.setattr(fanout, "POLL_SECONDS", 3600.0)
    asked: list[list[int]] = []
    last_seqs = fanout.last_seqs

    async def counted(lesson_ids: list[int]) -> dict[int, int]:
        asked.append(list(lesson_ids))
        return await last_seqs(lesson_ids)

    monkeypatch.setattr(fanout, "last_seqs", counted)
    return asked


def test_a_lost_last_event_reaches_the_sockets_at_the_next_comparison_of_a_quiet_feed(
    live: Live, monkeypatch: pytest.MonkeyPatch, compared: list[list[int]]
) -> None:
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        hub = fanout.hub()
        compared.clear()  # the feed's first number, read when it opened
        await teacher.reply(await teacher.send("board.clear"))
        await pupil.event("board.cleared")
        await hub._poll_once()
        assert compared == []  # the feed passed an event on since the last comparison

        with monkeypatch.context() as lost:
            lost.setattr(bus, "publish", _dropped)
            await database_sync_to_async(board_clear)(lesson=live.lesson, by=live.teacher)
        await asyncio.sleep(0.3)
        assert 3 not in [frame.get("seq") for frame in await pupil.drain()]  # not published
        await hub._poll_once()
        assert compared == [[live.lesson.pk]]
        await pupil.event("board.cleared", seq=3)
        await teacher.close()
        await pupil.close()

    run(scenario)


def _dropped(lesson_id: int, message: str) -> None:
    """A publication lost on its way (Redis restarted between the commit and the publish)."""


def test_feeds_that_passed_nothing_on_are_compared_every_time(
    live: Live, compared: list[list[int]]
) -> None:
    start(live)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        hub = fanout.hub()
        compared.clear()  # the feed's first number, read when it opened
        hub.feeds[live.lesson.pk].passed = False
        await hub._poll_once()
        await hub._poll_once()
        assert compared == [[live.lesson.pk], [live.lesson.pk]]
        await pupil.close()

    run(scenario)

"""Numbers given again: a database that loses its last commits (a failover to a standby that
had not received them, a restore) gives their numbers to new events. Clients and feeds hold
events the log no longer has; they must start again from a snapshot, not skip the new events
as ones they already have.

The loss is made here as it would look after such a failover: the lesson's last events gone
from the log and its number set back, in one transaction."""

from datetime import datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from classrooms.live import board_strokes
from realtime import bus, fanout
from realtime.models import LessonEvent, LessonStream
from tests.realtime.conftest import LessonSocket, Live, joined, open_socket, run, start
from tests.realtime.test_protocol_board import stroke

pytestmark = pytest.mark.django_db(transaction=True)


def draw(live: Live, color: str) -> int:
    return board_strokes(lesson=live.lesson, by=live.teacher, strokes=[stroke(color)])


def lose_after(live: Live, seq: int) -> None:
    """The log as a database that lost every commit after event ``seq`` holds it."""
    with transaction.atomic():
        LessonEvent.objects.filter(lesson=live.lesson, seq__gt=seq).delete()
        LessonStream.objects.filter(lesson=live.lesson).update(last_seq=seq)


def stamp(live: Live, seq: int) -> str:
    return LessonEvent.objects.get(lesson=live.lesson, seq=seq).at.isoformat()


async def lost_after_seeing(live: Live) -> tuple[LessonSocket, dict[str, Any]]:
    """A pupil who was passed events 2 to 4 (strokes), then the log's loss of 3 and 4: the
    socket, and the last event it has."""
    pupil, _s = await joined(live.lesson, live.student)
    for color in ("#000001", "#000002", "#000003"):
        await database_sync_to_async(draw)(live, color)
    last = await pupil.event("board.strokes", seq=4)
    await database_sync_to_async(lose_after)(live, 2)
    return pupil, last


def colors(snapshot: dict[str, Any]) -> list[str]:
    return [line["color"] for line in snapshot["state"]["board"]]


def test_a_client_back_with_an_event_the_log_numbered_again_gets_a_snapshot(live: Live) -> None:
    start(live)  # 1: lesson.started
    for color in ("#000001", "#000002", "#000003"):
        draw(live, color)  # 2, 3, 4
    held = stamp(live, 4)  # the client had events up to 4
    lose_after(live, 2)
    draw(live, "#0000a3")  # 3 again
    draw(live, "#0000a4")  # 4 again

    async def scenario() -> None:
        back, accepted, code = await open_socket(live.lesson, live.student, since=4, at=held)
        assert (accepted, code) == (True, None)
        snapshot = await back.until("snapshot")
        assert snapshot["seq"] == 4
        assert colors(snapshot) == ["#000001", "#0000a3", "#0000a4"]  # not 2 and 3 of before
        assert back.events() == []  # no replay from 4: it would skip the new 3 and 4
        # The new event 4's ``at``, to come back with next time: a replay then.
        again, _a, _c = await open_socket(live.lesson, live.student, since=4, at=snapshot["at"])
        assert await again.until("synced") == {"type": "synced", "seq": 4, "at": snapshot["at"]}
        for socket in (back, again):
            await socket.close()

    run(scenario)


def test_a_client_back_with_its_own_last_event_gets_a_replay(live: Live) -> None:
    start(live)
    draw(live, "#000001")  # 2
    held = stamp(live, 2)
    draw(live, "#000002")  # 3

    async def scenario() -> None:
        back, _a, _c = await open_socket(live.lesson, live.student, since=2, at=held)
        synced = await back.until("synced")
        assert [frame["seq"] for frame in back.lesson_events()] == [3]
        assert synced["seq"] == 3
        # Nor does an ``at`` that is not one (a client's mistake) replay past what it has.
        odd, _a, _c = await open_socket(live.lesson, live.student, since=2, at="yesterday")
        assert (await odd.until("snapshot"))["seq"] == 3
        for socket in (back, odd):
            await socket.close()

    run(scenario)


def test_a_feed_hearing_a_number_again_sends_its_sockets_to_a_snapshot(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        pupil, last = await lost_after_seeing(live)
        await database_sync_to_async(draw)(live, "#0000a3")  # 3 again, published
        assert await _closed(pupil) == fanout.CLOSE_RENUMBERED
        feed = fanout.hub().feeds[live.lesson.pk]
        assert feed.last_seq == 3  # on from the log's number

        # The page's client comes back with its last event, which the log gave to another.
        back, _a, _c = await open_socket(live.lesson, live.student, since=4, at=last["at"])
        snapshot = await back.until("snapshot")
        assert snapshot["seq"] == 3
        assert colors(snapshot) == ["#000001", "#0000a3"]
        await database_sync_to_async(draw)(live, "#0000a4")  # 4 again: it reaches the page
        assert (await back.event("board.strokes", seq=4))["data"]["strokes"][0]["color"] == (
            "#0000a4"
        )
        await back.close()

    run(scenario)


def test_a_quiet_feed_whose_log_ends_before_its_last_event_starts_again(live: Live) -> None:
    start(live)

    async def scenario() -> None:
        pupil, _s = await joined(live.lesson, live.student)
        await database_sync_to_async(draw)(live, "#000001")
        await database_sync_to_async(draw)(live, "#000002")
        await pupil.event("board.strokes", seq=3)
        await database_sync_to_async(lose_after)(live, 1)
        hub = fanout.hub()
        await hub._poll_once()  # the feed passed events on since the last comparison
        await hub._poll_once()  # now quiet: compared, and found ahead of the log
        assert await _closed(pupil) == fanout.CLOSE_RENUMBERED
        assert hub.feeds[live.lesson.pk].last_seq == 1

    run(scenario)


def test_the_same_event_heard_twice_is_passed_on_once_and_restarts_nothing() -> None:
    """A publication that comes after its event was read from the log (a gap filled) is the
    same event: skipped, the sockets left alone."""
    feed = fanout.Feed(1)
    cut: list[int] = []

    class Socket:
        ready = True
        staff = True

        def offer(self, seq: int, audience: str, frame: str) -> None:
            pass

        def cut(self, code: int) -> None:
            cut.append(code)

    feed.subscribers.add(Socket())  # type: ignore[arg-type]
    at = "2026-11-25T10:00:00.000001+00:00"
    first = bus._event_frame(1, "board.cleared", datetime.fromisoformat(at), "{}")
    assert feed.offer_now(1, bus.TO_ALL, first)
    assert feed.offer_now(1, bus.TO_ALL, first)  # skipped
    later = datetime.fromisoformat("2026-11-25T10:00:01+00:00")
    other = bus._event_frame(1, "board.cleared", later, "{}")
    assert not feed.offer_now(1, bus.TO_ALL, other)  # not the same: ``accept`` restarts
    assert bus.frame_at(first) == at
    assert bus.frame_at("{}") == ""
    assert cut == []


async def _closed(socket: Any) -> int | None:
    """The close code, once the frames before it are read."""
    while True:
        frame = await socket.receive()
        if frame["type"] == "closed":
            return frame["code"]


def test_a_socket_joining_while_the_feed_is_ahead_of_the_log_comes_back_to_the_logs_state(
    live: Live,
) -> None:
    """Between the loss and the feed noticing it, no socket is let in at the feed's number
    (a snapshot labelled with a number the log does not have, with no ``at`` to check)."""
    start(live)

    async def scenario() -> None:
        pupil, last = await lost_after_seeing(live)  # nothing published since

        late, accepted, code = await open_socket(live.lesson, live.student_x)
        assert (accepted, code) == (True, fanout.CLOSE_RENUMBERED)
        assert await _closed(pupil) == fanout.CLOSE_RENUMBERED  # the feed checked the log
        assert fanout.hub().feeds[live.lesson.pk].last_seq == 2

        # Back within the second the lesson's reads are shared: the log's state, not the read
        # made while the feed was ahead. The teacher draws the new 3 and 4 first.
        await database_sync_to_async(draw)(live, "#0000a3")
        await database_sync_to_async(draw)(live, "#0000a4")
        back, _a, _c = await open_socket(live.lesson, live.student, since=4, at=last["at"])
        snapshot = await back.until("snapshot")
        assert snapshot["seq"] == 4
        assert snapshot["at"] == await database_sync_to_async(stamp)(live, 4)
        assert colors(snapshot) == ["#000001", "#0000a3", "#0000a4"]
        late, _s = await joined(live.lesson, live.student_x)
        for socket in (back, late):
            await socket.close()

    run(scenario)


def test_a_feed_opened_just_before_the_loss_knows_the_events_it_did_not_pass_on(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed reads the times of the log's last events when it opens: a renumbered event is
    told from the lost one even if this feed never passed the lost one on. (The log is back
    at the feed's number at once, so the comparison with the log, kept out of the way here,
    would see nothing wrong.)"""
    monkeypatch.setattr(fanout, "POLL_SECONDS", 3600.0)
    start(live)
    for color in ("#000001", "#000002", "#000003"):
        draw(live, color)  # 2, 3, 4

    async def scenario() -> None:
        pupil, snapshot = await joined(live.lesson, live.student)  # the feed opens at 4
        assert snapshot["seq"] == 4
        await database_sync_to_async(lose_after)(live, 2)
        await database_sync_to_async(draw)(live, "#0000a3")  # 3 again
        await database_sync_to_async(draw)(live, "#0000a4")  # 4 again
        assert await _closed(pupil) == fanout.CLOSE_RENUMBERED

    run(scenario)


def test_the_times_of_the_statements_events_are_the_logs(live: Live) -> None:
    """The teacher's strokes stored by the event loop's statement (asyncpg on PostgreSQL)
    carry the ``at`` the log gives back through Django, which the checks compare."""
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _p = await joined(live.lesson, live.student)
        ack = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        heard = await pupil.event("board.strokes", seq=ack["seq"])
        filled = await fanout.frames_after(live.lesson.pk, ack["seq"] - 1, ack["seq"])
        assert heard["at"] == await database_sync_to_async(stamp)(live, ack["seq"])
        assert heard["at"] == bus.frame_at(filled[0][2])
        for socket in (teacher, pupil):
            await socket.close()

    run(scenario)

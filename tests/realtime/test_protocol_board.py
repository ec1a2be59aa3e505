"""The whiteboard on the socket: the teacher's strokes, sent in batches (``board.strokes``),
reach everyone; ``board.clear`` wipes it. A later joiner's snapshot holds the strokes since
the last clear."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from classrooms import live_selectors
from classrooms.live import BOARD_SIZE, board_strokes, lesson_end
from courses.models import Cohort
from realtime import statements
from realtime.consumers import LessonConsumer
from realtime.models import LessonEvent, LessonStream
from tests.realtime.conftest import Live, joined, open_socket, run, start, stored, written

pytestmark = pytest.mark.django_db(transaction=True)


def stroke(color: str = "#1a2b3c", width: int = 4, points: Any = None) -> dict[str, Any]:
    return {"color": color, "width": width, "points": points or [[10, 20], [30, 40], [50, 45]]}


def test_strokes_reach_everyone_and_a_late_joiner_sees_those_since_the_clear(
    live: Live,
) -> None:
    start(live)
    first = [stroke("#ff0000"), stroke("#00ff00", 2, [[0, 0]])]
    after = [stroke("#0000FF", 40, [[BOARD_SIZE, BOARD_SIZE], [0, BOARD_SIZE]])]
    last = [stroke("#000000", 1)]

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        facilitator, _s = await joined(live.lesson, live.facilitator)
        pupil, _s = await joined(live.lesson, live.student)
        observer, _s = await joined(live.lesson, live.admin)
        everyone = (teacher, facilitator, pupil, observer)
        ack = await teacher.reply(await teacher.send("board.strokes", strokes=first))
        for socket in everyone:
            drawn = await socket.event("board.strokes")
            assert (drawn["seq"], drawn["data"]) == (ack["seq"], {"strokes": first})

        late, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["board"] == first

        ack = await teacher.reply(await teacher.send("board.clear"))
        for socket in (*everyone, late):
            cleared = await socket.event("board.cleared")
            assert (cleared["seq"], cleared["data"]) == (ack["seq"], {})
        _l, snapshot = await joined(live.lesson, live.student_x)
        assert snapshot["state"]["board"] == []

        await teacher.reply(await teacher.send("board.strokes", strokes=after))
        await teacher.reply(await teacher.send("board.strokes", strokes=last))
        await late.event("board.strokes", seq=ack["seq"] + 2)
        _o, snapshot = await joined(live.lesson, live.admin)
        assert snapshot["state"]["board"] == after + last
        for socket in (*everyone, late, _l, _o):
            await socket.close()

    run(scenario)
    assert [kind for _seq, kind in stored(live.lesson.pk)] == [
        "lesson.started",
        "board.strokes",
        "board.cleared",
        "board.strokes",
        "board.strokes",
    ]


@pytest.mark.parametrize(
    "strokes",
    [
        [],
        [stroke() for _n in range(51)],
        [stroke(color="red")],
        [stroke(color="#12345")],
        [stroke(width=0)],
        [stroke(width=41)],
        [stroke(points=[[1, 2, 3]])],
        [stroke(points=[[-1, 0]])],
        [stroke(points=[[0, BOARD_SIZE + 1]])],
        [stroke(points=[[n, n] for n in range(501)])],
        [{"color": "#000000", "width": 2}],
        [{"color": "#000000", "width": 2, "points": []}],
        [stroke(points=[[1.5, 2]])],
        [stroke(points=[["1", 2]])],
        [stroke(points=[(1, 2), {"x": 1}])],
        [stroke(width=True)],
        [stroke(color=None)],
        ["a stroke"],
        "a line",
    ],
)
def test_a_stroke_that_is_not_valid_draws_nothing(live: Live, strokes: Any) -> None:
    start(live)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send("board.strokes", strokes=strokes))
        assert (error["code"], list(error["fields"])) == ("invalid", ["strokes"])
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before


@pytest.mark.parametrize("kind", ["board.strokes", "board.clear"])
def test_the_board_is_drawn_only_while_the_lesson_is_on(live: Live, kind: str) -> None:
    fields = {"strokes": [stroke()]} if kind == "board.strokes" else {}

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        error = await teacher.reply(await teacher.send(kind, **fields))
        assert error["code"] == "not_live"
        await teacher.close()

    run(scenario)
    assert stored(live.lesson.pk) == []


@pytest.mark.parametrize("kind", ["board.strokes", "board.clear"])
@pytest.mark.parametrize("role", ["facilitator", "student", "observer"])
def test_only_the_teacher_draws(live: Live, kind: str, role: str) -> None:
    start(live)
    person = {"facilitator": live.facilitator, "student": live.student, "observer": live.admin}
    fields = {"strokes": [stroke()]} if kind == "board.strokes" else {}
    before = written(live.lesson.pk)

    async def scenario() -> None:
        socket, _s = await joined(live.lesson, person[role])
        error = await socket.reply(await socket.send(kind, **fields))
        assert error["code"] == "forbidden"
        await socket.close()

    run(scenario)
    assert written(live.lesson.pk) == before


def test_strokes_drawn_while_a_snapshot_is_read_are_drawn_once(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot holds the board as of its number; strokes after it come as events (a
    stroke both in the snapshot and in an event would be drawn twice)."""
    start(live)
    board_strokes(lesson=live.lesson, by=live.teacher, strokes=[stroke("#111111")])
    read_board = live_selectors._board

    def board_with_more_meanwhile(*args: Any, **kwargs: Any) -> Any:
        board_strokes(lesson=live.lesson, by=live.teacher, strokes=[stroke("#222222")])
        monkeypatch.setattr(live_selectors, "_board", read_board)
        return read_board(*args, **kwargs)

    monkeypatch.setattr(live_selectors, "_board", board_with_more_meanwhile)

    async def scenario() -> None:
        pupil, snapshot = await joined(live.lesson, live.student)
        drawn = [line["color"] for line in snapshot["state"]["board"]]
        await pupil.event("board.strokes", seq=3)
        for frame in pupil.lesson_events():
            assert frame["seq"] > snapshot["seq"]
            drawn += [line["color"] for line in frame["data"]["strokes"]]
        assert drawn == ["#111111", "#222222"]
        await pupil.close()

    run(scenario)


# --- the strokes' one statement (bus.event_append_if) -----------------------------------------
def _thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages that took the ordinary way: a service in a transaction on a thread."""
    calls: list[str] = []
    ordinary = LessonConsumer._apply_sync

    def counted(self: LessonConsumer, action: Any, client_id: str, data: Any) -> Any:
        calls.append(client_id)
        return ordinary(self, action, client_id, data)

    monkeypatch.setattr(LessonConsumer, "_apply_sync", counted)
    return calls


@pytest.mark.postgres
def test_a_teacher_s_strokes_are_checked_and_stored_in_one_statement(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The strokes never wait for a thread, and everyone gets the same event, in order.
    (Elsewhere than PostgreSQL, as in the embedded default, the service stores them.)"""
    start(live)
    calls = _thread_calls(monkeypatch)
    batches = [[stroke("#100000")], [stroke("#200000"), stroke("#300000", 7)]]

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        acks = [
            await teacher.reply(await teacher.send("board.strokes", strokes=b)) for b in batches
        ]
        for ack, batch in zip(acks, batches, strict=True):
            assert ack["type"] == "ack"
            assert ack["duplicate"] is False
            for socket in (teacher, pupil):
                drawn = await socket.event("board.strokes", seq=ack["seq"])
                assert drawn["data"] == {"strokes": batch}
                assert drawn["at"]
        await teacher.close()
        await pupil.close()

    run(scenario)
    assert calls == []
    events = LessonEvent.objects.filter(lesson=live.lesson, kind="board.strokes").order_by("seq")
    assert [(event.data, event.actor_id) for event in events] == [
        ({"strokes": batch}, live.teacher.pk) for batch in batches
    ]
    assert [event.seq for event in events] == [2, 3]
    assert LessonStream.objects.get(lesson=live.lesson).last_seq == 3


@pytest.mark.postgres
def test_strokes_sent_again_are_stored_once_and_answered_with_the_first_number(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(live)
    calls = _thread_calls(monkeypatch)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        first = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        again = await teacher.reply(
            await teacher.send("board.strokes", strokes=[stroke()], id=first["id"])
        )
        assert (again["seq"], again["duplicate"]) == (first["seq"], True)
        await teacher.close()

    run(scenario)
    assert [kind for _seq, kind in stored(live.lesson.pk)] == ["lesson.started", "board.strokes"]
    assert len(calls) == 1  # the statement stored nothing the second time; the service answered


@pytest.mark.postgres
def test_a_teacher_taken_out_of_the_class_is_refused_by_the_statement(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket still holds the teacher's part (no recheck has come yet); the statement's
    own condition refuses, and the service says why."""
    start(live)
    calls = _thread_calls(monkeypatch)
    before = written(live.lesson.pk)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        await database_sync_to_async(_no_longer_teaching)(live)
        error = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        assert error["code"] == "forbidden"
        await teacher.close()

    run(scenario)
    assert written(live.lesson.pk) == before
    assert len(calls) == 1


def _no_longer_teaching(live: Live) -> None:
    # a bulk delete sends no m2m signal: nothing tells the socket to check again
    Cohort.teachers.through.objects.filter(
        cohort_id=live.lesson.cohort_id, user_id=live.teacher.pk
    ).delete()


def test_strokes_after_the_lesson_ended_elsewhere_are_refused(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The socket still holds the lesson as it joined it: the statement's condition (or,
    elsewhere than PostgreSQL, the service alone) refuses, and the service says why."""
    start(live)
    calls = _thread_calls(monkeypatch)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        await database_sync_to_async(lesson_end)(lesson=live.lesson, by=live.teacher)
        error = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        assert error["code"] == "not_live"
        await teacher.close()

    run(scenario)
    assert [kind for _seq, kind in stored(live.lesson.pk)] == ["lesson.started", "lesson.ended"]
    assert len(calls) == 1


@pytest.mark.postgres
def test_a_lost_database_connection_costs_no_stroke(live: Live) -> None:
    """The loop's connection is cut (a database restart, a proxy): the stroke is stored by
    the service on a thread, and the next one opens a new connection."""
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        first = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        held = statements.loop_connection()._connection
        await database_sync_to_async(_terminate)(held.get_server_pid())
        second = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        third = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        assert [first["seq"], second["seq"], third["seq"]] == [2, 3, 4]
        fresh = statements.loop_connection()._connection
        assert fresh is not held
        assert await fresh.fetchval("SHOW lock_timeout") == "100ms"
        await teacher.close()

    run(scenario)
    assert [seq for seq, _kind in stored(live.lesson.pk)] == [1, 2, 3, 4]


def _terminate(backend_pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


def test_a_replayed_stroke_is_the_frame_that_was_sent_live(live: Live) -> None:
    """What a pupil who comes back reads from the log is the frame the others got live."""
    start(live)

    async def scenario() -> None:
        teacher, _s = await joined(live.lesson, live.teacher)
        pupil, _s = await joined(live.lesson, live.student)
        ack = await teacher.reply(await teacher.send("board.strokes", strokes=[stroke()]))
        sent_live = await pupil.event("board.strokes", seq=ack["seq"])
        back, _accepted, _code = await open_socket(live.lesson, live.student, since=ack["seq"] - 1)
        replayed = await back.event("board.strokes", seq=ack["seq"])
        assert replayed == sent_live
        for socket in (teacher, pupil, back):
            await socket.close()

    run(scenario)

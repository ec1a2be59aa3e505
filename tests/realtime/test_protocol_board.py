"""The whiteboard on the socket: the teacher's strokes, sent in batches (``board.strokes``),
reach everyone; ``board.clear`` wipes it. A later joiner's snapshot holds the strokes since
the last clear."""

from typing import Any

import pytest

from classrooms import live_selectors
from classrooms.live import BOARD_SIZE, board_strokes
from tests.realtime.conftest import Live, joined, run, start, stored, written

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

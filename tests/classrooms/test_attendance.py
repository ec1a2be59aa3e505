"""Attendance from connection intervals (``classrooms.attendance``): constructed intervals
for the rules, then one lesson run through the services and read back from the database."""

from datetime import UTC, datetime, timedelta

import pytest

from classrooms.attendance import (
    CheckInSeen,
    attendance_by_room,
    attendance_compute,
    attendance_table,
    merged,
    open_until,
)

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
END = START + timedelta(minutes=45)


def at(minute: float) -> datetime:
    return START + timedelta(minutes=minute)


def compute(
    connections: dict[int, list[tuple[float, float]]],
    *,
    ended: bool = True,
    now: float = 45,
    check_ins: dict[int, CheckInSeen] | None = None,
    facilitators: dict[int, list[tuple[float, float]]] | None = None,
    students: list[int] | None = None,
):  # type: ignore[no-untyped-def]
    ids = students or sorted(connections)
    return {
        row.student_id: row
        for row in attendance_compute(
            started_at=START,
            ended_at=END if ended else None,
            now=at(now),
            students=[(student, f"Pupil {student}") for student in ids],
            connections={
                who: [(at(a), at(b)) for a, b in spans] for who, spans in connections.items()
            },
            check_ins=check_ins or {},
            facilitators={
                who: [(at(a), at(b)) for a, b in spans]
                for who, spans in (facilitators or {}).items()
            },
        )
    }


def test_there_all_lesson_is_present_not_late_not_early() -> None:
    row = compute({1: [(-3, 46)]})[1]
    assert (row.minutes, row.late, row.left_early, row.absent) == (45, False, False, False)
    assert row.status == "present"
    assert row.first_seen == START  # time before the start does not count


def test_joining_more_than_ten_minutes_after_the_start_is_late() -> None:
    rows = compute({1: [(10, 45)], 2: [(10.5, 45)]})
    assert (rows[1].late, rows[2].late) == (False, True)
    assert rows[2].minutes == 34  # 34.5 minutes, rounded to the nearest


def test_leaving_more_than_five_minutes_before_the_end_is_left_early() -> None:
    rows = compute({1: [(0, 40)], 2: [(0, 39.5)]})
    assert (rows[1].left_early, rows[2].left_early) == (False, True)
    assert rows[2].status == "left_early"


def test_several_reconnects_are_added_up_and_overlaps_count_once() -> None:
    # a phone that dropped three times, and a second device overlapping the first
    row = compute({1: [(0, 10), (12, 20), (15, 25), (30, 45), (44, 46)]})[1]
    assert row.minutes == 10 + 13 + 15
    assert (row.late, row.left_early) == (False, False)


def test_late_and_left_early_together() -> None:
    row = compute({1: [(12, 20), (22, 30)]})[1]
    assert (row.late, row.left_early, row.minutes) == (True, True, 16)
    assert row.status == "late+left_early"


def test_never_connected_during_the_lesson_is_absent() -> None:
    rows = compute({1: [(-20, -1), (50, 60)], 2: []}, students=[1, 2])
    assert rows[1].absent
    assert rows[2].absent
    assert (rows[1].minutes, rows[1].late, rows[1].left_early) == (0, False, False)


def test_while_the_lesson_is_on_nobody_has_left_early_yet() -> None:
    row = compute({1: [(0, 20)]}, ended=False, now=30)[1]
    assert (row.minutes, row.left_early) == (20, False)


def test_a_checked_in_pupil_is_present_while_the_rooms_facilitator_is_connected() -> None:
    # given a pupil checked in at minute 12 to a room whose facilitator dropped for 5 minutes
    seen = CheckInSeen(room="Tüp room", at=at(12), facilitator_id=9)
    row = compute(
        {1: []},
        students=[1],
        check_ins={1: seen},
        facilitators={9: [(-10, 20), (25, 45)]},
    )[1]
    # then the pupil counts from the check-in, without the facilitator's gap
    assert (row.room, row.minutes, row.late, row.left_early) == ("Tüp room", 28, True, False)


def test_a_checked_in_pupils_own_connection_fills_the_rooms_gap() -> None:
    seen = CheckInSeen(room="Tüp room", at=at(0), facilitator_id=9)
    row = compute(
        {1: [(18, 27)]}, students=[1], check_ins={1: seen}, facilitators={9: [(0, 20), (25, 45)]}
    )[1]
    assert row.minutes == 45


def test_per_room_totals_and_csv_table() -> None:
    seen = CheckInSeen(room="Tüp room", at=at(0), facilitator_id=9)
    rows = list(
        compute(
            {1: [(0, 45)], 2: [(15, 45)], 3: []},
            students=[1, 2, 3, 4],
            check_ins={4: seen},
            facilitators={9: [(0, 45)]},
        ).values()
    )
    assert attendance_by_room(rows) == [
        {"room": "Tüp room", "present": 1, "late": 0, "left_early": 0, "absent": 0},
        {"room": None, "present": 2, "late": 1, "left_early": 0, "absent": 1},
    ]
    header, lines = attendance_table(rows)
    assert header[:5] == ["student_id", "name", "room", "status", "minutes"]
    assert lines[1][:5] == [2, "Pupil 2", "", "late", 30]
    assert lines[3][:5] == [4, "Pupil 4", "Tüp room", "present", 45]


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([(0, 5), (5, 10)], [(0, 10)]),  # touching intervals join
        ([(5, 10), (0, 3)], [(0, 3), (5, 10)]),  # order does not matter
        ([(4, 4)], []),  # an empty interval is nothing
        ([(-5, 2), (40, 50)], [(0, 2), (40, 45)]),  # clipped to the lesson
    ],
)
def test_merged(spans: list[tuple[float, float]], expected: list[tuple[float, float]]) -> None:
    assert merged([(at(a), at(b)) for a, b in spans], START, END) == [
        (at(a), at(b)) for a, b in expected
    ]


def test_a_connection_left_open_by_a_dead_server_counts_until_last_seen() -> None:
    now = at(30)
    assert open_until(at(29.5), now) == now  # renewed half a minute ago: still open
    assert open_until(at(20), now) == at(20)  # not renewed for ten minutes: its server died

"""Attendance of a live lesson, read from the connection intervals of its people.

How it counts (the lesson runs from the teacher's start to the teacher's end; while it is on,
to now):
- A pupil at home is present while one of their own connections is open. Several devices or
  reconnects count once: the intervals are merged.
- A pupil checked in to a spoke classroom is present from the check-in while the room's
  facilitator is connected (the room follows the lesson on the facilitator's screen), and
  also while their own connections are open.
- Minutes present: the merged intervals within the lesson, rounded to the nearest minute.
- Late: first present more than 10 minutes after the start.
- Left early: last present more than 5 minutes before the end (only once the lesson ended).
- Absent: never present during the lesson.

A connection's server renews it every half minute; one left open by a server that died counts
until it was last seen.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from classrooms.live import PRESENCE_RENEW_SECONDS
from classrooms.models import CheckIn, LessonProgress, LiveLesson, Presence
from lms.accounts.models import User

LATE_AFTER = timedelta(minutes=10)
LEFT_EARLY_BEFORE = timedelta(minutes=5)
STALE_AFTER = timedelta(seconds=3 * PRESENCE_RENEW_SECONDS)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class CheckInSeen:
    room: str
    at: datetime
    facilitator_id: int


@dataclass(frozen=True)
class AttendanceRow:
    student_id: int
    name: str
    room: str | None  # the spoke classroom they were checked in to; None: remote
    minutes: int
    first_seen: datetime | None
    last_seen: datetime | None
    late: bool
    left_early: bool
    absent: bool

    @property
    def status(self) -> str:
        if self.absent:
            return "absent"
        parts = [
            name for name, flag in (("late", self.late), ("left_early", self.left_early)) if flag
        ]
        return "+".join(parts) or "present"


def merged(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The intervals clipped to [start, end], overlapping and touching ones joined."""
    clipped = sorted(
        (max(a, start), min(b, end)) for a, b in intervals if b > start and a < end and b > a
    )
    out: list[Interval] = []
    for a, b in clipped:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def attendance_compute(
    *,
    started_at: datetime,
    ended_at: datetime | None,
    now: datetime,
    students: list[tuple[int, str]],
    connections: dict[int, list[Interval]],
    check_ins: dict[int, CheckInSeen],
    facilitators: dict[int, list[Interval]],
) -> list[AttendanceRow]:
    """Rows in the order of ``students``. ``connections`` and ``facilitators`` hold closed
    intervals (an open connection is given as ending ``now``)."""
    end = ended_at or now
    rows = []
    for student_id, name in students:
        own = list(connections.get(student_id, []))
        seen = check_ins.get(student_id)
        if seen is not None:
            own += [
                (max(a, seen.at), b)
                for a, b in facilitators.get(seen.facilitator_id, [])
                if b > seen.at
            ]
        present = merged(own, started_at, end)
        seconds = sum((b - a).total_seconds() for a, b in present)
        first = present[0][0] if present else None
        last = present[-1][1] if present else None
        rows.append(
            AttendanceRow(
                student_id=student_id,
                name=name,
                room=seen.room if seen is not None else None,
                minutes=round(seconds / 60),
                first_seen=first,
                last_seen=last,
                late=first is not None and first - started_at > LATE_AFTER,
                left_early=(
                    ended_at is not None
                    and last is not None
                    and ended_at - last > LEFT_EARLY_BEFORE
                ),
                absent=not present,
            )
        )
    return rows


def open_until(seen_at: datetime, now: datetime) -> datetime:
    """Where an interval without an end stops counting: now, while its server renews it;
    otherwise (the server died) when it was last seen."""
    return now if now - seen_at <= STALE_AFTER else seen_at


def attendance_for_lesson(*, lesson: LiveLesson) -> list[AttendanceRow] | None:
    """The lesson's attendance, or None if it has not started. Four queries."""
    progress = LessonProgress.objects.filter(lesson=lesson).first()
    if progress is None or progress.started_at is None:
        return None
    now = timezone.now()
    students = [
        (user.pk, user.get_full_name() or user.username)
        for user in User.objects.filter(enrolments__cohort_id=lesson.cohort_id).order_by(
            "last_name", "first_name", "username"
        )
    ]
    connections: dict[int, list[Interval]] = {}
    for user_id, opened, closed, seen in Presence.objects.filter(lesson=lesson).values_list(
        "user_id", "opened_at", "closed_at", "seen_at"
    ):
        connections.setdefault(user_id, []).append((opened, closed or open_until(seen, now)))
    check_ins = {
        student_id: CheckInSeen(room=room, at=at, facilitator_id=facilitator_id)
        for student_id, room, at, facilitator_id in CheckIn.objects.filter(
            lesson=lesson
        ).values_list("student_id", "spoke__classroom__name", "at", "spoke__facilitator_id")
    }
    facilitators = {
        seen.facilitator_id: connections.get(seen.facilitator_id, []) for seen in check_ins.values()
    }
    return attendance_compute(
        started_at=progress.started_at,
        ended_at=progress.ended_at,
        now=now,
        students=students,
        connections=connections,
        check_ins=check_ins,
        facilitators=facilitators,
    )


def attendance_by_room(rows: list[AttendanceRow]) -> list[dict[str, object]]:
    """Per spoke classroom (and the remote pupils, room None): how many were there, late,
    left early; pupils never present are counted as absent under no room."""
    rooms: dict[str | None, dict[str, object]] = {}
    for row in rows:
        group = rooms.setdefault(
            row.room, {"room": row.room, "present": 0, "late": 0, "left_early": 0, "absent": 0}
        )
        for key, flag in (
            ("present", not row.absent),
            ("late", row.late),
            ("left_early", row.left_early),
            ("absent", row.absent),
        ):
            if flag:
                group[key] = int(group[key]) + 1  # type: ignore[call-overload]
    return sorted(rooms.values(), key=lambda group: (group["room"] is None, str(group["room"])))


def attendance_table(rows: list[AttendanceRow]) -> tuple[list[str], list[list[object]]]:
    """The attendance as a table (for CSV): a header and one line per pupil. Times are UTC,
    in ISO 8601."""
    header = [
        "student_id",
        "name",
        "room",
        "status",
        "minutes",
        "first_seen",
        "last_seen",
        "late",
        "left_early",
    ]
    lines: list[list[object]] = [
        [
            row.student_id,
            row.name,
            row.room or "",
            row.status,
            row.minutes,
            row.first_seen.isoformat() if row.first_seen else "",
            row.last_seen.isoformat() if row.last_seen else "",
            "yes" if row.late else "no",
            "yes" if row.left_early else "no",
        ]
        for row in rows
    ]
    return header, lines

"""Reads of a live lesson's state: the snapshot a person receives when they join (or fall
too far behind), the count of pupils present, and the roster the staff see.

A snapshot is read after the lesson's last event number: it holds at least the effects of
the events up to that number, perhaps of a few later ones too. Events state what now is, so
applying those again on top of the snapshot changes nothing (``classrooms.live``)."""

from typing import Any

from django.db.models import Q

from classrooms.live import person, poll_counts, poll_public
from classrooms.models import (
    ChatMessage,
    CheckIn,
    Hand,
    LessonProgress,
    LessonSlide,
    LiveLesson,
    Mute,
    Poll,
    PollAnswer,
    PollState,
    Presence,
    SpokeCode,
)
from classrooms.policies import STAFF_IN_LESSON, LessonRole
from lms.accounts.models import User
from realtime.models import LessonEvent, LessonStream

CHAT_IN_SNAPSHOT = 100


def last_seq(lesson_id: int) -> int:
    return (
        LessonStream.objects.filter(lesson_id=lesson_id).values_list("last_seq", flat=True).first()
        or 0
    )


def _visible(events: Any, user: User, staff: bool) -> Any:
    if staff:
        return events
    return events.filter(Q(staff_only=False, to_user__isnull=True) | Q(to_user=user))


def events_after(
    *,
    lesson_id: int,
    after: int,
    user: User,
    role: LessonRole,
    limit: int,
    upto: int | None = None,
) -> list[LessonEvent] | None:
    """The events after ``after`` (up to ``upto``, by default the log's last number) that
    the person may see, in order; None when more than ``limit`` were missed (a snapshot is
    cheaper then)."""
    if upto is None:
        upto = last_seq(lesson_id)
    if upto - after > limit:
        return None
    events = LessonEvent.objects.filter(lesson_id=lesson_id, seq__gt=after, seq__lte=upto)
    events = events.order_by("seq")
    return list(_visible(events, user, role in STAFF_IN_LESSON))


def _board(lesson: LiveLesson, upto: int) -> list[dict[str, Any]]:
    """The whiteboard's strokes since it was last cleared, up to event ``upto`` (later
    strokes reach the client as events: they are not drawn twice)."""
    cleared = (
        LessonEvent.objects.filter(lesson=lesson, kind="board.cleared", seq__lte=upto)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
        or 0
    )
    strokes: list[dict[str, Any]] = []
    for data in (
        LessonEvent.objects.filter(
            lesson=lesson, kind="board.strokes", seq__gt=cleared, seq__lte=upto
        )
        .order_by("seq")
        .values_list("data", flat=True)
    ):
        strokes.extend(data["strokes"])
    return strokes


def _poll(lesson: LiveLesson, user: User, staff: bool) -> dict[str, Any] | None:
    poll = Poll.objects.filter(lesson=lesson).order_by("-pk").first()
    if poll is None or (poll.state == PollState.CLOSED and not (poll.shared or staff)):
        return None
    shown: dict[str, Any] = {**poll_public(poll), "state": poll.state, "shared": poll.shared}
    if staff or poll.shared:
        shown.update(poll_counts(poll))
    mine = PollAnswer.objects.filter(poll=poll, student=user).values_list("choices", flat=True)
    shown["mine"] = mine.first()
    return shown


def present_students(lesson: LiveLesson) -> set[int]:
    """Pupils connected now, or checked in to a spoke classroom."""
    connected = Presence.objects.filter(
        lesson=lesson, closed_at__isnull=True, user__enrolments__cohort_id=lesson.cohort_id
    ).values_list("user_id", flat=True)
    checked = CheckIn.objects.filter(lesson=lesson).values_list("student_id", flat=True)
    return set(connected) | set(checked)


def roster(lesson: LiveLesson) -> list[dict[str, Any]]:
    """Every pupil of the class: connected or not, in which room, hand up, muted."""
    students = User.objects.filter(enrolments__cohort_id=lesson.cohort_id).order_by(
        "last_name", "first_name", "username"
    )
    connected = set(
        Presence.objects.filter(lesson=lesson, closed_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    rooms = dict(
        CheckIn.objects.filter(lesson=lesson).values_list("student_id", "spoke__classroom__name")
    )
    hands = set(Hand.objects.filter(lesson=lesson).values_list("user_id", flat=True))
    muted = set(Mute.objects.filter(lesson=lesson).values_list("user_id", flat=True))
    return [
        {
            **person(student),
            "online": student.pk in connected,
            "room": rooms.get(student.pk),
            "hand": student.pk in hands,
            "muted": student.pk in muted,
        }
        for student in students
    ]


def lesson_snapshot(*, lesson: LiveLesson, user: User, role: LessonRole) -> dict[str, Any]:
    """Everything a person needs to show the lesson as it is now, and the number it is at."""
    seq = last_seq(lesson.pk)
    lesson = LiveLesson.objects.select_related("teacher").get(pk=lesson.pk)
    staff = role in STAFF_IN_LESSON
    progress = LessonProgress.objects.filter(lesson=lesson).first()
    slides = LessonSlide.objects.filter(lesson=lesson).count()
    messages = list(
        ChatMessage.objects.filter(lesson=lesson, deleted_by__isnull=True)
        .select_related("author", "relayed_from")
        .order_by("-seq")[:CHAT_IN_SNAPSHOT]
    )[::-1]
    # The author's part in the lesson as the posting said it (the events carry it).
    roles = dict(
        LessonEvent.objects.filter(
            lesson=lesson, kind="chat.posted", seq__in=[message.seq for message in messages]
        ).values_list("seq", "data__author__role")
    )
    chat = [
        {
            "id": message.seq,
            "author": {**person(message.author), "role": roles.get(message.seq)},
            "text": message.text,
            "room": message.relayed_from.name if message.relayed_from else None,
            "at": message.at.isoformat(),
        }
        for message in messages
    ]
    hands = Hand.objects.filter(lesson=lesson).select_related("user").order_by("raised_at", "pk")
    check_in = (
        CheckIn.objects.filter(lesson=lesson, student=user)
        .select_related("spoke__classroom")
        .first()
    )
    state: dict[str, Any] = {
        "lesson": {
            "id": lesson.pk,
            "title": lesson.title,
            "state": lesson.state,
            "starts_at": lesson.starts_at.isoformat(),
            "ends_at": lesson.ends_at.isoformat(),
            "teacher": person(lesson.teacher),
            "started_at": progress.started_at.isoformat()
            if progress and progress.started_at
            else None,
            "ended_at": progress.ended_at.isoformat() if progress and progress.ended_at else None,
        },
        "you": {**person(user), "role": str(role)},
        "slide": {"position": progress.slide, "count": slides}
        if progress is not None and progress.slide is not None
        else None,
        "slides": slides,
        "poll": _poll(lesson, user, staff),
        "chat": chat,
        "hand": hands.filter(user=user).exists(),
        "muted": Mute.objects.filter(lesson=lesson, user=user).exists(),
        "checked_in": {"room": check_in.spoke.classroom.name} if check_in else None,
        "board": _board(lesson, seq),
        "present": len(present_students(lesson)),
    }
    if staff:
        state["hands"] = [
            {"user": person(hand.user), "at": hand.raised_at.isoformat()} for hand in hands
        ]
        state["roster"] = roster(lesson)
    if role == LessonRole.FACILITATOR:
        state["codes"] = [
            {"room": code.spoke.classroom.name, "code": code.code}
            for code in SpokeCode.objects.filter(
                spoke__lesson=lesson, spoke__facilitator=user
            ).select_related("spoke__classroom")
        ]
    return {"seq": seq, "state": state}

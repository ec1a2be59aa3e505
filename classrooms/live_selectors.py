"""Reads of a live lesson's state: the snapshot a person receives when they join (or fall
too far behind), the count of pupils present, and the roster the staff see.

A snapshot is read after the lesson's last event number: it holds at least the effects of
the events up to that number, perhaps of a few later ones too. Events state what now is, so
applying those again on top of the snapshot changes nothing (``classrooms.live``)."""

import copy
import threading
import time
from dataclasses import dataclass, field
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
from realtime.bus import encode
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


def _present(lesson: LiveLesson) -> Any:
    """Pupils connected now, or checked in to a spoke classroom (a query of their ids)."""
    connected = Presence.objects.filter(
        lesson=lesson, closed_at__isnull=True, user__enrolments__cohort_id=lesson.cohort_id
    ).values_list("user_id", flat=True)
    checked = CheckIn.objects.filter(lesson=lesson).values_list("student_id", flat=True)
    return connected.union(checked)


def present_count(lesson: LiveLesson) -> int:
    return int(_present(lesson).count())


def presence_now(lesson: LiveLesson) -> tuple[int, int, list[dict[str, Any]]]:
    """The count of pupils present, and the roster with the log's number read before it: the
    roster holds at least the events up to that number (a later event may overtake it)."""
    upto = last_seq(lesson.pk)
    return present_count(lesson), upto, roster(lesson)


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


@dataclass(frozen=True)
class _Shared:
    """The part of a snapshot that is the same for every pupil, read once for all who join
    while the log's number stays the same (for at most ``SHARED_SECONDS``), and what each
    pupil's own part is picked from."""

    seq: int
    stamp: str | None  # the ``at`` of event ``seq`` as its frame gives it (None before one)
    read_at: float
    lesson: LiveLesson  # with its class, term, school and teacher
    about: dict[str, Any]  # the lesson as the snapshot tells it
    slide: dict[str, Any] | None
    slides: int
    chat: list[dict[str, Any]]
    poll: dict[str, Any] | None  # without its results, which not everyone sees
    poll_results: dict[str, Any] | None
    answers: dict[int, list[int]]  # the poll's answers by pupil
    board: list[dict[str, Any]]
    hands: list[dict[str, Any]]  # in the order they went up
    muted: frozenset[int]
    rooms: dict[int, str]  # checked-in pupils' classrooms
    present: frozenset[int]  # pupils connected or checked in
    written: dict[str, str] = field(default_factory=dict)  # SHARED_KEYS, as JSON

    def shared_part(self) -> dict[str, Any]:
        return {
            "lesson": self.about,
            "slide": self.slide,
            "slides": self.slides,
            "chat": self.chat,
            "board": self.board,
        }


# The parts of a snapshot that are the same for everyone: written out as JSON once per shared
# read, not once per person (the board and the chat can run to tens of kilobytes).
SHARED_KEYS = ("lesson", "slide", "slides", "chat", "board")


# Hundreds of pupils joining at once would each read the same lesson; they share one read.
# Anything that changes what it holds appends an event (``classrooms.live``), so a read made
# at the same number still holds it all; only who is present, which no event carries, may be
# up to this old (a ``presence`` frame with the count follows every join).
SHARED_SECONDS = 1.0
READ_WAIT_SECONDS = 5.0  # at most this long for another thread's read, then read here too
_shared_reads: dict[int, _Shared] = {}
_reading: dict[tuple[int, int], "_Reading"] = {}  # reads under way, by lesson and number
_shared_lock = threading.Lock()


def forget_shared_reads(lesson_id: int | None = None) -> None:
    """Drop the shared reads (of one lesson): a process whose feed was ahead of the log (the
    database lost its last commits) may have read a lesson at a number the log gave again."""
    with _shared_lock:
        if lesson_id is None:
            _shared_reads.clear()
        else:
            _shared_reads.pop(lesson_id, None)


def lesson_at(lesson_id: int, seq: int) -> LiveLesson | None:
    """The lesson (with its class, term, school and teacher) as it is at event ``seq``, from
    the read its joining pupils share; None if there is no such lesson. A copy of its own:
    the caller may change it."""
    found = lesson_stamped_at(lesson_id, seq)
    return found[0] if found is not None else None


def lesson_stamped_at(lesson_id: int, seq: int) -> tuple[LiveLesson, str | None] | None:
    """``lesson_at``, and the ``at`` of event ``seq`` (None before the first event)."""
    shared = _shared(lesson_id, seq)
    return (copy.copy(shared.lesson), shared.stamp) if shared is not None else None


def event_stamp(lesson_id: int, seq: int) -> str | None:
    """The ``at`` of the lesson's event ``seq`` as its frame gives it; None if there is none."""
    at = (
        LessonEvent.objects.filter(lesson_id=lesson_id, seq=seq)
        .values_list("at", flat=True)
        .first()
    )
    return at.isoformat() if at is not None else None


class _Reading:
    """A read of the lesson under way, and what it found, for the threads waiting on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.read: _Shared | None = None


def _shared(lesson_id: int, seq: int) -> _Shared | None:
    """The shared read of the lesson at ``seq``: the one this process holds, or a new one.
    One thread reads while the others joining at that number wait for it and take what it
    read, rather than all reading the same at once."""
    key = (lesson_id, seq)
    while True:
        with _shared_lock:
            known = _shared_reads.get(lesson_id)
            fresh = known is not None and time.monotonic() - known.read_at < SHARED_SECONDS
            if known is not None and known.seq == seq and fresh:
                return known
            reading = _reading.get(key)
            if reading is None:
                reading = _reading[key] = _Reading()
                mine = True
                break
        if not reading.done.wait(timeout=READ_WAIT_SECONDS):
            mine = False  # the reader is stuck: read here
            break
        if reading.read is not None:
            return reading.read
        # that read failed or found no lesson: look again (and read here if no one else does)
    try:
        read = _shared_read(lesson_id, seq)
        if read is not None:
            read.written.update({key: encode(value) for key, value in read.shared_part().items()})
            with _shared_lock:
                for old_id, old in list(_shared_reads.items()):  # lessons nobody joins any more
                    if read.read_at - old.read_at >= SHARED_SECONDS:
                        del _shared_reads[old_id]
                if read.stamp is not None or not seq:  # else the log ends before ``seq``
                    _shared_reads[lesson_id] = read
            if mine:
                reading.read = read
        return read
    finally:
        if mine:
            with _shared_lock:
                del _reading[key]
            reading.done.set()


def _shared_read(lesson_id: int, seq: int) -> _Shared | None:
    read_at = time.monotonic()
    lesson = (
        LiveLesson.objects.select_related("cohort__term__school", "teacher")
        .filter(pk=lesson_id)
        .first()
    )
    if lesson is None:
        return None
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
    poll = Poll.objects.filter(lesson=lesson).order_by("-pk").first()
    answers: dict[int, list[int]] = {}
    shown_poll = results = None
    if poll is not None:
        answers = dict(PollAnswer.objects.filter(poll=poll).values_list("student_id", "choices"))
        shown_poll = {**poll_public(poll), "state": poll.state, "shared": poll.shared}
        results = poll_counts(poll, answers.values())
    hands = Hand.objects.filter(lesson=lesson).select_related("user").order_by("raised_at", "pk")
    return _Shared(
        seq=seq,
        stamp=event_stamp(lesson_id, seq) if seq else None,
        read_at=read_at,
        lesson=lesson,
        about={
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
        slide={"position": progress.slide, "count": slides}
        if progress is not None and progress.slide is not None
        else None,
        slides=slides,
        chat=[
            {
                "id": message.seq,
                "author": {**person(message.author), "role": roles.get(message.seq)},
                "text": message.text,
                "room": message.relayed_from.name if message.relayed_from else None,
                "at": message.at.isoformat(),
            }
            for message in messages
        ],
        poll=shown_poll,
        poll_results=results,
        answers=answers,
        board=_board(lesson, seq),
        hands=[{"user": person(hand.user), "at": hand.raised_at.isoformat()} for hand in hands],
        muted=frozenset(Mute.objects.filter(lesson=lesson).values_list("user_id", flat=True)),
        rooms=dict(
            CheckIn.objects.filter(lesson=lesson).values_list(
                "student_id", "spoke__classroom__name"
            )
        ),
        present=frozenset(_present(lesson)),
    )


def _poll_seen(shared: _Shared, user: User, staff: bool) -> dict[str, Any] | None:
    poll = shared.poll
    if poll is None or (poll["state"] == PollState.CLOSED and not (poll["shared"] or staff)):
        return None
    shown = dict(poll)
    if (staff or poll["shared"]) and shared.poll_results is not None:
        shown.update(shared.poll_results)
    shown["mine"] = shared.answers.get(user.pk)
    return shown


def _snapshot_parts(
    lesson: LiveLesson, user: User, role: LessonRole, seq: int
) -> tuple[_Shared, dict[str, Any]]:
    """The shared read, and the rest of the person's snapshot."""
    shared = _shared(lesson.pk, seq)
    if shared is None:
        raise LiveLesson.DoesNotExist
    staff = role in STAFF_IN_LESSON
    room = shared.rooms.get(user.pk)
    present = shared.present | {user.pk} if role == LessonRole.STUDENT else shared.present
    own: dict[str, Any] = {
        "you": {**person(user), "role": str(role)},
        "poll": _poll_seen(shared, user, staff),
        "hand": any(hand["user"]["id"] == user.pk for hand in shared.hands),
        "muted": user.pk in shared.muted,
        "checked_in": {"room": room} if room is not None else None,
        "present": len(present),
    }
    if staff:
        own["hands"] = shared.hands
        own["roster"] = roster(lesson)
    if role == LessonRole.FACILITATOR:
        own["codes"] = [
            {
                "room": code.spoke.classroom.name,
                "room_id": code.spoke.classroom_id,
                "code": code.code,
            }
            for code in SpokeCode.objects.filter(spoke__lesson=lesson, spoke__facilitator=user)
            .select_related("spoke__classroom")
            .order_by("spoke__pk")
        ]
    return shared, own


def lesson_snapshot(
    *, lesson: LiveLesson, user: User, role: LessonRole, seq: int | None = None
) -> dict[str, Any]:
    """Everything a person needs to show the lesson as it is now, and the number it is at
    (``seq``, when the caller has just read it)."""
    if seq is None:
        seq = last_seq(lesson.pk)
    shared, own = _snapshot_parts(lesson, user, role, seq)
    return {"seq": seq, "at": shared.stamp, "state": {**shared.shared_part(), **own}}


def lesson_snapshot_frame(*, lesson: LiveLesson, user: User, role: LessonRole, seq: int) -> str:
    """``lesson_snapshot`` as the ``snapshot`` frame's text, its shared parts written once for
    all who join at the same number."""
    shared, own = _snapshot_parts(lesson, user, role, seq)
    fields = [f'"{key}":{shared.written[key]}' for key in SHARED_KEYS]
    fields += [f'"{key}":{encode(value)}' for key, value in own.items()]
    state = ",".join(fields)
    at = encode(shared.stamp)
    return f'{{"type":"snapshot","seq":{seq},"at":{at},"state":{{{state}}}}}'

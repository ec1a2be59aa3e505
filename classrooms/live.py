"""What happens in a live lesson, decided here and carried by ``realtime``.

Each function is one action of one person in the lesson (start it, show a slide, post in the
chat, raise a hand, check a pupil in, ...). It checks that the person's part in the lesson
(``policies.lesson_role``) allows the action and that the lesson's state does, writes the new
state, and appends the event that tells the others (``realtime.bus.event_append``), in one
transaction: the event is stored before anyone hears of it. A refusal raises
``PermissionDenied`` or ``ApplicationError`` and writes nothing.

Every action returns the number of the event it caused, or None when it changed nothing (a
hand raised twice). Events say what the state now is ("the hand of 12 is up"), so applying
one twice, or after a snapshot that already holds it, changes nothing.

``client_id`` is the id the sender gave its message. The event carries it, and the database
refuses a second event with the same sender and id: a message resent after a lost
acknowledgement is applied once (``realtime.consumers`` answers the resend with the first
event's number)."""

import functools
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classrooms import policies
from classrooms.models import (
    MAX_POLL_OPTIONS,
    ChatMessage,
    CheckIn,
    Hand,
    LessonProgress,
    LessonSlide,
    LessonSpoke,
    LiveLesson,
    LiveLessonState,
    Mute,
    Poll,
    PollAnswer,
    PollState,
    Presence,
    SpokeCode,
)
from classrooms.policies import LessonRole
from lms.accounts.models import User
from lms.errors import ApplicationError
from realtime import bus
from realtime.models import LessonEvent

EARLY_START = timedelta(minutes=30)  # a teacher may open the lesson this long before its time
MAX_CHAT_LENGTH = 500
MAX_OPTION_LENGTH = 100
MAX_STROKES = 50
MAX_POINTS = 500
MAX_WIDTH = 40
BOARD_SIZE = 10_000  # whiteboard coordinates run from 0 to this, whatever the screen
COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")  # with .match: the whole text, no newline after

Seq = int | None


def _refuse(code: str, message: str, *, status: int = 409, field: str | None = None) -> None:
    fields = {field: [message]} if field else None
    raise ApplicationError(code, message, status_code=status, fields=fields)


def _role(by: User, lesson: LiveLesson, allowed: set[LessonRole]) -> LessonRole:
    role = policies.lesson_role(by, lesson)
    if role is None or role not in allowed:
        raise PermissionDenied
    return role


def _state(lesson: LiveLesson) -> str:
    """The lesson's state as committed now (another socket may have ended it)."""
    return LiveLesson.objects.values_list("state", flat=True).get(pk=lesson.pk)


def _live(lesson: LiveLesson) -> None:
    if _state(lesson) != LiveLessonState.LIVE:
        _refuse("not_live", _("The lesson is not on now."))


def _event(
    lesson: LiveLesson,
    by: User,
    client_id: str,
    kind: str,
    data: dict[str, Any],
    *,
    staff_only: bool = False,
    to_user_id: int | None = None,
) -> int:
    return bus.event_append(
        lesson_id=lesson.pk,
        kind=kind,
        data=data,
        actor_id=by.pk,
        client_id=client_id,
        staff_only=staff_only,
        to_user_id=to_user_id,
    ).seq


def person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.get_full_name() or user.username}


def _text(value: str, *, field: str, limit: int) -> str:
    text = value.strip()
    if not text:
        _refuse("invalid", _("Write something first."), status=400, field=field)
    if len(text) > limit:
        _refuse(
            "invalid",
            _("At most %(limit)s characters.") % {"limit": limit},
            status=400,
            field=field,
        )
    if "\x00" in text:
        _refuse(
            "invalid",
            _("The text holds a character that cannot be stored."),
            status=400,
            field=field,
        )
    return text


# --- the lesson itself ------------------------------------------------------------------------
@transaction.atomic
def lesson_start(*, lesson: LiveLesson, by: User, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    locked = LiveLesson.objects.select_for_update().get(pk=lesson.pk)
    if locked.state == LiveLessonState.LIVE:
        return None
    if locked.state != LiveLessonState.SCHEDULED:
        _refuse("not_scheduled", _("This lesson has ended or was cancelled."))
    now = timezone.now()
    if now < locked.starts_at - EARLY_START:
        _refuse("too_early", _("A lesson can be started from 30 minutes before its time."))
    if now >= locked.ends_at:
        _refuse("too_late", _("The time of this lesson is over."))
    locked.state = LiveLessonState.LIVE
    locked.save(update_fields=["state"])
    LessonProgress.objects.update_or_create(lesson=locked, defaults={"started_at": now})
    return _event(lesson, by, client_id, "lesson.started", {"started_at": now.isoformat()})


@transaction.atomic
def lesson_end(*, lesson: LiveLesson, by: User, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    locked = LiveLesson.objects.select_for_update().get(pk=lesson.pk)
    if locked.state == LiveLessonState.ENDED:
        return None
    if locked.state != LiveLessonState.LIVE:
        _refuse("not_live", _("The lesson is not on now."))
    now = timezone.now()
    locked.state = LiveLessonState.ENDED
    locked.save(update_fields=["state"])
    LessonProgress.objects.update_or_create(lesson=locked, defaults={"ended_at": now})
    Poll.objects.filter(lesson=locked, state=PollState.OPEN).update(state=PollState.CLOSED)
    Hand.objects.filter(lesson=locked).delete()
    return _event(lesson, by, client_id, "lesson.ended", {"ended_at": now.isoformat()})


# --- slides -----------------------------------------------------------------------------------
@transaction.atomic
def slide_show(*, lesson: LiveLesson, by: User, position: int, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    _live(lesson)
    count = LessonSlide.objects.filter(lesson=lesson).count()
    if not 0 <= position < count:
        _refuse("no_slide", _("There is no such slide."), status=400, field="position")
    LessonProgress.objects.update_or_create(lesson=lesson, defaults={"slide": position})
    return _event(lesson, by, client_id, "slide.shown", {"position": position, "count": count})


# --- polls ------------------------------------------------------------------------------------
def poll_counts(poll: Poll, answers: Iterable[list[int]] | None = None) -> dict[str, Any]:
    """The poll's results: how many chose each answer, and how many answered (from
    ``answers``, the pupils' choices, when the caller has read them already)."""
    if answers is None:
        answers = PollAnswer.objects.filter(poll=poll).values_list("choices", flat=True)
    counts = [0] * len(poll.options)
    answered = 0
    for choices in answers:
        answered += 1
        for choice in choices:
            counts[choice] += 1
    return {"poll_id": poll.pk, "counts": counts, "answered": answered}


@transaction.atomic
def poll_open(
    *,
    lesson: LiveLesson,
    by: User,
    question: str,
    options: list[str],
    multiple: bool,
    client_id: str = "",
) -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    _live(lesson)
    question = _text(question, field="question", limit=300)
    cleaned = [option.strip() for option in options]
    if not 2 <= len(cleaned) <= MAX_POLL_OPTIONS or not all(cleaned):
        _refuse(
            "invalid",
            _("Give from 2 to 10 answers, none of them empty."),
            status=400,
            field="options",
        )
    if any(len(option) > MAX_OPTION_LENGTH or "\x00" in option for option in cleaned):
        _refuse("invalid", _("An answer has at most 100 characters."), status=400, field="options")
    if Poll.objects.select_for_update().filter(lesson=lesson, state=PollState.OPEN).exists():
        _refuse("poll_open", _("Close the open poll first."))
    poll = Poll.objects.create(
        lesson=lesson,
        question=question,
        options=cleaned,
        multiple=multiple,
        opened_at=timezone.now(),
    )
    return _event(lesson, by, client_id, "poll.opened", {"poll": poll_public(poll)})


def poll_public(poll: Poll) -> dict[str, Any]:
    return {
        "id": poll.pk,
        "question": poll.question,
        "options": poll.options,
        "multiple": poll.multiple,
    }


def _poll(lesson: LiveLesson, poll_id: int) -> Poll:
    poll = Poll.objects.select_for_update().filter(lesson=lesson, pk=poll_id).first()
    if poll is None:
        _refuse("no_poll", _("There is no such poll."), status=404)
    assert poll is not None  # noqa: S101
    return poll


@transaction.atomic
def poll_answer(
    *, lesson: LiveLesson, by: User, poll_id: int, choices: list[int], client_id: str = ""
) -> Seq:
    """A pupil's answer; answering again while the poll is open changes it."""
    _role(by, lesson, {LessonRole.STUDENT})
    poll = _poll(lesson, poll_id)
    if poll.state != PollState.OPEN:
        _refuse("poll_closed", _("This poll is closed."))
    chosen = sorted(set(choices))
    if (
        not chosen
        or len(chosen) != len(choices)
        or not all(0 <= choice < len(poll.options) for choice in chosen)
        or (not poll.multiple and len(chosen) != 1)
    ):
        message = (
            _("Choose one or more of the answers.")
            if poll.multiple
            else _("Choose one of the answers.")
        )
        _refuse("invalid", message, status=400, field="choices")
    PollAnswer.objects.update_or_create(
        poll=poll, student=by, defaults={"choices": chosen, "at": timezone.now()}
    )
    tally = poll_counts(poll)
    kind = "poll.shared" if poll.shared else "poll.tally"
    return _event(lesson, by, client_id, kind, tally, staff_only=not poll.shared)


@transaction.atomic
def poll_close(*, lesson: LiveLesson, by: User, poll_id: int, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    poll = _poll(lesson, poll_id)
    if poll.state == PollState.CLOSED:
        return None
    poll.state = PollState.CLOSED
    poll.save(update_fields=["state"])
    return _event(lesson, by, client_id, "poll.closed", {"poll_id": poll.pk})


@transaction.atomic
def poll_share(*, lesson: LiveLesson, by: User, poll_id: int, client_id: str = "") -> Seq:
    """Show the poll's results to everyone (and keep showing them as answers come in)."""
    _role(by, lesson, {LessonRole.TEACHER})
    poll = _poll(lesson, poll_id)
    if poll.shared:
        return None
    poll.shared = True
    poll.save(update_fields=["shared"])
    data = {**poll_counts(poll), "poll": {**poll_public(poll), "state": poll.state}}
    return _event(lesson, by, client_id, "poll.shared", data)


# --- hands ------------------------------------------------------------------------------------
@transaction.atomic
def hand_raise(*, lesson: LiveLesson, by: User, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.STUDENT})
    _live(lesson)
    now = timezone.now()
    _hand, created = Hand.objects.get_or_create(lesson=lesson, user=by, defaults={"raised_at": now})
    if not created:
        return None
    return _event(
        lesson,
        by,
        client_id,
        "hand.raised",
        {"user": person(by), "at": now.isoformat()},
        to_user_id=by.pk,
    )


@transaction.atomic
def hand_lower(
    *, lesson: LiveLesson, by: User, user_id: int | None = None, client_id: str = ""
) -> Seq:
    """A pupil lowers their hand; the teacher or a facilitator lowers anyone's (taking the
    question)."""
    role = _role(by, lesson, {LessonRole.STUDENT, LessonRole.TEACHER, LessonRole.FACILITATOR})
    whose = by.pk if user_id is None else user_id
    if role == LessonRole.STUDENT and whose != by.pk:
        raise PermissionDenied
    deleted, _rows = Hand.objects.filter(lesson=lesson, user_id=whose).delete()
    if not deleted:
        return None
    return _event(
        lesson, by, client_id, "hand.lowered", {"user_id": whose, "by": by.pk}, to_user_id=whose
    )


# --- chat -------------------------------------------------------------------------------------
def _chat(lesson: LiveLesson, by: User, client_id: str, text: str, room: Any) -> int:
    now = timezone.now()
    data = {
        "author": {**person(by), "role": str(policies.lesson_role(by, lesson))},
        "text": text,
        "room": room.name if room is not None else None,
        "at": now.isoformat(),
    }
    seq = _event(lesson, by, client_id, "chat.posted", data)
    ChatMessage.objects.create(
        lesson=lesson, seq=seq, author=by, text=text, relayed_from=room, at=now
    )
    return seq


@transaction.atomic
def chat_send(*, lesson: LiveLesson, by: User, text: str, client_id: str = "") -> Seq:
    role = _role(by, lesson, {LessonRole.STUDENT, LessonRole.TEACHER, LessonRole.FACILITATOR})
    _live(lesson)
    text = _text(text, field="text", limit=MAX_CHAT_LENGTH)
    if role == LessonRole.STUDENT and Mute.objects.filter(lesson=lesson, user=by).exists():
        _refuse("muted", _("The teacher has muted you in this chat."), status=403)
    return _chat(lesson, by, client_id, text, None)


@transaction.atomic
def question_relay(
    *, lesson: LiveLesson, by: User, text: str, room_id: int | None = None, client_id: str = ""
) -> Seq:
    """A facilitator passes on a question asked in their room, shown with the room's name."""
    _role(by, lesson, {LessonRole.FACILITATOR})
    _live(lesson)
    text = _text(text, field="text", limit=MAX_CHAT_LENGTH)
    spoke = _spoke_of(lesson, by, room_id)
    return _chat(lesson, by, client_id, text, spoke.classroom)


@transaction.atomic
def chat_delete(*, lesson: LiveLesson, by: User, message_id: int, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    message = ChatMessage.objects.select_for_update().filter(lesson=lesson, seq=message_id).first()
    if message is None:
        _refuse("no_message", _("There is no such message."), status=404)
    assert message is not None  # noqa: S101
    if message.deleted_by_id is not None:
        return None
    message.deleted_by, message.text = by, ""
    message.save(update_fields=["deleted_by", "text"])
    # The log keeps the posting, without its text: a replay must not bring the text back.
    posted = LessonEvent.objects.filter(lesson_id=lesson.pk, seq=message.seq).first()
    if posted is not None:
        posted.data = {**posted.data, "text": ""}
        posted.save(update_fields=["data"])
    return _event(lesson, by, client_id, "chat.deleted", {"id": message.seq})


@transaction.atomic
def chat_mute(
    *, lesson: LiveLesson, by: User, user_id: int, muted: bool, client_id: str = ""
) -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    if not lesson.cohort.enrolments.filter(student_id=user_id).exists():
        _refuse(
            "not_a_student",
            _("Only a pupil of the class can be muted."),
            status=400,
            field="user_id",
        )
    if muted:
        _row, changed = Mute.objects.get_or_create(lesson=lesson, user_id=user_id)
    else:
        changed = bool(Mute.objects.filter(lesson=lesson, user_id=user_id).delete()[0])
    if not changed:
        return None
    return _event(
        lesson,
        by,
        client_id,
        "chat.muted",
        {"user_id": user_id, "muted": muted},
        to_user_id=user_id,
    )


# --- spoke classrooms: checking in ------------------------------------------------------------
def _spoke_of(lesson: LiveLesson, facilitator: User, room_id: int | None) -> LessonSpoke:
    """The facilitator's room in the lesson: the one they run, or, when they run several,
    the one they name (``room_id``, a classroom's id)."""
    spokes = list(
        LessonSpoke.objects.select_related("classroom")
        .filter(lesson=lesson, facilitator=facilitator)
        .order_by("pk")
    )
    if not spokes:
        raise PermissionDenied
    if room_id is not None:
        named = [spoke for spoke in spokes if spoke.classroom_id == room_id]
        if not named:
            _refuse(
                "not_your_room",
                _("That is not a classroom you run in this lesson."),
                status=400,
                field="room_id",
            )
        return named[0]
    if len(spokes) > 1:
        _refuse(
            "which_room",
            _("You run several classrooms in this lesson: say which one."),
            status=400,
            field="room_id",
        )
    return spokes[0]


def _check_in(
    lesson: LiveLesson, by: User, client_id: str, student: User, spoke: LessonSpoke
) -> Seq:
    if _state(lesson) not in (LiveLessonState.SCHEDULED, LiveLessonState.LIVE):
        _refuse("over", _("This lesson has ended or was cancelled."))
    current = CheckIn.objects.filter(lesson=lesson, student=student).first()
    if current is not None and current.spoke_id == spoke.pk:
        return None
    CheckIn.objects.update_or_create(
        lesson=lesson,
        student=student,
        defaults={"spoke": spoke, "by": by, "at": timezone.now()},
    )
    data = {
        "student": person(student),
        "room": {"id": spoke.classroom_id, "name": spoke.classroom.name},
    }
    return _event(lesson, by, client_id, "checkin", data, to_user_id=student.pk)


@transaction.atomic
def check_in(
    *,
    lesson: LiveLesson,
    by: User,
    student_id: int,
    room_id: int | None = None,
    client_id: str = "",
) -> Seq:
    """The facilitator marks a pupil of the class present in their room."""
    _role(by, lesson, {LessonRole.FACILITATOR})
    spoke = _spoke_of(lesson, by, room_id)
    student = User.objects.filter(pk=student_id, enrolments__cohort_id=lesson.cohort_id).first()
    if student is None:
        _refuse(
            "not_a_student",
            _("Only a pupil of the class can be checked in."),
            status=400,
            field="student_id",
        )
    assert student is not None  # noqa: S101
    return _check_in(lesson, by, client_id, student, spoke)


@transaction.atomic
def check_in_by_code(*, lesson: LiveLesson, by: User, code: str, client_id: str = "") -> Seq:
    """A pupil in a spoke classroom checks in with the code on the room's projector."""
    _role(by, lesson, {LessonRole.STUDENT})
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    found = (
        SpokeCode.objects.select_related("spoke__classroom")
        .filter(code=normalised, spoke__lesson=lesson)
        .first()
    )
    if found is None:
        _refuse(
            "wrong_code",
            _("That is not the code of a classroom of this lesson."),
            status=400,
            field="code",
        )
    assert found is not None  # noqa: S101
    return _check_in(lesson, by, client_id, by, found.spoke)


# --- the whiteboard ---------------------------------------------------------------------------
def _strokes_check(strokes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not 1 <= len(strokes) <= MAX_STROKES:
        _refuse("invalid", _("Send from 1 to 50 strokes at a time."), status=400, field="strokes")
    clean = []
    for stroke in strokes:
        points = stroke["points"]
        if (
            not COLOUR.match(stroke["color"])
            or not 1 <= stroke["width"] <= MAX_WIDTH
            or not 1 <= len(points) <= MAX_POINTS
            or not all(0 <= x <= BOARD_SIZE and 0 <= y <= BOARD_SIZE for x, y in points)
        ):
            _refuse("invalid", _("A stroke is not valid."), status=400, field="strokes")
        clean.append(
            {
                "color": stroke["color"],
                "width": stroke["width"],
                "points": [[x, y] for x, y in points],
            }
        )
    return clean


@transaction.atomic
def board_strokes(
    *, lesson: LiveLesson, by: User, strokes: list[dict[str, Any]], client_id: str = ""
) -> Seq:
    """The teacher's strokes, sent in batches by the teacher's page."""
    _role(by, lesson, {LessonRole.TEACHER})
    _live(lesson)
    return _event(lesson, by, client_id, "board.strokes", {"strokes": _strokes_check(strokes)})


def board_strokes_guarded(
    *, lesson: LiveLesson, by: User, strokes: list[dict[str, Any]]
) -> bus.Guarded | None:
    """``board_strokes`` as one statement (``bus.event_append_if``): the strokes are stored
    on condition that the person teaches the class and the lesson is on. The teacher's page
    sends strokes several times a second, and these checks and the storage were most of the
    server's work for each. None when ``board_strokes`` must decide: strokes it refuses, or
    a person whose own record already says they cannot teach."""
    teaching = policies.teaches_lesson_sql(by, lesson)
    if teaching is None:
        return None
    try:
        data = {"strokes": _strokes_check(strokes)}
    except ApplicationError:
        return None
    sql, params = teaching
    return bus.Guarded(
        condition=f"{sql} AND {_lesson_is_on_sql()}",
        params=[*params, lesson.pk, LiveLessonState.LIVE.value],
        lesson_id=lesson.pk,
        kind="board.strokes",
        data=data,
        actor_id=by.pk,
    )


@functools.cache
def _lesson_is_on_sql() -> str:
    return (
        f"EXISTS (SELECT 1 FROM {LiveLesson._meta.db_table} live"  # noqa: S608 - names, ours
        " WHERE live.id = %s AND live.state = %s)"
    )


@transaction.atomic
def board_clear(*, lesson: LiveLesson, by: User, client_id: str = "") -> Seq:
    _role(by, lesson, {LessonRole.TEACHER})
    _live(lesson)
    return _event(lesson, by, client_id, "board.cleared", {})


# --- connections (attendance is read from them) -----------------------------------------------
PRESENCE_RENEW_SECONDS = 30  # how often a server renews its open connections' ``seen_at``


def presence_open(*, lesson: LiveLesson, user: User) -> Presence:
    return presence_open_many(lesson=lesson, users=[user])[0]


def presence_open_many(*, lesson: LiveLesson, users: list[User]) -> list[Presence]:
    """The connections of people joining together (one insert for all of them)."""
    now = timezone.now()
    return Presence.objects.bulk_create(
        [Presence(lesson=lesson, user=user, opened_at=now, seen_at=now) for user in users]
    )


def presence_renew(*, presence_ids: list[int]) -> None:
    """The connections are still open (one query for all of a server's connections)."""
    if presence_ids:
        Presence.objects.filter(pk__in=presence_ids, closed_at__isnull=True).update(
            seen_at=timezone.now()
        )


def presence_close(*, presence_id: int) -> None:
    Presence.objects.filter(pk=presence_id, closed_at__isnull=True).update(closed_at=timezone.now())

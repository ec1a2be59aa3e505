"""Scheduling live lessons: a class's teacher sets the time and length, the hub classroom
(a smart classroom of the region, or none to teach from home) and the spoke classrooms of the
region with their facilitators; then moves or cancels it. Every rule is checked before
anything is written, and a refusal names its field. Times are the server's: a lesson is
scheduled in the future, and a room is never booked for two lessons at once."""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from classrooms import notices, policies
from classrooms.models import (
    CODE_ALPHABET,
    CODE_LENGTH,
    MAX_DURATION_MINUTES,
    Classroom,
    LessonSpoke,
    LiveLesson,
    LiveLessonState,
    SpokeCode,
)
from courses.models import Cohort
from lms.accounts.models import Role, User
from lms.errors import ApplicationError, FieldErrors
from realtime import bus

LESSON_FIELDS = ("title", "starts_at", "duration_minutes", "hub", "spokes")


def _invalid(fields: FieldErrors) -> ApplicationError:
    return ApplicationError("invalid", _("Some fields are not valid."), fields=fields)


def _region_of(cohort: Cohort) -> int:
    return cohort.term.school.region_id


def _hub_check(hub: Classroom | None, cohort: Cohort) -> None:
    if hub is None:
        return
    if hub.school.region_id != _region_of(cohort):
        raise _invalid({"hub": [_("Choose a classroom of the class's region.")]})
    if not hub.is_smart:
        raise _invalid({"hub": [_("A lesson is taught from a smart classroom, or from home.")]})


def _spokes_check(
    spokes: list[dict[str, Any]], hub: Classroom | None, cohort: Cohort
) -> list[tuple[Classroom, User]]:
    checked: list[tuple[Classroom, User]] = []
    seen: set[int] = set()
    for item in spokes:
        room, facilitator = item["classroom"], item["facilitator"]
        if room.school.region_id != _region_of(cohort):
            raise _invalid(
                {"spokes": [_("%(room)s is not in the class's region.") % {"room": room}]}
            )
        if hub is not None and room.pk == hub.pk:
            raise _invalid({"spokes": [_("The hub is not also a spoke.")]})
        if room.pk in seen:
            raise _invalid({"spokes": [_("%(room)s is listed twice.") % {"room": room}]})
        seen.add(room.pk)
        if (
            facilitator.role != Role.FACILITATOR
            or not facilitator.is_active
            or facilitator.school_id != room.school_id
        ):
            raise _invalid(
                {
                    "spokes": [
                        _("The facilitator of %(room)s must be a facilitator of its school.")
                        % {"room": room}
                    ]
                }
            )
        checked.append((room, facilitator))
    return checked


def _times_check(starts_at: datetime, duration: int) -> None:
    if starts_at <= timezone.now():
        raise _invalid({"starts_at": [_("Choose a time in the future.")]})
    if not 5 <= duration <= MAX_DURATION_MINUTES:
        raise _invalid(
            {
                "duration_minutes": [
                    _("A lesson lasts from 5 to %(max)s minutes.") % {"max": MAX_DURATION_MINUTES}
                ]
            }
        )


def _rooms_free(
    rooms: list[Classroom], starts_at: datetime, duration: int, lesson: LiveLesson | None
) -> None:
    """No room of the lesson is booked by another lesson at an overlapping time. The rooms
    are locked first, so two teachers booking one room at once are taken in turn."""
    if not rooms:
        return
    ids = sorted(room.pk for room in rooms)
    list(Classroom.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
    ends_at = starts_at + timedelta(minutes=duration)
    nearby = (
        LiveLesson.objects.exclude(state=LiveLessonState.CANCELLED)
        .filter(
            starts_at__lt=ends_at,
            starts_at__gt=starts_at - timedelta(minutes=MAX_DURATION_MINUTES),
        )
        .prefetch_related("spokes")
    )
    if lesson is not None:
        nearby = nearby.exclude(pk=lesson.pk)
    for other in nearby:
        if other.ends_at <= starts_at:
            continue
        used = {other.hub_id, *(spoke.classroom_id for spoke in other.spokes.all())}
        taken = [room for room in rooms if room.pk in used]
        if taken:
            raise _invalid(
                {
                    "starts_at": [
                        _("%(room)s is booked for “%(lesson)s” at that time.")
                        % {"room": taken[0], "lesson": other.title}
                    ]
                }
            )


def _spokes_create(lesson: LiveLesson, checked: list[tuple[Classroom, User]]) -> None:
    """The spokes, each with the short code its projector shows for pupils to check in."""
    spokes = LessonSpoke.objects.bulk_create(
        LessonSpoke(lesson=lesson, classroom=room, facilitator=facilitator)
        for room, facilitator in checked
    )
    for spoke in spokes:
        code = _new_code()
        while SpokeCode.objects.filter(code=code).exists():
            code = _new_code()
        SpokeCode.objects.create(spoke=spoke, code=code)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


@transaction.atomic
def live_lesson_schedule(
    *,
    cohort: Cohort,
    by: User,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    hub: Classroom | None = None,
    spokes: list[dict[str, Any]] | None = None,
) -> LiveLesson:
    if not policies.can_schedule(by, cohort):
        raise PermissionDenied
    teacher = by if by.role == Role.TEACHER else cohort.teachers.order_by("pk").first()
    if teacher is None:
        raise _invalid({"cohort": [_("The class has no teacher to teach it.")]})
    if not title.strip():
        raise _invalid({"title": [_("Give the lesson a title.")]})
    _times_check(starts_at, duration_minutes)
    _hub_check(hub, cohort)
    checked = _spokes_check(spokes or [], hub, cohort)
    rooms = [*([hub] if hub is not None else []), *(room for room, _facilitator in checked)]
    _rooms_free(rooms, starts_at, duration_minutes, None)
    lesson = LiveLesson.objects.create(
        cohort=cohort,
        title=title.strip(),
        teacher=teacher,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        hub=hub,
    )
    _spokes_create(lesson, checked)
    notices.scheduled(lesson, by=by)
    return lesson


def _scheduled(lesson: LiveLesson) -> LiveLesson:
    locked = (
        LiveLesson.objects.select_for_update(of=("self",))
        .select_related("cohort__term__school", "hub__school")
        .get(pk=lesson.pk)
    )
    if locked.state != LiveLessonState.SCHEDULED:
        raise ApplicationError(
            "not_scheduled",
            _("Only a lesson that has not started can be changed."),
            status_code=409,
        )
    return locked


@transaction.atomic
def live_lesson_update(*, lesson: LiveLesson, by: User, data: dict[str, Any]) -> LiveLesson:
    """Move the lesson, or change its title, hub or spokes (given spokes replace them all)."""
    if not policies.can_schedule(by, lesson.cohort):
        raise PermissionDenied
    unknown = sorted(set(data) - set(LESSON_FIELDS))
    if unknown:
        raise _invalid({name: [_("This field cannot be changed here.")] for name in unknown})
    lesson = _scheduled(lesson)
    title = data.get("title", lesson.title)
    if not str(title).strip():
        raise _invalid({"title": [_("Give the lesson a title.")]})
    starts_at = data.get("starts_at", lesson.starts_at)
    duration = data.get("duration_minutes", lesson.duration_minutes)
    hub = data.get("hub", lesson.hub)
    if "spokes" in data:
        spokes = data["spokes"]
    else:
        spokes = [
            {"classroom": spoke.classroom, "facilitator": spoke.facilitator}
            for spoke in lesson.spokes.select_related("classroom__school", "facilitator")
        ]
    _times_check(starts_at, duration)
    _hub_check(hub, lesson.cohort)
    checked = _spokes_check(spokes, hub, lesson.cohort)
    rooms = [*([hub] if hub is not None else []), *(room for room, _facilitator in checked)]
    _rooms_free(rooms, starts_at, duration, lesson)
    was = lesson.starts_at
    lesson.title, lesson.starts_at, lesson.duration_minutes, lesson.hub = (
        str(title).strip(),
        starts_at,
        duration,
        hub,
    )
    lesson.save(update_fields=["title", "starts_at", "duration_minutes", "hub"])
    change = bus.event_append(
        lesson_id=lesson.pk,
        kind="lesson.changed",
        data={
            "title": lesson.title,
            "starts_at": lesson.starts_at.isoformat(),
            "ends_at": lesson.ends_at.isoformat(),
        },
        actor_id=by.pk,
    )
    if "spokes" in data:
        lesson.spokes.all().delete()
        _spokes_create(lesson, checked)
    if lesson.starts_at != was:
        notices.moved(lesson, by=by, was=was, change=change.seq)
    return lesson


@transaction.atomic
def live_lesson_cancel(*, lesson: LiveLesson, by: User, reason: str) -> LiveLesson:
    if not policies.can_schedule(by, lesson.cohort):
        raise PermissionDenied
    if not reason.strip():
        raise _invalid({"reason": [_("Say why the lesson is cancelled.")]})
    lesson = _scheduled(lesson)
    lesson.state = LiveLessonState.CANCELLED
    lesson.cancel_reason = reason.strip()
    lesson.save(update_fields=["state", "cancel_reason"])
    bus.event_append(
        lesson_id=lesson.pk,
        kind="lesson.cancelled",
        data={"reason": lesson.cancel_reason},
        actor_id=by.pk,
    )
    notices.cancelled(lesson, by=by)
    return lesson

"""What live lessons tell people, through ``lms.notifications.services.notify``: who hears of a
lesson (its class's pupils and teachers, its spokes' facilitators), the facts, the link, the
dedupe key; and the reminder a quarter of an hour before a lesson starts."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from classrooms.models import LessonSpoke, LiveLesson, LiveLessonState
from courses.models import Enrolment
from lms.accounts.models import User
from lms.notifications import selectors as notification_selectors
from lms.notifications.models import Kind
from lms.notifications.services import notify

REMINDER_BEFORE = timedelta(minutes=15)


def audience(lesson: LiveLesson, *, leaving_out: User | None = None) -> list[int]:
    pupils = Enrolment.objects.filter(cohort_id=lesson.cohort_id).values_list(
        "student_id", flat=True
    )
    teachers = lesson.cohort.teachers.values_list("pk", flat=True)
    facilitators = LessonSpoke.objects.filter(lesson=lesson).values_list(
        "facilitator_id", flat=True
    )
    people = {*pupils, *teachers, *facilitators, lesson.teacher_id}
    people.discard(leaving_out.pk if leaving_out else None)
    return sorted(people)


def _facts(lesson: LiveLesson) -> dict[str, Any]:
    return {
        "lesson_id": lesson.pk,
        "title": lesson.title,
        "class": lesson.cohort.name,
        "starts_at": lesson.starts_at.isoformat(),
        "link": reverse("frontend:lesson-room", args=[lesson.pk]),
    }


def scheduled(lesson: LiveLesson, *, by: User) -> None:
    notify(
        kind=Kind.LESSON_SCHEDULED,
        recipients=audience(lesson, leaving_out=by),
        params=_facts(lesson),
        dedupe_key=f"lesson-scheduled:{lesson.pk}",
    )


def moved(lesson: LiveLesson, *, by: User, was: datetime, change: int) -> None:
    """``change``: the number of the lesson's event that moved it (each move is told once)."""
    notify(
        kind=Kind.LESSON_MOVED,
        recipients=audience(lesson, leaving_out=by),
        params={**_facts(lesson), "was": was.isoformat()},
        dedupe_key=f"lesson-moved:{lesson.pk}:{change}",
    )


def cancelled(lesson: LiveLesson, *, by: User) -> None:
    notify(
        kind=Kind.LESSON_CANCELLED,
        recipients=audience(lesson, leaving_out=by),
        params={**_facts(lesson), "reason": lesson.cancel_reason},
        dedupe_key=f"lesson-cancelled:{lesson.pk}",
    )


def starting_soon() -> QuerySet[LiveLesson]:
    now = timezone.now()
    return LiveLesson.objects.filter(
        state=LiveLessonState.SCHEDULED, starts_at__gt=now, starts_at__lte=now + REMINDER_BEFORE
    ).select_related("cohort")


def reminders_send() -> int:
    """Remind everyone of each lesson that starts within 15 minutes, once per lesson and start
    time (a moved lesson is reminded again at its new time). Beat may run this twice, or on
    two machines at once: the dedupe key keeps it to one notice each."""
    sent = 0
    for lesson in starting_soon():
        key = f"lesson-starting:{lesson.pk}:{lesson.starts_at.isoformat()}"
        if notification_selectors.dispatched(dedupe_key=key):
            continue  # reminded at an earlier run: no need to work out its audience again
        dispatch = notify(
            kind=Kind.LESSON_STARTING,
            recipients=audience(lesson),
            params=_facts(lesson),
            dedupe_key=key,
            once=True,
        )
        sent += dispatch is not None
    return sent

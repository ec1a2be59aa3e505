"""What assessments tell people, through ``lms.notifications.services.notify``: a grade
published; work due within a day and not handed in; each morning, for teachers, the work that
waits for their marking. The periodic ones are safe to run twice: each has a dedupe key."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from courses.assessments.models import Assessment, AssessmentKind, Attempt, AttemptState
from courses.models import Enrolment
from lms.accounts.models import User
from lms.notifications.models import Kind
from lms.notifications.services import notify

DUE_WITHIN = timedelta(hours=24)


def grade_published(*, assessment: Assessment, students: Iterable[int]) -> None:
    notify(
        kind=Kind.GRADE_PUBLISHED,
        recipients=students,
        params={
            "assessment_id": assessment.pk,
            "title": assessment.title,
            "class": assessment.cohort.name,
            "link": reverse("frontend:my-grades", args=[assessment.cohort_id]),
        },
        # each publication: a grade marked again and published again is told again
        dedupe_key=f"grade-published:{assessment.pk}:{uuid.uuid4().hex}",
    )


def due_soon_send(*, now: datetime | None = None) -> int:
    """Tell each pupil whose work is due within a day and who has not handed it in; once per
    assessment and due time (moving the due time tells them again)."""
    now = now or timezone.now()
    sent = 0
    due = (
        Assessment.objects.filter(is_published=True, due_at__gt=now, due_at__lte=now + DUE_WITHIN)
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))  # not yet open: nothing to do
        .select_related("cohort")
    )
    for assessment in due:
        handed_in = Attempt.objects.filter(
            assessment=assessment, state__in=[AttemptState.SUBMITTED, AttemptState.GRADED]
        ).values("student_id")
        waiting = Enrolment.objects.filter(cohort_id=assessment.cohort_id).exclude(
            student_id__in=handed_in
        )
        page = "hand-in" if assessment.kind == AssessmentKind.ASSIGNMENT else "attempt-start"
        dispatch = notify(
            kind=Kind.DUE_SOON,
            recipients=waiting.values_list("student_id", flat=True),
            params={
                "assessment_id": assessment.pk,
                "title": assessment.title,
                "class": assessment.cohort.name,
                "due_at": assessment.due_at.isoformat(),
                "link": reverse(f"frontend:{page}", args=[assessment.pk]),
            },
            dedupe_key=f"due-soon:{assessment.pk}:{assessment.due_at.isoformat()}",
            once=True,
        )
        sent += dispatch is not None
    return sent


def grading_digests_send(*, now: datetime | None = None) -> int:
    """Each teacher, in the hour ``GRADING_DIGEST_HOUR`` of their own day, hears what waits
    for their marking, class by class; nothing when nothing waits. Once per teacher and day."""
    now = now or timezone.now()
    waiting = (
        Attempt.objects.filter(state=AttemptState.SUBMITTED)
        .filter(Q(assessment__kind=AssessmentKind.ASSIGNMENT) | Q(graded_at__isnull=False))
        .values("assessment__cohort__teachers", "assessment__cohort_id", "assessment__cohort__name")
        .annotate(count=Count("pk"))
        .order_by("assessment__cohort__name")
    )
    by_teacher: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in waiting:
        teacher = row["assessment__cohort__teachers"]
        if teacher is not None:
            by_teacher[teacher].append(
                {"class": row["assessment__cohort__name"], "count": row["count"]}
            )
    sent = 0
    zones = User.objects.filter(pk__in=by_teacher, is_active=True).values_list("pk", "time_zone")
    for teacher, zone in zones:
        local = now.astimezone(ZoneInfo(zone))
        if local.hour != settings.GRADING_DIGEST_HOUR:
            continue
        classes = by_teacher[teacher]
        dispatch = notify(
            kind=Kind.GRADING_DIGEST,
            recipients=[teacher],
            params={
                "count": sum(row["count"] for row in classes),
                "classes": classes,
                "link": reverse("frontend:marking-queue"),
            },
            dedupe_key=f"grading-digest:{teacher}:{local.date().isoformat()}",
            once=True,
        )
        sent += dispatch is not None
    return sent

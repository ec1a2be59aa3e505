"""What courses tell people, through ``lms.notifications.services.notify``: the facts each
notice is written from, its link and its dedupe key."""

import uuid
from collections.abc import Iterable

from django.urls import reverse

from courses.models import Cohort
from lms.accounts.models import User
from lms.notifications.models import Kind
from lms.notifications.services import notify


def _class(cohort: Cohort) -> dict[str, str]:
    return {"class": cohort.name, "course": cohort.course.title}


def enrolled(*, cohort: Cohort, students: Iterable[int | User], occasion: str) -> None:
    """``occasion`` names the enrolment (its row, or an import run): each pupil is told once
    per occasion, and again if they leave and come back."""
    notify(
        kind=Kind.ENROLLED,
        recipients=students,
        params={
            **_class(cohort),
            "cohort_id": cohort.pk,
            "link": reverse("frontend:class-detail", args=[cohort.pk]),
        },
        dedupe_key=f"enrolled:{cohort.pk}:{occasion}",
    )


def import_run() -> str:
    return uuid.uuid4().hex


def import_finished(*, cohort: Cohort, by: User, counts: dict[str, int], run: str) -> None:
    notify(
        kind=Kind.IMPORT_FINISHED,
        recipients=[by],
        params={
            **_class(cohort),
            "cohort_id": cohort.pk,
            "created": counts.get("create", 0),
            "enrolled": counts.get("create", 0) + counts.get("enrol", 0),
            "already": counts.get("already_enrolled", 0),
            "link": reverse("frontend:class-detail", args=[cohort.pk]),
        },
        dedupe_key=f"import-finished:{run}",
    )

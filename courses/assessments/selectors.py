"""Reads of assessments, scoped to the reader."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from courses.assessments import policies
from courses.assessments.models import Objective, Question, QuestionKey
from courses.models import Course


def question_list_for_course(*, course: Course, user: Any) -> QuerySet[Question]:
    """The course's bank, keys and objectives loaded, for those who may read it; else empty."""
    if not policies.can_view_bank(user, course):
        return Question.objects.none()
    return Question.objects.filter(course=course).prefetch_related(
        Prefetch("keys", queryset=QuestionKey.objects.order_by("position", "pk")),
        Prefetch("objectives", queryset=Objective.objects.order_by("code")),
    )


def objective_list_for_course(*, course: Course, user: Any) -> QuerySet[Objective]:
    if not policies.can_view_bank(user, course):
        return Objective.objects.none()
    return Objective.objects.filter(course=course)

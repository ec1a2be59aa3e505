"""The gradebook of a class: a row per pupil, a column per assessment, weighted totals.

Four queries whatever the size of the class: the assessments, the categories, the enrolled
pupils, the grades. Totals are computed here, in decimals.

How totals count (written down because teachers will ask):
- only assessments a pupil has a grade for count towards their totals (work not yet graded
  neither helps nor hurts; Canvas's default);
- a category's share is the points earned over the points possible of its graded assessments;
- with categories, the total is the weighted mean of the categories the pupil has grades in
  (weights renormalised over those); assessments without a category form one more category
  weighing what the others leave of 100%;
- without categories, the total is all points earned over all points possible.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from courses.assessments.models import Assessment, Grade, GradeCategory
from courses.models import Cohort, Enrolment

HUNDRED = Decimal(100)
UNCATEGORISED = 0  # the key of assessments without a category


def _percent(earned: Decimal, possible: Decimal) -> Decimal | None:
    if possible <= 0:
        return None
    return (earned / possible * HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class GradebookRow:
    student: int
    username: str
    name: str
    grades: dict[int, Decimal | None] = field(default_factory=dict)
    categories: dict[int, Decimal | None] = field(default_factory=dict)
    total: Decimal | None = None


@dataclass
class Gradebook:
    assessments: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    rows: list[GradebookRow]


def gradebook_for_cohort(*, cohort: Cohort) -> Gradebook:
    assessments = list(
        Assessment.objects.filter(cohort=cohort)
        .order_by("due_at", "pk")
        .values("id", "title", "kind", "points", "category_id", "is_published", "due_at")
    )
    categories = list(
        GradeCategory.objects.filter(cohort=cohort)
        .order_by("name", "pk")
        .values("id", "name", "weight")
    )
    pupils = list(
        Enrolment.objects.filter(cohort=cohort)
        .order_by("student__last_name", "student__first_name", "student_id")
        .values("student_id", "student__username", "student__first_name", "student__last_name")
    )
    grades: dict[tuple[int, int], Decimal | None] = {
        (student, assessment): points
        for student, assessment, points in Grade.objects.filter(
            assessment__cohort=cohort
        ).values_list("student_id", "assessment_id", "points")
    }
    weights = {category["id"]: Decimal(category["weight"]) for category in categories}
    if categories:
        remaining = HUNDRED - sum(weights.values(), Decimal(0))
        if remaining > 0 and any(a["category_id"] is None for a in assessments):
            weights[UNCATEGORISED] = remaining
    rows = []
    for pupil in pupils:
        student = pupil["student_id"]
        row = GradebookRow(
            student=student,
            username=pupil["student__username"],
            name=f"{pupil['student__last_name']} {pupil['student__first_name']}".strip(),
        )
        earned: dict[int, Decimal] = {}
        possible: dict[int, Decimal] = {}
        for assessment in assessments:
            points = grades.get((student, assessment["id"]))
            row.grades[assessment["id"]] = points
            if points is None:
                continue
            key = assessment["category_id"] or UNCATEGORISED
            earned[key] = earned.get(key, Decimal(0)) + points
            possible[key] = possible.get(key, Decimal(0)) + assessment["points"]
        shares = {key: _percent(earned[key], possible[key]) for key in earned}
        row.categories = {category["id"]: shares.get(category["id"]) for category in categories}
        if categories:
            counted = {
                key: share
                for key, share in shares.items()
                if share is not None and weights.get(key, Decimal(0)) > 0
            }
            weight = sum((weights[key] for key in counted), Decimal(0))
            if weight > 0:
                total = sum((weights[key] * share for key, share in counted.items()), Decimal(0))
                row.total = (total / weight).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            row.total = _percent(
                sum(earned.values(), Decimal(0)), sum(possible.values(), Decimal(0))
            )
        rows.append(row)
    return Gradebook(
        assessments=[dict(item) for item in assessments],
        categories=[dict(item) for item in categories],
        rows=rows,
    )


def gradebook_table(book: Gradebook) -> tuple[list[str], list[list[Any]]]:
    """The gradebook as a header and rows, one per pupil, for a CSV file."""
    header = [
        "username",
        "name",
        *(f"{item['title']} ({item['points']})" for item in book.assessments),
        *(f"{item['name']} %" for item in book.categories),
        "total %",
    ]
    rows = [
        [
            row.username,
            row.name,
            *(row.grades.get(item["id"]) for item in book.assessments),
            *(row.categories.get(item["id"]) for item in book.categories),
            row.total,
        ]
        for row in book.rows
    ]
    return header, rows

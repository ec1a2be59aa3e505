"""The gradebook of a class: a row per pupil, a column per assessment, weighted totals.

Four queries whatever the size of the class: the assessments, the categories, the enrolled
pupils, the grades. Grades are read as whole cents and added up as integers; percentages are
computed in decimals. The rows hold the numbers as the API and the CSV file show them ("7.50"),
so that the API shapes its answer without a serializer (docs/decisions/0008).

How totals count (written down because teachers will ask):
- only assessments a pupil has a grade for count towards their totals (work not yet graded
  neither helps nor hurts; Canvas's default);
- a category's share is the points earned over the points possible of its graded assessments;
- with categories, the total is the weighted mean of the categories the pupil has grades in
  (weights renormalised over those); assessments without a category form one more category
  weighing what the others leave of 100%;
- without categories, the total is all points earned over all points possible.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, IntegerField
from django.db.models.functions import Cast, Round

from courses.assessments.models import Assessment, Grade, GradeCategory
from courses.models import Cohort, Enrolment

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
UNCATEGORISED = 0  # the key of assessments without a category


def _percent(earned: int, possible: int) -> Decimal | None:
    """Points over points as a percentage with two decimals. Both are in cents, so the
    quotient is exactly the one of the decimals."""
    if possible <= 0:
        return None
    return (Decimal(earned) / Decimal(possible) * HUNDRED).quantize(CENT, ROUND_HALF_UP)


def _text(number: Decimal | None) -> str | None:
    return None if number is None else str(number)  # two decimals: "62.50"


def _points(cents: int) -> str:
    """Cents as the API writes points, "7.50" ("-1.00" for a penalty below zero)."""
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


class _Cents(Cast):
    """A decimal column in whole cents, an integer made by the database."""

    def __init__(self, column: str) -> None:
        super().__init__(Round(F(column) * 100), output_field=IntegerField())

    def get_db_converters(self, connection: BaseDatabaseWrapper) -> list[Any]:
        return []  # both databases answer an integer already: no conversion per row


@dataclass
class GradebookRow:
    """A pupil's line. Grades follow the gradebook's assessments, category percentages its
    categories; numbers are the text the API and the CSV file show ("7.50"), None where there
    is nothing yet."""

    student: int
    username: str
    name: str
    grades: list[str | None]
    categories: list[str | None]
    total: str | None


@dataclass
class Gradebook:
    assessments: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    rows: list[GradebookRow]


def gradebook_for_cohort(*, cohort: Cohort) -> Gradebook:
    """Points are read as whole cents: adding them up is integer arithmetic, and 1,200 cells
    are not turned into decimals and back into text (that was most of this function's time)."""
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
    pupils = Enrolment.objects.filter(cohort=cohort).order_by(
        "student__last_name", "student__first_name", "student_id"
    )
    grid = Grade.objects.filter(assessment__cohort=cohort).values_list(
        "student_id",
        "assessment_id",
        _Cents("points"),
    )
    # Per-category sums are kept in one flat list per pupil: [earned, possible] per category,
    # in the order of ``keys`` (the categories, then the uncategorised assessments).
    keys = [category["id"] for category in categories]
    weights = [Decimal(category["weight"]) for category in categories]
    if categories:
        remaining = HUNDRED - sum(weights, Decimal(0))
        if remaining > 0 and any(a["category_id"] is None for a in assessments):
            keys.append(UNCATEGORISED)
            weights.append(remaining)
    else:
        keys.append(UNCATEGORISED)
    slot = {key: 2 * index for index, key in enumerate(keys)}
    columns = {
        a["id"]: (
            index,
            slot.get(a["category_id"] or UNCATEGORISED, -1),
            int(a["points"] * 100),
        )
        for index, a in enumerate(assessments)
    }
    width, empty = len(assessments), [0] * (2 * len(keys))
    lines: dict[int, tuple[list[str | None], list[int]]] = {}
    rows = []
    for student, username, first_name, last_name in pupils.values_list(
        "student_id", "student__username", "student__first_name", "student__last_name"
    ):
        grades: list[str | None] = [None] * width
        lines[student] = line = (grades, empty.copy())
        rows.append((student, username, f"{last_name} {first_name}".strip(), line))
    texts: dict[int, str] = {}  # a class's grades repeat: each is written out once
    for student, assessment, cents in grid:
        if cents is None or student not in lines:
            continue  # not graded yet, or no longer in the class
        grades, sums = lines[student]
        index, at, possible = columns[assessment]
        text = texts.get(cents)
        if text is None:
            text = texts[cents] = _points(cents)
        grades[index] = text
        if at >= 0:  # in a category that counts
            sums[at] += cents
            sums[at + 1] += possible
    return Gradebook(
        assessments=[dict(item) for item in assessments],
        categories=[dict(item) for item in categories],
        rows=[
            GradebookRow(
                student=student,
                username=username,
                name=name,
                grades=grades,
                **_totals(sums, weights, len(categories)),
            )
            for student, username, name, (grades, sums) in rows
        ],
    )


def _totals(sums: list[int], weights: list[Decimal], categories: int) -> dict[str, Any]:
    """A pupil's category percentages and total from their sums (see the top of the module).
    Nothing graded in a category leaves its possible points at 0: no percentage."""
    if not categories:
        return {"categories": [], "total": _text(_percent(sums[0], sums[1]))}
    shares = [_percent(sums[at], sums[at + 1]) for at in range(0, len(sums), 2)]
    counted = [
        (weight, share)
        for weight, share in zip(weights, shares, strict=True)
        if share is not None and weight > 0
    ]
    weight = sum((weight for weight, _ in counted), Decimal(0))
    total = None
    if weight > 0:
        total = sum((weight * share for weight, share in counted), Decimal(0)) / weight
        total = total.quantize(CENT, ROUND_HALF_UP)
    return {"categories": [_text(share) for share in shares[:categories]], "total": _text(total)}


def assessment_column(title: str, points: Any) -> str:
    """An assessment's column in the gradebook's CSV file; the grade import finds it by it."""
    return f"{title} ({points})"


def gradebook_table(book: Gradebook) -> tuple[list[str], list[list[Any]]]:
    """The gradebook as a header and rows, one per pupil, for a CSV file."""
    header = [
        "username",
        "name",
        *(assessment_column(item["title"], item["points"]) for item in book.assessments),
        *(f"{item['name']} %" for item in book.categories),
        "total %",
    ]
    rows = [[row.username, row.name, *row.grades, *row.categories, row.total] for row in book.rows]
    return header, rows

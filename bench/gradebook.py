"""Time to read a class's gradebook (40 pupils by 30 assessments, two weighted categories)
against a hand-written single-query view of the same data, in the same run.

    .venv/bin/python bench/gradebook.py [--pupils 40] [--assessments 30] [--rounds 200]

Runs on a throwaway SQLite database, or on PostgreSQL when DATABASE_URL is set (a database
named mektep_bench_<random> is created and dropped). The target: at most 1.5 times the
hand-written view's time, and at most 4 queries for the gradebook.

The baseline is one hand-written SQL query (the pupils joined to the class's assessments, their
categories and grades) shaped in plain Python into exactly the data our endpoint returns: the
assessments, the categories, a row per pupil with points, category percentages and the weighted
total. It is written to be fast: each assessment's details are read once, not once per pupil;
the 40 pupils and 30 assessments are sorted in Python rather than the 1,200 rows in SQL, and
the sums are added up in Python (``--order sql`` and ``--sums sql`` measure the other ways: both
slower). The script checks that both sides return equal data before timing anything. Three
pairs are timed, alternating, with DEBUG off, and the median of the rounds' ratios is printed
with the range of the middle 80% of rounds:

- gradebook: our read and shaping in-process (what the endpoint serialises) against the
  baseline's query and shaping;
- endpoint: ``GET /api/v1/classes/<id>/gradebook/`` against the baseline as a plain Django view
  returning ``JsonResponse``, both through Django's test client and the same middleware, signed
  in as the class's teacher (the plain view checks nothing more);
- for reference only, the floor: the baseline's query fetched, nothing shaped.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throwaway import throwaway_database  # noqa: E402 - after the path is set

# One row per pupil and assessment. An assessment's details (title, due time, category...) come
# once, on the first enrolment's rows, rather than once per pupil: read 40 times over they cost
# more than the grades. The rows come in no order (--order sql: sorted by the database).
SINGLE_QUERY = """
    SELECT u.id, u.username, u.first_name, u.last_name, a.id, a.category_id, a.points, g.points,
           d.title, d.kind, d.is_published, d.due_at, c.name, c.weight{sums}
    FROM courses_enrolment e
    JOIN accounts_user u ON u.id = e.student_id
    JOIN assessments_assessment a ON a.cohort_id = e.cohort_id
    LEFT JOIN assessments_grade g ON g.assessment_id = a.id AND g.student_id = e.student_id
    LEFT JOIN assessments_assessment d ON d.id = a.id
        AND e.id = (SELECT MIN(f.id) FROM courses_enrolment f WHERE f.cohort_id = %(cohort)s)
    LEFT JOIN assessments_gradecategory c ON c.id = d.category_id
    WHERE e.cohort_id = %(cohort)s{window}{order}
"""
SQL_ORDER = """
    ORDER BY u.last_name, u.first_name, u.id, a.due_at, a.id"""
# --sums sql: the per-category sums of graded work on every row (window functions) rather than
# added up in Python.
SQL_SUMS = """,
           SUM(g.points) OVER pupil_category,
           SUM(CASE WHEN g.points IS NOT NULL THEN a.points END) OVER pupil_category"""
SQL_WINDOW = """
    WINDOW pupil_category AS (PARTITION BY e.student_id, a.category_id)"""
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pupils", type=int, default=40)
    parser.add_argument("--assessments", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=200)
    # The baseline's defaults are its fastest ways on both databases (measured).
    parser.add_argument("--sums", choices=["python", "sql"], default="python")
    parser.add_argument("--order", choices=["python", "sql"], default="python")
    args = parser.parse_args()
    with throwaway_database():
        run(args.pupils, args.assessments, args.rounds, args.sums, args.order)


def run(pupils: int, count: int, rounds: int, sums: str, order: str) -> None:
    import django

    django.setup()
    from datetime import UTC, date, datetime

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpRequest, JsonResponse
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import include, path
    from django.utils import timezone

    from courses.assessments.api.gradebook import gradebook_output
    from courses.assessments.gradebook import gradebook_for_cohort
    from courses.assessments.models import Assessment, Grade, GradeCategory
    from courses.models import Cohort, Course, Enrolment, Term
    from lms.accounts.models import Region, Role, School, User

    call_command("migrate", verbosity=0)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    region = Region.objects.create(name="Bench", code="bench")
    school = School.objects.create(
        region=region, name="Bench school", code="bench-1", locality="rural", languages=["ky"]
    )
    course = Course.objects.create(title="Bench", subject="Math", language="ky", school=school)
    term = Term.objects.create(
        school=school,
        name="T",
        starts_on=date(2026, 9, 1),
        ends_on=date(2027, 5, 31),
    )
    cohort = Cohort.objects.create(course=course, term=term, name="7A", join_code="BENCH7")
    teacher = User.objects.create_user(
        "bench-teacher",
        password="x",  # noqa: S106 - a throwaway database
        role=Role.TEACHER,
        school=school,
    )
    cohort.teachers.add(teacher)
    categories = [
        GradeCategory.objects.create(cohort=cohort, name=name, weight=Decimal(50))
        for name in ("Quizzes", "Projects")
    ]
    due = datetime(2026, 12, 1, tzinfo=UTC)
    assessments = [
        Assessment.objects.create(
            cohort=cohort,
            kind="quiz",
            title=f"A{n}",
            due_at=due,
            points=Decimal(10),
            category=categories[n % 2],
        )
        for n in range(count)
    ]
    students = [
        User.objects.create(username=f"p{n}", role=Role.STUDENT, school=school, last_name=f"L{n}")
        for n in range(pupils)
    ]
    Enrolment.objects.bulk_create(Enrolment(cohort=cohort, student=s) for s in students)
    Grade.objects.bulk_create(
        Grade(assessment=a, student=s, points=Decimal((i * 7 + j) % 11))
        for i, s in enumerate(students)
        for j, a in enumerate(assessments)
    )
    vendor = connection.vendor

    single_query = SINGLE_QUERY.format(
        sums=SQL_SUMS if sums == "sql" else "",
        window=SQL_WINDOW if sums == "sql" else "",
        order=SQL_ORDER if order == "sql" else "",
    )

    def fetch(cohort_id: int) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(single_query, {"cohort": cohort_id})
            return cursor.fetchall()

    def plain(cohort_id: int) -> dict[str, Any]:
        return _shape(fetch(cohort_id), sqlite=vendor == "sqlite", tz=timezone)

    def ours() -> dict[str, Any]:
        return gradebook_output(gradebook_for_cohort(cohort=cohort))

    def plain_view(request: HttpRequest, cohort_id: int) -> JsonResponse:
        return JsonResponse(plain(cohort_id))

    urlconf = type(sys)("bench_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("plain/gradebook/<int:cohort_id>/", plain_view),
        path("", include("lms.urls")),
    ]
    sys.modules["bench_urls"] = urlconf

    # The same data on both sides, or the comparison means nothing.
    assert ours() == plain(cohort.pk), "the baseline does not build the same gradebook"
    with CaptureQueriesContext(connection) as queries:
        ours()
    gradebook_queries = len(queries)  # counted now: a request clears Django's query log
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"{pupils} pupils x {count} assessments, {rounds} rounds, database: {engine}, "
        f"baseline: sums in {sums}, order in {order}"
    )
    with override_settings(ROOT_URLCONF="bench_urls", DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(teacher)
        api_url, plain_url = (
            f"/api/v1/classes/{cohort.pk}/gradebook/",
            f"/plain/gradebook/{cohort.pk}/",
        )
        api, baseline = client.get(api_url), client.get(plain_url)
        assert api.status_code == 200, api.content[:300]
        assert api.json() == baseline.json(), "the plain view does not return the same JSON"
        with CaptureQueriesContext(connection) as request_queries:
            client.get(api_url)
        endpoint_queries = len(request_queries)
        if os.environ.get("BENCH_PROFILE"):
            _profile(ours, lambda: client.get(api_url))
        _compare(
            "gradebook", ours, lambda: plain(cohort.pk), rounds, f"{gradebook_queries} queries"
        )
        _compare(
            "endpoint",
            lambda: client.get(api_url),
            lambda: client.get(plain_url),
            rounds,
            f"{endpoint_queries} queries with the session",
        )
        _compare("  floor", ours, lambda: fetch(cohort.pk), rounds, "query fetched, not shaped")


def _compare(
    name: str, ours: Callable[[], object], baseline: Callable[[], object], rounds: int, note: str
) -> None:
    for _ in range(10):  # warm up
        ours()
        baseline()
    ratios, ours_times, plain_times = [], [], []
    for _ in range(rounds):  # alternate, so a busy moment of the machine falls on both
        started = time.perf_counter()
        ours()
        middle = time.perf_counter()
        baseline()
        ended = time.perf_counter()
        ours_times.append(middle - started)
        plain_times.append(ended - middle)
        ratios.append((middle - started) / (ended - middle))
    ratios.sort()
    print(
        f"{name:10} ours {statistics.median(ours_times) * 1000:6.2f} ms   "
        f"hand-written {statistics.median(plain_times) * 1000:6.2f} ms   "
        f"ratio {statistics.median(ratios):.2f} "
        f"(rounds: {ratios[len(ratios) // 10]:.2f}-{ratios[-len(ratios) // 10 - 1]:.2f}, "
        f"middle 80%)   {note}"
    )


def _profile(*calls: Callable[[], object]) -> None:
    import cProfile
    import pstats

    for call in calls:
        with cProfile.Profile() as profile:
            for _ in range(100):
                call()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


def _shape(rows: list[tuple[Any, ...]], *, sqlite: bool, tz: Any) -> dict[str, Any]:
    """The endpoint's JSON from the single query's rows, written plainly. SQLite hands back
    numbers where PostgreSQL hands back decimals, and times without their zone."""
    from datetime import UTC

    def number(value: Any) -> Decimal:
        return Decimal(value).quantize(CENT) if sqlite else value

    assessments: dict[int, tuple[tuple[Any, int], dict[str, Any]]] = {}
    categories: dict[int, tuple[str, Decimal]] = {}
    pupils: dict[int, tuple[tuple[str, str, int], dict[str, Any], dict[int, Any], dict[Any, Any]]]
    pupils = {}
    for (
        student,
        username,
        first_name,
        last_name,
        assessment,
        category,
        possible,
        points,
        title,
        kind,
        is_published,
        due_at,
        category_name,
        weight,
        *window_sums,
    ) in rows:
        if title is not None:  # the first enrolment's rows carry the assessment's details
            if sqlite:
                due_at = due_at.replace(tzinfo=UTC)
            assessments[assessment] = (
                (due_at, assessment),
                {
                    "id": assessment,
                    "title": title,
                    "kind": kind,
                    "points": f"{possible:.2f}",
                    "category_id": category,
                    "is_published": bool(is_published),
                    "due_at": tz.localtime(due_at).isoformat().replace("+00:00", "Z"),
                },
            )
            if category is not None:
                categories[category] = (category_name, number(weight))
        pupil = pupils.get(student)
        if pupil is None:
            name = f"{last_name} {first_name}".strip()
            row = {"student": student, "username": username, "name": name}
            pupil = pupils[student] = ((last_name, first_name, student), row, {}, {})
        pupil[2][assessment] = None if points is None else f"{points:.2f}"
        if window_sums:
            if window_sums[0] is not None:
                pupil[3][category] = [number(window_sums[0]), number(window_sums[1])]
        elif points is not None:
            pair = pupil[3].setdefault(category, [0, 0])
            pair[0] += points
            pair[1] += possible
    columns = [(key, str(key)) for key, _ in sorted(assessments.items(), key=itemgetter(1))]
    ordered = sorted(categories.items(), key=lambda item: (item[1][0], item[0]))
    output_rows = []
    for _, row, cells, pupil_sums in sorted(pupils.values(), key=itemgetter(0)):
        row["grades"] = {text: cells[key] for key, text in columns}
        if sqlite and not window_sums:  # SQLite's sums are binary fractions: to cents, as Django
            pupil_sums = {key: [number(e), number(p)] for key, (e, p) in pupil_sums.items()}
        shares = _shares(pupil_sums)
        row["categories"] = {
            str(key): None if key not in shares else f"{shares[key]:.2f}" for key, _ in ordered
        }
        total = _total(pupil_sums, shares, categories)
        row["total"] = None if total is None else f"{total:.2f}"
        output_rows.append(row)
    return {
        "assessments": [assessments[key][1] for key, _ in columns],
        "categories": [
            {"id": key, "name": name, "weight": f"{weight:.2f}"} for key, (name, weight) in ordered
        ],
        "rows": output_rows,
    }


def _shares(sums: dict[int | None, list[Decimal]]) -> dict[int | None, Decimal]:
    return {
        key: (earned / possible * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
        for key, (earned, possible) in sums.items()
        if possible > 0
    }


def _total(
    sums: dict[int | None, list[Decimal]],
    shares: dict[int | None, Decimal],
    categories: dict[int, tuple[str, Decimal]],
) -> Decimal | None:
    if not categories:
        earned = sum((e for e, _ in sums.values()), Decimal(0))
        possible = sum((p for _, p in sums.values()), Decimal(0))
        if possible <= 0:
            return None
        return (earned / possible * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    weights: dict[int | None, Decimal] = {key: w for key, (_, w) in categories.items() if w > 0}
    uncategorised = HUNDRED - sum(w for _, w in categories.values())
    if uncategorised > 0:
        weights[None] = uncategorised
    counted = [(weights[key], share) for key, share in shares.items() if key in weights]
    weight = sum(w for w, _ in counted)
    if weight <= 0:
        return None
    return (sum(w * s for w, s in counted) / weight).quantize(CENT, rounding=ROUND_HALF_UP)


if __name__ == "__main__":
    main()

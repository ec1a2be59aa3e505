"""The embargo on right answers, feedback and unpublished grades, proven by crawling everything a
pupil can reach: with canaries planted in a quiz the pupil has taken, every GET route of the
API (read from the OpenAPI schema) and every page (every route of ``frontend/urls.py``) is
read one second before and one second after the quiz's reveal time (its due time). The
canaries appear only after, and the grades the teacher has not published appear in neither.

The routes are not listed here: a new API endpoint or page is crawled as soon as it exists.
Its path parameters are filled from the table of ``path_values``, keyed by the parameter's
name and pointing at the pupil's own objects; a name missing from the table fails the test,
so that a new route cannot escape the crawl unnoticed.

What is planted, in a quiz of the pupil's class that reveals its answers after the due time:

- a single-choice question whose right option's text is ``RIGHT_OPTION``, with feedback
  canaries on both options and a general-feedback canary. The pupil is shown the options to
  answer, so ``RIGHT_OPTION`` is on their paper from the start, exactly as often as the wrong
  option ``DISTRACTOR``; what must not show before the reveal is *which* one is right, so no
  answer may show ``RIGHT_OPTION`` more often than ``DISTRACTOR``. The pupil picks the wrong
  one (so its feedback is theirs to see after the reveal);
- a short-answer question whose accepted answer (and its feedback) are canaries; the pupil
  writes a wrong guess;
- after grading, the teacher overrides the pupil's grade with ``OVERRIDE_POINTS`` and does not
  publish it; and marks the pupil's handed-in assignment (``MARK_POINTS``, a comment and
  feedback canary), not published either: none of these may appear until the grades are
  published, which the test does last, to prove that the crawl would see them.
"""

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from courses import services as course_services
from courses.assessments import services
from courses.assessments.models import (
    Assessment,
    Attempt,
    AttemptState,
    Grade,
    GradeState,
    Question,
    SubmissionFile,
)
from courses.models import LessonFile
from frontend import urls as frontend_urls
from lms.accounts.models import User
from tests.assessments.conftest import Bank
from tests.courses.test_lesson_files import PDF

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RIGHT_OPTION = "CANARY-5e0c-right-option"
DISTRACTOR = "DISTRACTOR-5e0c-wrong-option"
RIGHT_FEEDBACK = "CANARY-5e0c-right-option-feedback"
WRONG_FEEDBACK = "CANARY-5e0c-wrong-option-feedback"
GENERAL_FEEDBACK = "CANARY-5e0c-general-feedback"
SHORT_ANSWER = "CANARY-5e0c-short-answer"
SHORT_FEEDBACK = "CANARY-5e0c-short-answer-feedback"
MARK_COMMENT = "CANARY-5e0c-rubric-comment"
MARK_FEEDBACK = "CANARY-5e0c-marking-feedback"
OVERRIDE_POINTS = "61.83"  # the quiz is worth 100 points
MARK_POINTS = "47.29"  # the assignment's one criterion is worth 50
# Before the reveal time, none of these may appear anywhere.
ANSWER_CANARIES = (RIGHT_FEEDBACK, WRONG_FEEDBACK, GENERAL_FEEDBACK, SHORT_ANSWER, SHORT_FEEDBACK)
# Until the grades are published, none of these may appear anywhere.
GRADE_CANARIES = (OVERRIDE_POINTS, MARK_POINTS, MARK_COMMENT, MARK_FEEDBACK)
# The crawl must reach at least this many routes with an answer other than 404 or 405.
MIN_ROUTES_ANSWERED = 50

pytestmark = pytest.mark.usefixtures("eager_celery")  # grading runs in this process


# --- what is planted --------------------------------------------------------------------------
@dataclass
class Planted:
    bank: Bank
    pupil: User
    quiz: Assessment
    assignment: Assessment
    attempt: Attempt  # the quiz's, graded
    handed_in: Attempt  # the assignment's, marked
    single: Question
    short: Question
    lesson_file: LessonFile
    submission_file: SubmissionFile


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("work.pdf", PDF, content_type="application/pdf")


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()


@pytest.fixture
def planted(
    bank: Bank,
    clock: Callable[[datetime], None],
    settings: Any,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> Planted:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    clock(DUE - timedelta(hours=2))
    classes = bank.classes
    course, cohort = classes.courses.course, classes.cohorts["a1"]
    author, pupil = classes.person("author"), classes.person("student_a1")
    lesson_file = course_services.lesson_file_add(
        lesson=classes.courses.lesson_published,
        by=author,
        upload=_pdf(),
        kind=LessonFile.Kind.ATTACHMENT,
    )
    single = services.question_create(
        course=course,
        by=author,
        kind="single",
        title="Which one",
        text_markdown="Which one is right?",
        general_feedback=GENERAL_FEEDBACK,
        keys=[
            {"text": RIGHT_OPTION, "fraction": Decimal(1), "feedback": RIGHT_FEEDBACK},
            {"text": DISTRACTOR, "fraction": Decimal(0), "feedback": WRONG_FEEDBACK},
        ],
    )
    short = services.question_create(
        course=course,
        by=author,
        kind="short_text",
        title="Which word",
        text_markdown="Which word?",
        keys=[{"text": SHORT_ANSWER, "fraction": Decimal(1), "feedback": SHORT_FEEDBACK}],
    )
    teacher = APIClient()
    teacher.force_authenticate(classes.person("class_teacher"))
    quiz = _ok(
        teacher.post(
            f"/api/v1/classes/{cohort.pk}/assessments/",
            {
                "kind": "quiz",
                "title": "Weekly quiz",
                "due_at": DUE.isoformat(),
                "reveal": "after_due",
                "questions": [
                    {"question": single.pk, "points": "50"},
                    {"question": short.pk, "points": "50"},
                ],
            },
            format="json",
        ),
        201,
    )
    assignment = _ok(
        teacher.post(
            f"/api/v1/classes/{cohort.pk}/assessments/",
            {
                "kind": "assignment",
                "title": "Essay",
                "due_at": DUE.isoformat(),
                "rubric": [{"title": "Content", "points": "50"}],
            },
            format="json",
        ),
        201,
    )
    for item in (quiz, assignment):
        publish_url = f"/api/v1/assessments/{item['id']}/publish/"
        _ok(teacher.post(publish_url, {"published": True}, format="json"))
    # the pupil takes the quiz before its due time: the wrong option, a wrong guess
    client = pupil_client(pupil)
    paper = _ok(client.post(f"/api/v1/assessments/{quiz['id']}/attempts/"), 201)
    wrong = next(o["id"] for o in paper["questions"][0]["options"] if o["text"] == DISTRACTOR)
    for question, response in ((single, {"option": wrong}), (short, {"text": "a guess"})):
        _ok(
            client.put(
                f"/api/v1/attempts/{paper['id']}/answers/{question.pk}/",
                {"response": response, "revision": 1},
                format="json",
            )
        )
    with django_capture_on_commit_callbacks(execute=True):
        _ok(client.post(f"/api/v1/attempts/{paper['id']}/submit/"), 202)
    attempt = Attempt.objects.get(pk=paper["id"])
    assert attempt.state == AttemptState.GRADED  # the grading job ran
    # and hands in the assignment
    work = _ok(
        client.post(
            f"/api/v1/assessments/{assignment['id']}/submissions/",
            {"text": "My essay.", "files": [_pdf()]},
            format="multipart",
        ),
        201,
    )
    # the teacher overrides the quiz's grade and marks the assignment, publishing neither
    _ok(
        teacher.post(
            f"/api/v1/assessments/{quiz['id']}/grades/{pupil.pk}/override/",
            {"points": OVERRIDE_POINTS, "reason": "Answered orally"},
            format="json",
        )
    )
    criterion = Assessment.objects.get(pk=assignment["id"]).rubric.get()
    _ok(
        teacher.post(
            f"/api/v1/attempts/{work['id']}/marking/",
            {
                "rubric": [
                    {"criterion": criterion.pk, "points": MARK_POINTS, "comment": MARK_COMMENT}
                ],
                "feedback": MARK_FEEDBACK,
            },
            format="json",
        )
    )
    grades = Grade.objects.filter(student=pupil, assessment_id__in=[quiz["id"], assignment["id"]])
    assert sorted((str(g.points), g.state) for g in grades) == [
        (MARK_POINTS, GradeState.DRAFT),
        (OVERRIDE_POINTS, GradeState.DRAFT),
    ]
    handed_in = Attempt.objects.get(pk=work["id"])
    return Planted(
        bank=bank,
        pupil=pupil,
        quiz=Assessment.objects.get(pk=quiz["id"]),
        assignment=Assessment.objects.get(pk=assignment["id"]),
        attempt=attempt,
        handed_in=handed_in,
        single=single,
        short=short,
        lesson_file=lesson_file,
        submission_file=handed_in.files.get(),
    )


def pupil_client(pupil: User) -> APIClient:
    """The pupil, signed in with a session (as in the browser: pages and the API alike); a 500
    is an answer to look at, not an exception."""
    client = APIClient(raise_request_exception=False)
    client.force_login(pupil)
    return client


# --- the routes and their parameters ----------------------------------------------------------
def path_values(p: Planted) -> dict[str, tuple[int, ...]]:
    """The ids to fill a path parameter with, by its name: the pupil's own objects (a name that
    several kinds of object share is tried with each). A bare ``id`` or ``pk`` is named by the
    collection before it in the path (``classes.id`` in ``/api/v1/classes/{id}/``)."""
    classes = p.bank.classes
    cohort, course = classes.cohorts["a1"], classes.courses.course
    lesson = classes.courses.lesson_published
    assessments = (p.quiz.pk, p.assignment.pk)
    attempts = (p.attempt.pk, p.handed_in.pk)
    return {
        "course_id": (course.pk,),
        "cohort_id": (cohort.pk,),
        "class_id": (cohort.pk,),
        "assessment_id": assessments,
        "attempt_id": attempts,
        "question_id": (p.single.pk, p.short.pk),
        "student_id": (p.pupil.pk,),
        "person_id": (p.pupil.pk,),
        "school_id": (p.pupil.school_id or 0,),
        "module_id": (lesson.module_id,),
        "lesson_id": (lesson.pk,),
        "file_id": (p.lesson_file.pk, p.submission_file.pk),
        "teacher_id": tuple(cohort.teachers.values_list("pk", flat=True)),
        # classrooms hold no answer or grade, and none is a pupil's to see: any id will do
        "classroom_id": (0,),
        # a live lesson's slide holds no answer or grade either
        "position": (0,),
        # a notice says that a grade is out, never the grade; failed deliveries are the
        # administrators': any id will do (the pupil's notices are crawled at /notifications/)
        "notification_id": (0,),
        "delivery_id": (0,),
        "classes.id": (cohort.pk,),
        "courses.id": (course.pk,),
        "modules.id": (lesson.module_id,),
        "lessons.id": (lesson.pk,),
        "people.id": (p.pupil.pk,),
        "schools.id": (p.pupil.school_id or 0,),
        "regions.id": (classes.courses.world.region_a.pk,),
        "terms.id": (cohort.term_id,),
    }


@dataclass(frozen=True)
class Route:
    """A route to crawl: where it comes from, its path with ``{name}`` placeholders, and the
    key of each placeholder in the table of ``path_values``."""

    source: str  # "api ..." or "page frontend:..."
    template: str
    keys: dict[str, str]  # placeholder -> key in path_values


def _key(template: str, name: str) -> str:
    if name not in ("id", "pk"):
        return name
    before = template.split("{" + name + "}")[0].rstrip("/").rsplit("/", 1)[-1]
    return f"{before}.{name}"


def api_routes() -> list[Route]:
    """Every path of the OpenAPI schema that answers GET."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    routes = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        names = re.findall(r"\{(\w+)\}", path)
        keys = {name: _key(path, name) for name in names}
        routes.append(Route(f"api {path}", path, keys))
    return routes


PLACEHOLDER = 987_654_321  # reversed into a URL, then swapped for its parameter's "{name}"


def _walk(patterns: list[Any], namespace: str) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        else:
            yield (namespace, pattern)


def page_routes() -> list[Route]:
    """Every route of the ``frontend`` namespace, walked from ``frontend.urls``."""
    routes = []
    for namespace, pattern in _walk(frontend_urls.urlpatterns, frontend_urls.app_name):
        assert pattern.name, f"name the page {pattern.pattern!s} so that the crawl can reach it"
        names = list(pattern.pattern.regex.groupindex)
        url_name = f"{namespace}:{pattern.name}"
        # a distinct number per parameter, so that each can be found again in the URL
        numbers = {name: PLACEHOLDER + index for index, name in enumerate(names)}
        template = reverse(url_name, kwargs=numbers)
        for name, number in numbers.items():
            template = template.replace(str(number), "{" + name + "}")
        keys = {name: _key(template, name) for name in names}
        routes.append(Route(f"page {url_name}", template, keys))
    return routes


def urls_to_crawl(routes: list[Route], values: dict[str, tuple[int, ...]]) -> list[tuple[str, str]]:
    """(source, url) for every route and every combination of its parameters' values. A name
    that the table does not know fails, naming the route."""
    unknown = sorted(
        f"{route.source}: {{{name}}} (key {key!r})"
        for route in routes
        for name, key in route.keys.items()
        if key not in values
    )
    assert not unknown, (
        "These routes have path parameters the embargo crawl cannot fill: add each key to "
        "path_values() in tests/assessments/test_embargo_crawl.py, pointing at the pupil's own "
        "object, so that the route is crawled:\n" + "\n".join(unknown)
    )
    urls = []
    for route in routes:
        names = list(route.keys)
        for combination in itertools.product(*(values[route.keys[name]] for name in names)):
            url = route.template
            for name, value in zip(names, combination, strict=True):
                url = url.replace("{" + name + "}", str(value))
            urls.append((route.source, url))
    return list(dict.fromkeys(urls))  # two kinds of object may share an id


# --- the crawl --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    source: str
    url: str
    status: int
    body: str


def crawl(client: APIClient, urls: list[tuple[str, str]]) -> list[Page]:
    pages = []
    for source, url in urls:
        response: Any = client.get(url)
        if getattr(response, "streaming", False):
            content = b"".join(response.streaming_content)
        else:
            content = response.content
        pages.append(Page(source, url, response.status_code, content.decode(errors="replace")))
    return pages


def _forms(canary: str) -> set[str]:
    """A canary as it may be written: a number also with a decimal comma (Kyrgyz, Russian)."""
    return {canary, canary.replace(".", ",")} if canary[0].isdigit() else {canary}


def _found(pages: list[Page], canaries: tuple[str, ...]) -> list[str]:
    return [
        f"{page.status} {page.url} ({page.source}): {form}"
        for page in pages
        for canary in canaries
        for form in sorted(_forms(canary))
        if form in page.body
    ]


def _shows_which_option_is_right(pages: list[Page]) -> list[str]:
    return [
        f"{page.status} {page.url} ({page.source}): the right option "
        f"{page.body.count(RIGHT_OPTION)} times, the wrong one {page.body.count(DISTRACTOR)} times"
        for page in pages
        if page.body.count(RIGHT_OPTION) > page.body.count(DISTRACTOR)
    ]


def _one(pages: list[Page], url: str) -> Page:
    found = [page for page in pages if page.url == url]
    assert len(found) == 1, (url, [page.url for page in pages])
    return found[0]


def _sound(pages: list[Page]) -> None:
    """The crawl is not vacuous: it reached enough routes, and none of them failed."""
    failed = [f"{page.status} {page.url} ({page.source})" for page in pages if page.status >= 500]
    assert not failed, "the pupil's crawl hit server errors:\n" + "\n".join(failed)
    answered = {page.source for page in pages if page.status not in (404, 405)}
    assert len(answered) >= MIN_ROUTES_ANSWERED, sorted(answered)


def test_the_canaries_reach_the_pupil_only_after_the_reveal_time_and_grades_once_published(
    planted: Planted, clock: Callable[[datetime], None]
) -> None:
    # given every GET route of the API and every page, filled with the pupil's own objects
    pages = page_routes()
    urls = urls_to_crawl(api_routes() + pages, path_values(planted))
    client = pupil_client(planted.pupil)
    attempt_api = f"/api/v1/attempts/{planted.attempt.pk}/"
    # the attempt's page: a page about an attempt and nothing else
    attempt_pages = [
        route.template.replace("{attempt_id}", str(planted.attempt.pk))
        for route in pages
        if set(route.keys) == {"attempt_id"}
    ]

    # when the pupil reads everything one second before the reveal time
    clock(DUE - timedelta(seconds=1))
    before = crawl(client, urls)
    # then no answer holds a canary, shows which option is right, or an unpublished grade
    _sound(before)
    assert _found(before, ANSWER_CANARIES + GRADE_CANARIES) == []
    assert _shows_which_option_is_right(before) == []
    attempt = _one(before, attempt_api)
    assert attempt.status == 200, attempt.body
    assert '"revealed":false' in attempt.body.replace(" ", "")

    # when the pupil reads everything one second after the reveal time
    clock(DUE + timedelta(seconds=1))
    after = crawl(client, urls)
    # then their attempt shows the right answers, the feedback of their choice and for
    # everyone; still no grade the teacher has not published
    _sound(after)
    assert _found(after, GRADE_CANARIES) == []
    attempt = _one(after, attempt_api)
    assert attempt.status == 200, attempt.body
    assert '"revealed":true' in attempt.body.replace(" ", "")
    assert _shows_which_option_is_right([attempt]) != []
    assert [
        c for c in (SHORT_ANSWER, GENERAL_FEEDBACK, WRONG_FEEDBACK) if c not in attempt.body
    ] == []
    # and so does the attempt's page, where there is one
    shown = [_one(after, url) for url in attempt_pages]
    assert [p.url for p in shown if p.status == 200 and SHORT_ANSWER not in p.body] == []

    # when the teacher publishes the grades, the crawl finds them: it would have seen them
    teacher = APIClient()
    teacher.force_authenticate(planted.bank.classes.person("class_teacher"))
    for assessment in (planted.quiz, planted.assignment):
        _ok(teacher.post(f"/api/v1/assessments/{assessment.pk}/grades/publish/"))
    published = crawl(client, urls)
    unseen = [c for c in GRADE_CANARIES if not _found(published, (c,))]
    assert unseen == []


def test_a_parameter_the_table_does_not_know_fails_the_crawl_with_a_hint() -> None:
    # given a new route whose parameter is not in the table
    route = Route("page frontend:new-thing", "/things/{thing_id}/", {"thing_id": "thing_id"})
    # when / then the crawl refuses to go on, saying what to add
    with pytest.raises(AssertionError, match=r"(?s)add each key to path_values\(\).*thing_id"):
        urls_to_crawl([route], {"course_id": (1,)})


def test_the_crawl_reaches_every_route_of_the_schema_and_of_the_pages(planted: Planted) -> None:
    # given the routes the crawl walks
    api, pages = api_routes(), page_routes()
    urls = urls_to_crawl(api + pages, path_values(planted))
    # then it holds every GET path of the schema and every page, each at least once
    crawled = {source for source, _url in urls}
    assert crawled == {route.source for route in api + pages}
    assert "api /api/v1/attempts/{attempt_id}/" in crawled
    assert len(pages) == len(list(_walk(frontend_urls.urlpatterns, frontend_urls.app_name)))

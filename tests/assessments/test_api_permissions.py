"""Who may see and do what with every assessments endpoint (``courses/assessments/api/urls.py``):
every role against the question banks, classes, quizzes, attempts and grades of the class of
school A1 (own class), another class of A1, the class of A2 (another school of region A) and
the class of B1 (another region).

The expected answers are the tables of ``tests/assessments/expectations.py``, written out by
hand. For each endpoint and method every role is tried against every target in turn, each
request inside a savepoint that is rolled back, and the whole table of answers is compared at
once, so a failure names the endpoint, the method and every role and target that leaks or is
wrongly refused. A refused request must write nothing; an accepted write must write. A 404
must have the very body of a request about an id that does not exist.

Cells where the API does not yet behave as the rules say are listed in ``KNOWN_WRONG``: the
main test leaves them out, and another test checks that each still answers wrongly, so the
list fails the day a cell is fixed (remove it from ``KNOWN_WRONG`` then).
"""

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from courses.assessments import services
from courses.assessments.api import urls as assessment_urls
from courses.assessments.models import Assessment, Attempt, Question, SubmissionFile
from courses.models import Cohort, Course
from lms.accounts.models import Role, User
from tests.accounts.expectations import assert_error
from tests.assessments import expectations as ex
from tests.assessments.conftest import capital_question
from tests.conftest import world as world_fixture
from tests.courses.conftest import courses as courses_fixture
from tests.courses.factories import CohortFactory, EnrolmentFactory, make_classes
from tests.courses.test_lesson_files import PDF
from tests.factories import make_person

DUE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOW = DUE - timedelta(days=1)  # every request of this module is made at this moment
MISSING_ID = 987_654_321
ERROR_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
}
WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

pytestmark = pytest.mark.django_db  # each test in a savepoint inside the module's scenario


# --- the scenario -----------------------------------------------------------------------------
@dataclass
class Scenario:
    """The classes of ``make_classes`` (tests/courses/factories.py), a second class of A1
    (``a1b``: the A1 course, taught by ``teacher_a1b``, with ``student_a1b``), and in each of
    the four classes: a published quiz (``quizzes``) that its pupil took, graded, and whose
    grade the teacher then overrode (a draft grade); a published quiz with the pupil's attempt
    in progress (``attempts``); a published assignment (``assignments``) the pupil handed in
    with a file (``handed_in``, ``files``), not marked yet; and a draft quiz in the class of
    A1. Each bank has a question the quizzes use (``used``) and one they do not (``spare``)."""

    people: dict[str, User | None]
    cohorts: dict[str, Cohort]
    courses: dict[str, Course]
    used: dict[str, Question] = field(default_factory=dict)
    spare: dict[str, Question] = field(default_factory=dict)
    quizzes: dict[str, Assessment] = field(default_factory=dict)
    attempts: dict[str, Attempt] = field(default_factory=dict)
    assignments: dict[str, Assessment] = field(default_factory=dict)
    handed_in: dict[str, Attempt] = field(default_factory=dict)
    files: dict[str, SubmissionFile] = field(default_factory=dict)
    clients: dict[str, APIClient] = field(default_factory=dict)
    # the answer about ids that do not exist, by (endpoint, role): the same for every target
    missing: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)

    def person(self, role: str) -> User:
        person = self.people[role]
        assert person is not None
        return person

    def client(self, role: str) -> APIClient:
        """Signed in as ``role`` (made once); a 500 is an answer, not an exception."""
        if role not in self.clients:
            client = APIClient(raise_request_exception=False)
            person = self.people[role]
            if role.startswith("inactive_"):
                client.force_login(self.person(role))  # signed in, then switched off
            elif person is not None:
                client.force_authenticate(person)
            self.clients[role] = client
        return self.clients[role]

    def question(self, target: str) -> Question:
        if target == "a1-in-quiz":
            return self.used["a1"]
        return self.spare[target]

    def quiz(self, target: str) -> Assessment:
        return self.quizzes[target.removesuffix("-pupil-a1b")]

    def assignment(self, target: str) -> Assessment:
        return self.quizzes["a1"] if target == "a1-quiz" else self.assignments[target]

    def to_mark(self, target: str) -> Attempt:
        return self.attempts["a1"] if target == "a1-in-progress" else self.handed_in[target]

    def pupil(self, target: str) -> User:
        if target == "a1-pupil-a1b":
            return self.person("student_a1b")
        return self.person(ex.PUPIL_OF[target])


def _single_choice(course: Course, author: User, title: str) -> Question:
    return services.question_create(
        course=course,
        by=author,
        kind="single",
        title=title,
        text_markdown=f"{title}?",
        keys=[{"text": "Right", "fraction": Decimal(1)}, {"text": "Wrong", "fraction": Decimal(0)}],
    )


def _quiz(cohort: Cohort, teacher: User, question: Question, title: str) -> Assessment:
    return services.assessment_create(
        cohort=cohort,
        by=teacher,
        kind="quiz",
        title=title,
        due_at=DUE,
        max_attempts=2,
        questions=[{"question": question.pk}],
    )


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("work.pdf", PDF, content_type="application/pdf")


def _build() -> Scenario:
    world = inspect.unwrap(world_fixture)(None)
    classes = make_classes(inspect.unwrap(courses_fixture)(world))
    used_in_a1 = capital_question(classes)
    teacher_a1b = make_person(Role.TEACHER, school=world.school_a1)
    cohort_a1b: Cohort = CohortFactory.create(
        term=classes.terms["a1"],
        course=classes.courses.course,
        name="7B",
        join_code="A1BCODE",
        teachers=[teacher_a1b],
    )
    student_a1b = make_person(Role.STUDENT, school=world.school_a1)
    EnrolmentFactory(cohort=cohort_a1b, student=student_a1b)
    inactive_teacher = make_person(Role.TEACHER, school=world.school_a1)
    inactive_pupil = make_person(Role.STUDENT, school=world.school_a1)
    classes.cohorts["a1"].teachers.add(inactive_teacher)
    EnrolmentFactory(cohort=classes.cohorts["a1"], student=inactive_pupil)
    people = classes.people | {
        "teacher_a1b": teacher_a1b,
        "student_a1b": student_a1b,
        "uninvolved_teacher_a1": make_person(Role.TEACHER, school=world.school_a1),
        "teacher_b1": classes.courses.course_b1.teachers.get(),
        "inactive_teacher": inactive_teacher,
        "inactive_pupil": inactive_pupil,
    }
    assert set(people) == set(ex.ROLES), set(people) ^ set(ex.ROLES)
    s = Scenario(
        people=people,
        cohorts=classes.cohorts | {"a1b": cohort_a1b},
        courses={
            "a1": classes.courses.course,
            "a2": classes.courses.course_a2,
            "b1": classes.courses.course_b1,
        },
    )
    authors = {"a1": "author", "a2": "teacher_a2", "b1": "teacher_b1"}
    for key, course in s.courses.items():
        author = s.person(authors[key])
        s.used[key] = used_in_a1 if key == "a1" else _single_choice(course, author, "Used")
        s.spare[key] = _single_choice(course, author, "Spare")
    for key in ex.CLASSES:
        cohort, teacher = s.cohorts[key], s.person(ex.TEACHER_OF[key])
        pupil = s.person(ex.PUPIL_OF[key])
        question = s.used[ex.COURSE_OF_CLASS[key]]
        right = question.keys.get(fraction=1)
        taken = services.assessment_publish(
            assessment=_quiz(cohort, teacher, question, "quiz"), by=teacher
        )
        attempt = services.attempt_start(assessment=taken, student=pupil)
        services.answer_save(
            attempt=attempt,
            student=pupil,
            question_id=question.pk,
            response={"option": right.pk},
            revision=1,
        )
        services.attempt_submit(attempt=attempt, student=pupil)
        services.attempt_autograde(attempt_id=attempt.pk)  # a draft grade of 1 point
        services.grade_override(
            assessment=taken, student=pupil, by=teacher, points=Decimal("0.75"), reason="Oral"
        )
        s.quizzes[key] = taken
        open_quiz = services.assessment_publish(
            assessment=_quiz(cohort, teacher, question, "open"), by=teacher
        )
        s.attempts[key] = services.attempt_start(assessment=open_quiz, student=pupil)
        assignment = services.assessment_create(
            cohort=cohort,
            by=teacher,
            kind="assignment",
            title="assignment",
            due_at=DUE,
            max_attempts=3,
            rubric=[{"title": "Content", "points": Decimal(5)}],
        )
        s.assignments[key] = services.assessment_publish(assessment=assignment, by=teacher)
        s.handed_in[key] = services.submission_hand_in(
            assessment=assignment, student=pupil, text="My work", files=[_pdf()]
        )
        s.files[key] = s.handed_in[key].files.get()
    s.quizzes["a1-draft"] = _quiz(s.cohorts["a1"], s.person("class_teacher"), used_in_a1, "draft")
    for role in ("inactive_teacher", "inactive_pupil"):
        s.client(role)  # signs in
        User.objects.filter(pk=s.person(role).pk).update(is_active=False)
    return s


@pytest.fixture(scope="module")
def scenario(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    """Built once for the module, inside a transaction rolled back at its end; each test runs
    in its own savepoint inside it (the ``db`` fixture), and every request in another, so no
    test sees another's writes. The clock stands at ``NOW`` throughout."""
    media = tmp_path_factory.mktemp("media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media), PASSWORD_HASHERS=fast),
        time_machine.travel(NOW, tick=False),
        transaction.atomic(),
    ):
        yield _build()
        transaction.set_rollback(True)


# --- the endpoints ----------------------------------------------------------------------------
Args = Callable[[Scenario, str], dict[str, int]]
Body = Callable[[Scenario, str], Any]


@dataclass(frozen=True)
class Endpoint:
    route: str  # the URL's name in the "api" namespace
    method: str
    args: Args
    expected: ex.Table
    body: Body | None = None
    format: str = "json"

    @property
    def name(self) -> str:
        return f"{self.route} {self.method.upper()}"


def _course(s: Scenario, target: str) -> dict[str, int]:
    return {"course_id": s.courses[target].pk}


def _question(s: Scenario, target: str) -> dict[str, int]:
    return {"question_id": s.question(target).pk}


def _cohort(s: Scenario, target: str) -> dict[str, int]:
    return {"cohort_id": s.cohorts[target].pk}


def _assessment(s: Scenario, target: str) -> dict[str, int]:
    return {"assessment_id": s.quiz(target).pk}


def _grade(s: Scenario, target: str) -> dict[str, int]:
    return {"assessment_id": s.quiz(target).pk, "student_id": s.pupil(target).pk}


def _attempt(s: Scenario, target: str) -> dict[str, int]:
    return {"attempt_id": s.attempts[target].pk}


def _answer(s: Scenario, target: str) -> dict[str, int]:
    return {
        "attempt_id": s.attempts[target].pk,
        "question_id": s.used[ex.COURSE_OF_CLASS[target]].pk,
    }


def _assignment(s: Scenario, target: str) -> dict[str, int]:
    return {"assessment_id": s.assignment(target).pk}


def _to_mark(s: Scenario, target: str) -> dict[str, int]:
    return {"attempt_id": s.to_mark(target).pk}


def _file(s: Scenario, target: str) -> dict[str, int]:
    return {"file_id": s.files[target].pk}


def _nothing(s: Scenario, target: str) -> dict[str, int]:
    return {}


def _fixed(body: dict[str, Any]) -> Body:
    return lambda s, target: body


def _new_quiz(s: Scenario, target: str) -> dict[str, Any]:
    question = s.used[ex.COURSE_OF_CLASS[target]]
    return {
        "kind": "quiz",
        "title": "New quiz",
        "due_at": DUE.isoformat(),
        "questions": [{"question": question.pk}],
    }


def _gift(s: Scenario, target: str) -> dict[str, Any]:
    text = "::Sum:: 2 + 2 = ? {=4 ~5 ~22}\n"
    return {"file": SimpleUploadedFile("bank.gift", text.encode()), "mode": "apply"}


def _right_answer(s: Scenario, target: str) -> dict[str, Any]:
    question = s.used[ex.COURSE_OF_CLASS[target]]
    return {"response": {"option": question.keys.get(fraction=1).pk}, "revision": 2}


def _marks(s: Scenario, target: str) -> dict[str, Any]:
    criterion = s.to_mark(target).assessment.rubric.first()
    criteria = [] if criterion is None else [{"criterion": criterion.pk, "points": "4"}]
    return {"rubric": criteria, "feedback": "Clear and complete."}


def _toggle_publication(s: Scenario, target: str) -> dict[str, Any]:
    return {"published": not s.quiz(target).is_published}


NEW_QUESTION = {
    "kind": "single",
    "title": "New question",
    "text_markdown": "Which?",
    "keys": [{"text": "This", "fraction": "1"}, {"text": "That", "fraction": "0"}],
}
T = ex.table
ENDPOINT_LIST = [
    # the question bank of a course
    Endpoint("course-questions", "get", _course, T(ex.BANK_READ, ok=200)),
    Endpoint("course-questions", "post", _course, T(ex.BANK_WRITE, ok=201), _fixed(NEW_QUESTION)),
    Endpoint(
        "course-questions-import",
        "post",
        _course,
        T(ex.BANK_WRITE, ok=200),
        _gift,
        format="multipart",
    ),
    Endpoint("course-objectives", "get", _course, T(ex.BANK_READ, ok=200)),
    Endpoint("question", "get", _question, T(ex.QUESTION_READ, ok=200)),
    Endpoint(
        "question", "patch", _question, T(ex.QUESTION_WRITE, ok=200), _fixed({"title": "Renamed"})
    ),
    Endpoint("question", "delete", _question, T(ex.QUESTION_DELETE, ok=204)),
    # a class's quizzes, gradebook, categories and "my grades"
    Endpoint("class-assessments", "get", _cohort, T(ex.CLASS_SEEN, ok=200)),
    Endpoint("class-assessments", "post", _cohort, T(ex.CLASS_RUN, ok=201), _new_quiz),
    Endpoint("gradebook", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint("gradebook-csv", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint("grade-categories", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint(
        "grade-categories",
        "post",
        _cohort,
        T(ex.CLASS_RUN, ok=201),
        _fixed({"name": "Quizzes", "weight": "40"}),
    ),
    Endpoint("my-grades", "get", _cohort, T(ex.MY_GRADES, ok=200)),
    # a quiz
    Endpoint("assessment", "get", _assessment, T(ex.ASSESSMENT_READ, ok=200)),
    Endpoint(
        "assessment-publish",
        "post",
        _assessment,
        T(ex.ASSESSMENT_RUN, ok=200),
        _toggle_publication,
    ),
    Endpoint("assessment-attempts", "post", _assessment, T(ex.ATTEMPT_START, ok=201)),
    Endpoint(
        "grade-override",
        "post",
        _grade,
        T(ex.GRADE_RUN, ok=200),
        _fixed({"points": "0.50", "reason": "Answered orally"}),
    ),
    Endpoint(
        "grade-override-lift",
        "post",
        _grade,
        T(ex.GRADE_RUN, ok=200),
        _fixed({"reason": "Marked again"}),
    ),
    Endpoint("grade-history", "get", _grade, T(ex.GRADE_RUN, ok=200)),
    Endpoint("grades-publish", "post", _assessment, T(ex.ASSESSMENT_TEACHERS, ok=200)),
    # an assignment handed in, and marking
    Endpoint("assessment-submissions", "get", _assignment, T(ex.ASSESSMENT_TEACHERS, ok=200)),
    Endpoint(
        "assessment-submissions",
        "post",
        _assignment,
        T(ex.HAND_IN, ok=201),
        _fixed({"text": "Handed in again"}),
    ),
    Endpoint("submission-file-download", "get", _file, T(ex.SUBMISSION_FILE, ok=200)),
    Endpoint("marking-queue", "get", _nothing, T(ex.MARKING_QUEUE, ok=200)),
    Endpoint("class-marking-queue", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint("attempt-marking", "get", _to_mark, T(ex.MARKING, ok=200)),
    Endpoint("attempt-marking", "post", _to_mark, T(ex.MARKING, ok=200), _marks),
    # a pupil's attempt
    Endpoint("attempt", "get", _attempt, T(ex.OWN_ATTEMPT, ok=200)),
    Endpoint("attempt-answer", "put", _answer, T(ex.OWN_ATTEMPT, ok=200), _right_answer),
    Endpoint("attempt-submit", "post", _attempt, T(ex.OWN_ATTEMPT, ok=202)),
]
ENDPOINTS = {endpoint.name: endpoint for endpoint in ENDPOINT_LIST}
assert len(ENDPOINTS) == len(ENDPOINT_LIST), "two endpoints with one name"

# Cells (role, target) where the API is known not to follow the rules; see the module's
# docstring; a test checks each still answers wrongly, so the list stays true.
KNOWN_WRONG: dict[str, tuple[str, set[tuple[str, str]]]] = {}


# --- trying an endpoint as every role ---------------------------------------------------------
Outcome = tuple[int | str, bool]  # the answer (a status, or what is wrong with it), wrote


def _send(s: Scenario, client: APIClient, endpoint: Endpoint, url: str, target: str) -> Any:
    call = getattr(client, endpoint.method)
    if endpoint.body is None:
        response = call(url)
    else:
        response = call(url, endpoint.body(s, target), format=endpoint.format)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # read to the end, which closes the file
    return response


def _checked(response: Any) -> int | str:
    """The status, or a description of what is wrong with an error's body."""
    status = int(response.status_code)
    if 400 <= status < 500:
        try:
            code = ERROR_CODES.get(status) or response.json()["code"]
            assert_error(response, status, code, None)
        except (AssertionError, ValueError, KeyError, TypeError) as error:
            return f"{status} with a wrong body: {error}"
    return status


def try_as(s: Scenario, endpoint: Endpoint, role: str, target: str) -> Outcome:
    """The answer ``role`` gets about ``target`` and whether anything was written, inside a
    savepoint that is rolled back. Rows are read only after a request that sent an INSERT,
    UPDATE or DELETE: inside the savepoint, and again once it is rolled back."""
    client = s.client(role)
    kwargs = endpoint.args(s, target)
    url = reverse(f"api:{endpoint.route}", kwargs=kwargs)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = _send(s, client, endpoint, url, target)
        sent_writes = any(WRITE_SQL.match(query["sql"]) for query in queries.captured_queries)
        rows_after = ex.assessments_database_state() if sent_writes else None
        answer = _checked(response)
        if answer == 404:
            if (endpoint.name, role) not in s.missing:
                missing_url = reverse(
                    f"api:{endpoint.route}", kwargs=dict.fromkeys(kwargs, MISSING_ID)
                )
                missing = _send(s, client, endpoint, missing_url, target)
                s.missing[endpoint.name, role] = (missing.status_code, missing.content)
            unknown = s.missing[endpoint.name, role]
            if unknown != (404, response.content):
                answer = f"404 unlike a missing id: {response.content!r} / {unknown}"
        transaction.set_rollback(True)
    wrote = rows_after is not None and rows_after != ex.assessments_database_state()
    return answer, wrote


def _expected(endpoint: Endpoint, role: str, target: str) -> Outcome:
    status = endpoint.expected[role][target]
    return status, endpoint.method != "get" and status < 300


def _differences(observed: dict[str, Outcome], expected: dict[str, Outcome]) -> str:
    """Every cell that is not as expected, one a line, whatever pytest's verbosity."""
    return "\n".join(
        f"{key}: got {observed.get(key)}, expected {expected.get(key)}"
        for key in sorted(set(observed) | set(expected))
        if observed.get(key) != expected.get(key)
    )


def _cells(endpoint: Endpoint, known_wrong: bool) -> list[tuple[str, str]]:
    wrong = KNOWN_WRONG.get(endpoint.name, ("", set()))[1]
    targets = list(next(iter(endpoint.expected.values())))
    return [
        (role, target)
        for role in ex.ROLES
        for target in targets
        if ((role, target) in wrong) is known_wrong
    ]


def _compare(s: Scenario, endpoint: Endpoint, cells: list[tuple[str, str]]) -> None:
    observed = {
        f"{endpoint.name} as {role} @ {target}": try_as(s, endpoint, role, target)
        for role, target in cells
    }
    expected = {
        f"{endpoint.name} as {role} @ {target}": _expected(endpoint, role, target)
        for role, target in cells
    }
    assert observed == expected, _differences(observed, expected)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_every_role_gets_the_expected_answer_and_only_accepted_writes_write(
    scenario: Scenario, name: str
) -> None:
    # given the banks, classes, quizzes and attempts of A1, A2 and B1, and every role
    endpoint = ENDPOINTS[name]
    # when each role sends the request about each target / then each gets its answer from the
    # table; a write happened exactly when it was accepted; a 404 is that of a missing id
    _compare(scenario, endpoint, _cells(endpoint, known_wrong=False))


def test_the_known_wrong_cells_are_still_wrong(scenario: Scenario) -> None:
    """Each cell listed in ``KNOWN_WRONG`` must still answer wrongly; the day it is fixed this
    fails, so the list is kept short and true (it is empty when all is right)."""
    for name in KNOWN_WRONG:
        with pytest.raises(AssertionError):
            _compare(scenario, ENDPOINTS[name], _cells(ENDPOINTS[name], known_wrong=True))


# --- every route and method is in the matrix --------------------------------------------------
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _routes() -> dict[str, set[str]]:
    """The methods each route of the assessments API answers, read from its view."""
    routes: dict[str, set[str]] = {}
    for pattern in assessment_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        assert pattern.name, f"the route {pattern.pattern} has no name"
        view = pattern.callback.view_class  # type: ignore[attr-defined]
        routes[pattern.name] = {method for method in HTTP_METHODS if hasattr(view, method)}
    return routes


def test_the_matrix_covers_every_route_and_every_method_it_allows() -> None:
    in_urls = {
        f"{route} {method.upper()}" for route, methods in _routes().items() for method in methods
    }
    assert set(ENDPOINTS) == in_urls, (
        "add the new route or method to ENDPOINT_LIST (with its table in "
        f"tests/assessments/expectations.py): {sorted(in_urls - set(ENDPOINTS))}; "
        f"gone: {sorted(set(ENDPOINTS) - in_urls)}"
    )


def test_methods_a_route_does_not_offer_answer_405_and_write_nothing(scenario: Scenario) -> None:
    # given the platform administrator, who may do everything the routes offer
    observed: dict[str, Outcome] = {}
    for route, methods in _routes().items():
        endpoint = next((e for e in ENDPOINT_LIST if e.route == route), None)
        if endpoint is None:
            continue  # not in the matrix yet: the test above says so
        for method in sorted(set(HTTP_METHODS) - methods):
            # when they use a method the route does not offer, about the class of A1
            other = Endpoint(route, method, endpoint.args, endpoint.expected)
            observed[other.name] = try_as(scenario, other, "platform_admin", "a1")
    # then it is refused with 405, before anything is looked up or written
    assert observed == dict.fromkeys(observed, (405, False)), observed


# --- what the answers hold ----------------------------------------------------------------------
def test_the_list_of_a_class_s_quizzes_shows_each_role_exactly_its_quizzes(
    scenario: Scenario,
) -> None:
    observed: dict[str, set[str] | int] = {}
    expected: dict[str, set[str] | int] = {}
    for role in ex.ROLES:
        for target in ex.CLASSES:
            url = reverse("api:class-assessments", kwargs=_cohort(scenario, target))
            response = scenario.client(role).get(url)
            key = f"{role} @ {target}"
            if response.status_code == 200:
                observed[key] = {row["title"] for row in response.json()}
                assert {row["cohort"] for row in response.json()} <= {scenario.cohorts[target].pk}
            else:
                observed[key] = response.status_code
            status = ex.table(ex.CLASS_SEEN, ok=200)[role][target]
            expected[key] = ex.listed_assessments(role, target) if status == 200 else status
    assert observed == expected, _differences(observed, expected)  # type: ignore[arg-type]


def test_my_grades_show_a_pupil_their_own_published_points_only(scenario: Scenario) -> None:
    # given a second pupil in the class of A1, both graded in its quiz, the grades published
    cohort, quiz = scenario.cohorts["a1"], scenario.quizzes["a1"]
    teacher = scenario.person("class_teacher")
    other = make_person(Role.STUDENT, school=cohort.term.school)
    EnrolmentFactory(cohort=cohort, student=other)
    services.grade_override(
        assessment=quiz, student=other, by=teacher, points=Decimal("0.37"), reason="Oral exam"
    )
    services.grades_publish(assessment=quiz, by=teacher)
    # when the pupil reads their grades in the class
    response = scenario.client("student_a1").get(
        reverse("api:my-grades", kwargs=_cohort(scenario, "a1"))
    )
    # then they see their own points and never the other pupil's
    assert response.status_code == 200, response.content
    rows = {row["title"]: (row["points"], row["published"]) for row in response.json()}
    assert rows == {
        "quiz": ("0.75", True),
        "open": (None, False),
        "assignment": (None, False),
    }
    assert "0.37" not in response.content.decode()


def test_the_marking_queue_holds_the_work_of_the_classes_one_teaches_only(
    scenario: Scenario,
) -> None:
    # given a handed-in assignment waiting in each of the four classes
    keys = {cohort.pk: key for key, cohort in scenario.cohorts.items()}
    observed: dict[str, set[str]] = {}
    for role in ex.ROLES:
        if role == "anonymous" or role.startswith("inactive_"):
            continue
        # when each role reads their marking queue
        response = scenario.client(role).get(reverse("api:marking-queue"))
        assert response.status_code == 200, (role, response.content)
        observed[role] = {keys.get(row["class"]["id"], "unknown") for row in response.json()}
    # then it holds the work of the classes they teach, and nothing else
    expected = {role: ex.QUEUED_CLASSES[role] for role in observed}
    assert observed == expected, _differences(observed, expected)  # type: ignore[arg-type]

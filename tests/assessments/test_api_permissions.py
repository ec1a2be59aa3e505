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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from courses.assessments import services
from courses.assessments.api import urls as assessment_urls
from courses.assessments.gradebook import assessment_column
from courses.assessments.models import Assessment, SubmissionFile
from lms.accounts.models import Role, User
from tests.accounts.expectations import assert_error
from tests.assessments import expectations as ex
from tests.assessments import matrix
from tests.assessments.builders import DUE, enrolled_pupils
from tests.assessments.matrix import CLASSES, COURSE_OF_CLASS, MISSING_ID, Outcome, fixed
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

ERROR_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
}

pytestmark = pytest.mark.django_db  # each test in a savepoint inside the module's scenario


# --- the scenario -----------------------------------------------------------------------------
@dataclass
class Scenario(matrix.Scenario):
    """The scenario of ``matrix.Scenario``, with a PDF file in each hand-in (``files``), the
    people ``ex.ROLES`` lists, and clients signed in as each role."""

    files: dict[str, SubmissionFile] = field(default_factory=dict)
    clients: dict[str, APIClient] = field(default_factory=dict)
    # the answer about ids that do not exist, by (endpoint, role): the same for every target
    missing: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)

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

    def quiz(self, target: str) -> Assessment:
        return self.quizzes[target.removesuffix("-pupil-a1b")]

    def assignment(self, target: str) -> Assessment:
        return self.quizzes["a1"] if target == "a1-quiz" else self.assignments[target]


def _build() -> Scenario:
    s, world = matrix.start(Scenario)
    inactive_teacher = make_person(Role.TEACHER, school=world.school_a1)
    inactive_pupil = make_person(Role.STUDENT, school=world.school_a1)
    s.cohorts["a1"].teachers.add(inactive_teacher)
    EnrolmentFactory(cohort=s.cohorts["a1"], student=inactive_pupil)
    s.people |= {
        "uninvolved_teacher_a1": make_person(Role.TEACHER, school=world.school_a1),
        "inactive_teacher": inactive_teacher,
        "inactive_pupil": inactive_pupil,
    }
    assert set(s.people) == set(ex.ROLES), set(s.people) ^ set(ex.ROLES)
    matrix.fill(s, files=True)
    s.files = {key: s.handed_in[key].files.get() for key in CLASSES}
    for role in ("inactive_teacher", "inactive_pupil"):
        s.client(role)  # signs in
        User.objects.filter(pk=s.person(role).pk).update(is_active=False)
    return s


@pytest.fixture(scope="module")
def scenario(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    """Built once for the module, each test and each request in a savepoint of its own (see
    ``matrix.built_once``); the clock stands at ``matrix.NOW`` throughout."""
    with matrix.built_once(django_db_blocker, tmp_path_factory.mktemp("media"), _build) as s:
        yield s


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
        "question_id": s.used[COURSE_OF_CLASS[target]].pk,
    }


def _assignment(s: Scenario, target: str) -> dict[str, int]:
    return {"assessment_id": s.assignment(target).pk}


def _to_mark(s: Scenario, target: str) -> dict[str, int]:
    return {"attempt_id": s.to_mark(target).pk}


def _file(s: Scenario, target: str) -> dict[str, int]:
    return {"file_id": s.files[target].pk}


def _nothing(s: Scenario, target: str) -> dict[str, int]:
    return {}


def _new_quiz(s: Scenario, target: str) -> dict[str, Any]:
    question = s.used[COURSE_OF_CLASS[target]]
    return {
        "kind": "quiz",
        "title": "New quiz",
        "due_at": DUE.isoformat(),
        "questions": [{"question": question.pk}],
    }


def _gift(s: Scenario, target: str) -> dict[str, Any]:
    text = "::Sum:: 2 + 2 = ? {=4 ~5 ~22}\n"
    return {"file": SimpleUploadedFile("bank.gift", text.encode()), "mode": "apply"}


def _grades_file(s: Scenario, target: str) -> dict[str, Any]:
    """The gradebook's CSV file with a grade typed in for the class's pupil."""
    assignment = s.assignments[target]
    column = assessment_column(assignment.title, assignment.points)
    text = f"username,{column}\n{s.pupil(target).username},0.75\n"
    return {"file": SimpleUploadedFile("grades.csv", text.encode()), "mode": "apply"}


def _right_answer(s: Scenario, target: str) -> dict[str, Any]:
    question = s.used[COURSE_OF_CLASS[target]]
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
    Endpoint("course-questions", "post", _course, T(ex.BANK_WRITE, ok=201), fixed(NEW_QUESTION)),
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
        "question", "patch", _question, T(ex.QUESTION_WRITE, ok=200), fixed({"title": "Renamed"})
    ),
    Endpoint("question", "delete", _question, T(ex.QUESTION_DELETE, ok=204)),
    # a class's quizzes, gradebook, categories and "my grades"
    Endpoint("class-assessments", "get", _cohort, T(ex.CLASS_SEEN, ok=200)),
    Endpoint("class-assessments", "post", _cohort, T(ex.CLASS_RUN, ok=201), _new_quiz),
    Endpoint("gradebook", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint("gradebook-csv", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint(
        "gradebook-import",
        "post",
        _cohort,
        T(ex.CLASS_RUN, ok=200),
        _grades_file,
        format="multipart",
    ),
    Endpoint("grade-categories", "get", _cohort, T(ex.CLASS_RUN, ok=200)),
    Endpoint(
        "grade-categories",
        "post",
        _cohort,
        T(ex.CLASS_RUN, ok=201),
        fixed({"name": "Quizzes", "weight": "40"}),
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
        fixed({"points": "0.50", "reason": "Answered orally"}),
    ),
    Endpoint(
        "grade-override-lift",
        "post",
        _grade,
        T(ex.GRADE_RUN, ok=200),
        fixed({"reason": "Marked again"}),
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
        fixed({"text": "Handed in again"}),
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
    savepoint that is rolled back (``matrix.savepoint``)."""
    client = s.client(role)
    kwargs = endpoint.args(s, target)
    url = reverse(f"api:{endpoint.route}", kwargs=kwargs)
    with matrix.savepoint() as point:
        response = point.send(lambda: _send(s, client, endpoint, url, target))
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
    return answer, point.wrote


def _expected(endpoint: Endpoint, role: str, target: str) -> Outcome:
    status = endpoint.expected[role][target]
    return status, endpoint.method != "get" and status < 300


def _cells(endpoint: Endpoint, known_wrong: bool) -> list[tuple[str, str]]:
    wrong = KNOWN_WRONG.get(endpoint.name, ("", set()))[1]
    targets = list(next(iter(endpoint.expected.values())))
    return matrix.cells(ex.ROLES, targets, wrong, known_wrong=known_wrong)


def _compare(s: Scenario, endpoint: Endpoint, cells: list[tuple[str, str]]) -> None:
    observed = {
        f"{endpoint.name} as {role} @ {target}": try_as(s, endpoint, role, target)
        for role, target in cells
    }
    expected = {
        f"{endpoint.name} as {role} @ {target}": _expected(endpoint, role, target)
        for role, target in cells
    }
    assert observed == expected, matrix.differences(observed, expected)


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
        for target in CLASSES:
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
    assert observed == expected, matrix.differences(observed, expected)  # type: ignore[arg-type]


def test_my_grades_show_a_pupil_their_own_published_points_only(scenario: Scenario) -> None:
    # given a second pupil in the class of A1, both graded in its quiz, the grades published
    cohort, quiz = scenario.cohorts["a1"], scenario.quizzes["a1"]
    teacher = scenario.person("class_teacher")
    [other] = enrolled_pupils(cohort, 1)
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
    assert observed == expected, matrix.differences(observed, expected)  # type: ignore[arg-type]

"""Who may open and use each server-rendered page of question banks, quizzes and assignments,
taking a quiz, gradebooks and marking: every route of ``frontend/urls.py`` served by
``frontend/bank_pages.py``, ``assessment_pages.py``, ``quiz_pages.py``, ``gradebook_pages.py``
and ``marking_pages.py``, asked with GET and, where the view takes a form, POST with a valid
one, by every role of ``tests/frontend/test_page_permissions.py``, about the objects of the own
class (school A1), another class of A1, school A2 (same region) and school B1 (another region).

The expected answers are the tables of ``tests/frontend/assessment_page_expectations.py``,
written out by hand. For each page every role is tried against every target in turn, each
request inside a savepoint that is rolled back, and the whole table of answers is compared at
once, so a failure names every role and target that leaks or is wrongly refused. A refused
request must write nothing, an accepted form must write; a 404 must be the very page of an id
that does not exist; a visitor is sent to sign in.

The scenario, shared with ``tests/assessments/test_api_permissions.py``, is that of
``tests/assessments/matrix.py``, built once for the module inside a transaction rolled back at
its end; the clock stands at ``matrix.NOW`` throughout.

Cells where a page does not yet behave as the rules say are listed in ``KNOWN_WRONG``: the main
test leaves them out, and another test checks that each still answers wrongly, so that the
entry fails the day the page is fixed (remove it then).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse

from courses.assessments import services
from courses.assessments.gradebook import assessment_column
from courses.assessments.models import Assessment, Attempt
from frontend import urls as frontend_urls
from lms.accounts.models import Role
from tests.assessments import matrix
from tests.assessments.matrix import (
    CLASSES,
    COURSE_OF_CLASS,
    MISSING_ID,
    TEACHER_OF,
    Outcome,
    class_assignment,
    class_quiz,
    differences,
    fixed,
)
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person
from tests.frontend import assessment_page_expectations as ex

PAGE_MODULES = (
    "frontend.bank_pages",
    "frontend.assessment_pages",
    "frontend.quiz_pages",
    "frontend.gradebook_pages",
    "frontend.marking_pages",
)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
HTMX = {"HTTP_HX_REQUEST": "true"}

pytestmark = pytest.mark.django_db  # each test in a savepoint inside the module's scenario


# --- the scenario ---------------------------------------------------------------------------------
@dataclass
class Scenario(matrix.Scenario):
    """The scenario of ``matrix.Scenario`` with the two roles
    ``tests/frontend/test_page_permissions.py`` adds (the teacher and pupil of ``a1b`` are no
    role), clients signed in as each role, and more in the class of A1: a draft assignment, an
    attempt in progress at a quiz the teacher then withdrew, and one of a pupil who then left
    the class."""

    clients: dict[str, Client] = field(default_factory=dict)
    # the page of ids that do not exist, by (page, role): the same for every target
    missing: dict[tuple[str, str], str] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        """Signed in as ``role`` (made once); a 500 is an answer, not an exception."""
        if role not in self.clients:
            client = Client(raise_request_exception=False)
            person = self.people[role]
            if person is not None:
                client.force_login(person)
            self.clients[role] = client
        return self.clients[role]

    def assignment(self, target: str) -> Assessment:
        others = {"a1-quiz": self.quizzes["a1"], "a1-draft": self.assignments["a1-draft"]}
        return others.get(target) or self.assignments[target]

    def own_attempt(self, target: str) -> Attempt:
        others = {"a1-graded": self.graded["a1"], "a1-hand-in": self.handed_in["a1"]}
        return others.get(target) or self.attempts[target]


def _build() -> Scenario:
    s, world = matrix.start(Scenario)
    s.people |= {
        "uninvolved_teacher_a1": make_person(Role.TEACHER, school=world.school_a1),
        "unenrolled_student_a1": make_person(Role.STUDENT, school=world.school_a1),
    }
    roles = set(s.people) - {"teacher_a1b", "student_a1b", "teacher_b1"}
    assert roles == set(ex.ROLES), roles ^ set(ex.ROLES)
    matrix.fill(s, files=False)
    teacher_a1 = s.person("class_teacher")
    s.assignments["a1-draft"] = class_assignment(s.cohorts["a1"], teacher_a1, "draft assignment")
    # an attempt in progress at a quiz the teacher then withdrew
    withdrawn = services.assessment_publish(
        assessment=class_quiz(s.cohorts["a1"], teacher_a1, s.used["a1"], "withdrawn"),
        by=teacher_a1,
    )
    s.attempts["a1-withdrawn"] = services.attempt_start(
        assessment=withdrawn, student=s.person("student_a1")
    )
    services.assessment_publish(assessment=withdrawn, by=teacher_a1, published=False)
    # an attempt in progress of a pupil who then left the class (unenrolled_student_a1)
    leaver = s.person("unenrolled_student_a1")
    enrolment = EnrolmentFactory(cohort=s.cohorts["a1"], student=leaver)
    s.attempts["a1-left"] = services.attempt_start(
        assessment=s.attempts["a1"].assessment, student=leaver
    )
    enrolment.delete()
    for role in ex.ROLES:
        s.client(role)  # signs in now: a login made inside a test is rolled back with it
    return s


@pytest.fixture(scope="module")
def scenario(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenario]:
    """Built once for the module, each test and each request in a savepoint of its own (see
    ``matrix.built_once``); the clock stands at ``matrix.NOW`` throughout."""
    with matrix.built_once(django_db_blocker, tmp_path_factory.mktemp("media"), _build) as s:
        yield s


# --- the pages ------------------------------------------------------------------------------------
Args = Callable[[Scenario, str], list[int]]
Body = Callable[[Scenario, str], dict[str, Any]]


@dataclass(frozen=True)
class Page:
    route: str  # the URL's name in the "frontend" namespace
    method: str
    args: Args
    expected: ex.Table
    body: Body | None = None
    query: str = ""  # appended to the address (the type of a new question)
    headers: dict[str, str] = field(default_factory=dict)
    variant: str = ""  # which of a page's forms, where it has several

    @property
    def name(self) -> str:
        name = f"{self.route} {self.method.upper()}"
        return f"{name} {self.variant}" if self.variant else name

    @property
    def targets(self) -> list[str]:
        return list(next(iter(self.expected.values())))


def _course(s: Scenario, target: str) -> list[int]:
    return [s.courses[target].pk]


def _question(s: Scenario, target: str) -> list[int]:
    return [s.question(target).pk]


def _class(s: Scenario, target: str) -> list[int]:
    return [s.cohorts[target].pk]


def _quiz_of(s: Scenario, target: str) -> list[int]:
    return [s.quizzes[target].pk]


def _grade(s: Scenario, target: str) -> list[int]:
    quiz = s.quizzes[target.removesuffix("-pupil-a1b")]
    return [quiz.pk, s.pupil(target).pk]


def _assignment_of(s: Scenario, target: str) -> list[int]:
    return [s.assignment(target).pk]


def _own_attempt(s: Scenario, target: str) -> list[int]:
    return [s.own_attempt(target).pk]


def _answer(s: Scenario, target: str) -> list[int]:
    attempt = s.own_attempt(target)
    question = s.used["a1" if target.startswith("a1-") else COURSE_OF_CLASS[target]]
    return [attempt.pk, question.pk]


def _to_mark(s: Scenario, target: str) -> list[int]:
    return [s.to_mark(target).pk]


def _nothing(s: Scenario, target: str) -> list[int]:
    return []


QUESTION_FORM = {
    "title": "New question",
    "text_markdown": "Which?",
    "points": "1",
    "general_feedback": "",
    "objectives": "",
    "key-0-text": "This",
    "key-0-percent": "100",
    "key-1-text": "That",
    "key-1-percent": "0",
}
GIFT = "::Sum:: 2 + 2 = ? {=4 ~5 ~22}\n"
ASSESSMENT_SETTINGS = {
    "instructions_markdown": "Read carefully.",
    "due_at": "2026-12-01T15:00",
    "late_policy": "refuse",
    "late_penalty_percent": "0",
}


def _new_quiz(s: Scenario, target: str) -> dict[str, Any]:
    question = s.used[COURSE_OF_CLASS[target]]
    return ASSESSMENT_SETTINGS | {
        "title": "Page quiz",
        "reveal": "after_due",
        "max_attempts": "1",
        f"q-{question.pk}": "on",
    }


def _new_assignment(s: Scenario, target: str) -> dict[str, Any]:
    return ASSESSMENT_SETTINGS | {
        "title": "Page essay",
        "criterion-0-title": "Ideas",
        "criterion-0-points": "4",
    }


def _toggle_publication(s: Scenario, target: str) -> dict[str, Any]:
    return {"published": "" if s.quizzes[target].is_published else "on"}


def _first_option(s: Scenario, target: str) -> dict[str, Any]:
    """The first option on the pupil's paper (the attempts in progress have no answer yet)."""
    question = _answer(s, target)[1]
    return {f"answer-{question}": "0", f"revision-{question}": "1", "action": "save"}


def _marks(s: Scenario, target: str) -> dict[str, Any]:
    criterion = s.to_mark(target).assessment.rubric.first()
    marks = {} if criterion is None else {f"criterion-{criterion.pk}-points": "4"}
    return marks | {"feedback": "Clear and complete."}


def _grades_file(s: Scenario, target: str) -> dict[str, Any]:
    """The gradebook's CSV file with a grade typed in for the class's pupil."""
    assignment = s.assignments[target]
    column = assessment_column(assignment.title, assignment.points)
    text = f"username,{column}\n{s.pupil(target).username},0.75\n"
    return {"file": SimpleUploadedFile("grades.csv", text.encode()), "mode": "apply"}


T = ex.table
SHOWN = "200"  # a page shown
SAVED = "302+"  # a form that saved, and redirected
PAGE_LIST = [
    # the question bank of a course
    Page("question-list", "get", _course, T(ex.BANK_READ, ok=SHOWN)),
    Page("question-create", "get", _course, T(ex.BANK_WRITE, ok=SHOWN), query="?kind=single"),
    Page(
        "question-create",
        "post",
        _course,
        T(ex.BANK_WRITE, ok=SAVED),
        fixed(QUESTION_FORM),
        query="?kind=single",
    ),
    Page("question-import", "get", _course, T(ex.BANK_WRITE, ok=SHOWN)),
    Page(
        "question-import",
        "post",
        _course,
        T(ex.BANK_WRITE, ok=SAVED),
        fixed({"text": GIFT, "mode": "apply"}),
    ),
    Page("question-edit", "get", _question, T(ex.QUESTION_EDIT, ok=SHOWN)),
    Page(
        "question-edit",
        "post",
        _question,
        T(ex.QUESTION_EDIT, ok=SAVED),
        fixed(QUESTION_FORM | {"title": "Renamed"}),
    ),
    Page("question-delete", "post", _question, T(ex.QUESTION_DELETE, ok=SAVED)),
    # a class's quizzes and assignments
    Page("assessment-list", "get", _class, T(ex.CLASS_SEEN, ok=SHOWN)),
    Page("quiz-create", "get", _class, T(ex.CLASS_RUN, ok=SHOWN)),
    Page("quiz-create", "post", _class, T(ex.CLASS_RUN, ok=SAVED), _new_quiz),
    Page("assignment-create", "get", _class, T(ex.CLASS_RUN, ok=SHOWN)),
    Page("assignment-create", "post", _class, T(ex.CLASS_RUN, ok=SAVED), _new_assignment),
    Page("assessment-detail", "get", _quiz_of, T(ex.ASSESSMENT_READ, ok=SHOWN)),
    Page(
        "assessment-publish",
        "post",
        _quiz_of,
        T(ex.ASSESSMENT_RUN, ok=SAVED),
        _toggle_publication,
    ),
    # taking a quiz
    Page("attempt-start", "post", _quiz_of, T(ex.ATTEMPT_START, ok=SAVED)),
    Page("attempt-detail", "get", _own_attempt, T(ex.OWN_ATTEMPT_READ, ok=SHOWN)),
    Page("attempt-save", "post", _own_attempt, T(ex.OWN_QUIZ_ATTEMPT, ok=SAVED), _first_option),
    Page("answer-save", "post", _answer, T(ex.OWN_QUIZ_ATTEMPT, ok=SAVED), _first_option),
    Page(
        "answer-save",
        "post",
        _answer,
        # htmx answers with the answer's state (200); a handed-in attempt, with a redirect of
        # the whole page in a header (200 too)
        T(ex.OWN_QUIZ_ATTEMPT, ok="200+", but={("student_a1", "a1-graded"): "200"}),
        _first_option,
        headers=HTMX,
        variant="htmx",
    ),
    Page("attempt-submit", "get", _own_attempt, T(ex.OWN_QUIZ_ATTEMPT, ok=SHOWN)),
    Page("attempt-submit", "post", _own_attempt, T(ex.OWN_QUIZ_ATTEMPT, ok=SAVED)),
    # gradebooks and grades
    Page("gradebook", "get", _class, T(ex.CLASS_RUN, ok=SHOWN)),
    Page("grades-import", "get", _class, T(ex.CLASS_RUN, ok=SHOWN)),
    Page("grades-import", "post", _class, T(ex.CLASS_RUN, ok="200+"), _grades_file),
    Page(
        "grade-category-create",
        "post",
        _class,
        T(ex.CLASS_RUN, ok=SAVED),
        fixed({"name": "Quizzes", "weight": "40"}),
    ),
    Page("grade-detail", "get", _grade, T(ex.GRADE, ok=SHOWN)),
    Page(
        "grade-detail",
        "post",
        _grade,
        T(ex.GRADE, ok=SAVED),
        fixed({"points": "0,5", "reason": "Answered orally"}),
        variant="override",
    ),
    Page(
        "grade-detail",
        "post",
        _grade,
        T(ex.GRADE, ok=SAVED),
        fixed({"action": "lift", "lift_reason": "Marked again"}),
        variant="lift",
    ),
    Page("grades-publish", "post", _quiz_of, T(ex.ASSESSMENT_TEACHERS, ok=SAVED)),
    Page("my-grades", "get", _class, T(ex.MY_GRADES, ok=SHOWN)),
    # work marked by hand
    Page("hand-in", "get", _assignment_of, T(ex.HAND_IN, ok=SHOWN)),
    Page(
        "hand-in",
        "post",
        _assignment_of,
        T(ex.HAND_IN, ok=SAVED),
        fixed({"text": "Handed in again"}),
    ),
    Page("assessment-submissions", "get", _assignment_of, T(ex.ASSESSMENT_TEACHERS, ok=SHOWN)),
    Page("marking-queue", "get", _nothing, T(ex.EVERYONE, ok=SHOWN)),
    Page("class-marking-queue", "get", _class, T(ex.CLASS_RUN, ok=SHOWN)),
    Page("attempt-mark", "get", _to_mark, T(ex.MARKING, ok=SHOWN)),
    Page("attempt-mark", "post", _to_mark, T(ex.MARKING, ok=SAVED), _marks),
]
PAGES = {page.name: page for page in PAGE_LIST}
assert len(PAGES) == len(PAGE_LIST), "two pages with one name"

# Cells (role, target) where a page is known not to follow the rules, with what is wrong: the
# main test leaves them out; ``test_the_known_wrong_cells_are_still_wrong`` checks each still
# answers wrongly, so the list fails the day a cell is fixed. Empty when all is right.
KNOWN_WRONG: dict[str, tuple[str, set[tuple[str, str]]]] = {}


# --- trying a page as every role ------------------------------------------------------------------
def _send(s: Scenario, client: Client, page: Page, url: str, target: str) -> Any:
    client.cookies.pop("messages", None)  # no message left over from the request before
    if page.method == "get":
        return client.get(url, **page.headers)
    body = page.body(s, target) if page.body is not None else {}
    return client.post(url, body, **page.headers)


def _url(page: Page, args: list[int]) -> str:
    return reverse(f"frontend:{page.route}", args=args) + page.query


def _shown(response: Any, url: str) -> str:
    """The page, without what differs from one request to the next (its address, the token)."""
    return CSRF_TOKEN.sub("", response.content.decode().replace(url, "<url>"))


def _answer_of(response: Any, url: str) -> int | str:
    sign_in = reverse("frontend:sign-in")
    if response.status_code == 302 and response["Location"].startswith(sign_in):
        if response["Location"] != f"{sign_in}?next={quote(url)}":
            return f"sign-in, with a wrong next: {response['Location']}"
        return ex.SIGN_IN
    return int(response.status_code)


def try_as(s: Scenario, page: Page, role: str, target: str) -> Outcome:
    """The answer ``role`` gets about ``target`` and whether anything was written, inside a
    savepoint that is rolled back. Rows are read only after a request that sent an INSERT,
    UPDATE or DELETE: inside the savepoint, and again once it is rolled back, which is the
    state the request started from (``matrix.savepoint``). A 404 unlike the page of a missing
    id is an answer of its own, which no table expects."""
    client = s.client(role)
    args = page.args(s, target)
    url = _url(page, args)
    with matrix.savepoint() as point:
        response = point.send(lambda: _send(s, client, page, url, target))
        answer = _answer_of(response, url)
        if answer == 404 and args:
            if (page.name, role) not in s.missing:
                missing_url = _url(page, [MISSING_ID] * len(args))
                missing = _send(s, client, page, missing_url, target)
                assert missing.status_code == 404, (page.name, role, missing.status_code)
                s.missing[page.name, role] = _shown(missing, missing_url)
            if _shown(response, url) != s.missing[page.name, role]:
                answer = "404 unlike the page of a missing id"
    return answer, point.wrote


def _cells(page: Page, *, known_wrong: bool) -> list[tuple[str, str]]:
    wrong = KNOWN_WRONG.get(page.name, ("", set()))[1]
    return matrix.cells(ex.ROLES, page.targets, wrong, known_wrong=known_wrong)


def _compare(s: Scenario, page: Page, cells: list[tuple[str, str]]) -> None:
    observed = {f"{role} @ {target}": try_as(s, page, role, target) for role, target in cells}
    expected = {f"{role} @ {target}": page.expected[role][target] for role, target in cells}
    assert observed == expected, f"{page.name}:\n" + differences(observed, expected)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_role_gets_the_expected_answer_and_only_accepted_forms_write(
    scenario: Scenario, name: str
) -> None:
    # given the banks, classes, quizzes, assignments and attempts of A1, A2 and B1, every role
    page = PAGES[name]
    # when each role asks for the page about each target / then each gets the answer of the
    # table: a visitor is sent to sign in, a refusal is the 404 of a missing id and writes
    # nothing, an accepted form writes
    _compare(scenario, page, _cells(page, known_wrong=False))


def test_the_known_wrong_cells_are_still_wrong(scenario: Scenario) -> None:
    for name in KNOWN_WRONG:
        with pytest.raises(AssertionError):
            _compare(scenario, PAGES[name], _cells(PAGES[name], known_wrong=True))


# --- every route and method is in the matrix ------------------------------------------------------
def _routes() -> set[str]:
    """The routes of ``frontend/urls.py`` whose views live in the assessment page modules."""
    routes = set()
    for pattern in frontend_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        if pattern.callback.__module__ in PAGE_MODULES:
            assert pattern.name, f"the route {pattern.pattern} has no name"
            routes.add(pattern.name)
    return routes


def test_the_matrix_covers_every_route_of_the_assessment_pages() -> None:
    """A route added to the assessment page modules fails here until it is in ``PAGE_LIST``.
    Its methods are held by the two tests below: a route tried only with POST must refuse GET
    (405), and one tried only with GET must write nothing when sent a POST."""
    in_urls = _routes()
    in_matrix = {page.route for page in PAGE_LIST}
    assert in_matrix == in_urls, (
        "add the new route to PAGE_LIST (with its table in "
        f"tests/frontend/assessment_page_expectations.py): {sorted(in_urls - in_matrix)}; "
        f"gone: {sorted(in_matrix - in_urls)}"
    )


def _first_page(route: str) -> Page:
    return next(page for page in PAGE_LIST if page.route == route)


def test_routes_tried_only_with_post_refuse_get_with_405_before_looking_anything_up(
    scenario: Scenario,
) -> None:
    # given the routes the matrix tries only with POST, about the first target of each
    routes = sorted(
        {page.route for page in PAGE_LIST} - {p.route for p in PAGE_LIST if p.method == "get"}
    )
    observed: dict[str, Outcome] = {}
    for route in routes:
        page = _first_page(route)
        get = Page(route, "get", page.args, page.expected)
        for role in ex.ROLES:
            # when each role asks for it with GET
            observed[f"{route} as {role}"] = try_as(scenario, get, role, page.targets[0])
    # then everyone signed in gets 405, whether or not they may see the object; a visitor is
    # sent to sign in; nothing is written
    expected = {
        f"{route} as {role}": (ex.SIGN_IN, False) if role == "anonymous" else (405, False)
        for route in routes
        for role in ex.ROLES
    }
    assert observed == expected, differences(observed, expected)


def test_pages_without_a_form_write_nothing_when_posted_to(scenario: Scenario) -> None:
    # given the routes the matrix tries only with GET (pages that show, and take no form)
    routes = sorted(
        {page.route for page in PAGE_LIST} - {p.route for p in PAGE_LIST if p.method == "post"}
    )
    observed: dict[str, Outcome] = {}
    expected: dict[str, Outcome] = {}
    for route in routes:
        page = _first_page(route)
        post = Page(route, "post", page.args, page.expected)
        for role in ex.ROLES:
            for target in page.targets:
                # when each role sends a POST to it
                key = f"{route} as {role} @ {target}"
                observed[key] = try_as(scenario, post, role, target)
                # then they get what a GET gets (where it is right), or 405, and nothing is
                # written
                if observed[key] == (405, False) and role != "anonymous":
                    expected[key] = (405, False)
                elif (role, target) in KNOWN_WRONG.get(page.name, ("", set()))[1]:
                    expected[key] = (observed[key][0], False)
                else:
                    expected[key] = page.expected[role][target]
    assert observed == expected, differences(observed, expected)


# --- what the pages show --------------------------------------------------------------------------
def _html(s: Scenario, role: str, route: str, *args: int) -> str:
    response = s.client(role).get(reverse(f"frontend:{route}", args=list(args)))
    assert response.status_code == 200, (role, route, args, response.status_code)
    return str(response.content.decode())


def _linked_ids(html: str, route: str) -> list[int]:
    """The ids of the objects the page links to with ``route``."""
    pattern = re.escape(reverse(f"frontend:{route}", args=[123_456_789]))
    pattern = pattern.replace("123456789", r"(\d+)")
    return [int(found) for found in re.findall(f'href="{pattern}"', html)]


PUBLISHED_TITLES = {"quiz", "open", "assignment"}
DRAFT_TITLES = {"draft", "draft assignment", "withdrawn"}  # the class of A1 only


def test_the_list_of_a_class_s_assessments_shows_each_role_exactly_its_assessments(
    scenario: Scenario,
) -> None:
    # given each class's published quizzes and assignment, and the drafts of the class of A1
    titles = dict(Assessment.objects.values_list("pk", "title"))
    observed: dict[str, set[str]] = {}
    expected: dict[str, set[str]] = {}
    table = ex.table(ex.CLASS_SEEN, ok="200")
    for role in ex.ROLES:
        for target in CLASSES:
            if table[role][target] != (200, False):
                continue
            # when each role opens the list of each class they may open
            html = _html(scenario, role, "assessment-list", scenario.cohorts[target].pk)
            linked = _linked_ids(html, "assessment-detail")
            assert len(linked) == len(set(linked)), (role, target, linked)
            observed[f"{role} @ {target}"] = {titles.get(pk, f"unknown {pk}") for pk in linked}
            # then its teachers see everything, drafts too; its pupils what is published
            teaches = role in {"platform_admin", TEACHER_OF[target]}
            drafts = DRAFT_TITLES if teaches and target == "a1" else set()
            expected[f"{role} @ {target}"] = PUBLISHED_TITLES | drafts
    assert observed == expected, differences(observed, expected)


def test_my_grades_show_a_pupil_their_published_assessments_and_published_points_only(
    scenario: Scenario,
) -> None:
    # given the pupil of A1 graded 0.75 in the quiz by the teacher's override, not published
    cohort, quiz = scenario.cohorts["a1"], scenario.quizzes["a1"]
    titles = dict(Assessment.objects.values_list("pk", "title"))
    # when they open their grades
    html = _html(scenario, "student_a1", "my-grades", cohort.pk)
    # then the published assessments are listed with their own attempts, and no points yet
    assert {titles[pk] for pk in _linked_ids(html, "assessment-detail")} == PUBLISHED_TITLES
    own = {scenario.graded["a1"].pk, scenario.attempts["a1"].pk, scenario.handed_in["a1"].pk}
    assert set(_linked_ids(html, "attempt-detail")) == own
    assert "0.75" not in html
    # and once the teacher publishes the grades, the points are shown
    services.grades_publish(assessment=quiz, by=scenario.person("class_teacher"))
    assert "0.75 of 1" in _html(scenario, "student_a1", "my-grades", cohort.pk)


def test_the_marking_queues_hold_the_work_of_the_classes_one_teaches_only(
    scenario: Scenario,
) -> None:
    # given a handed-in assignment waiting in each of the four classes
    keys = {attempt.pk: key for key, attempt in scenario.handed_in.items()}
    observed: dict[str, set[str]] = {}
    expected: dict[str, set[str]] = {}
    for role in ex.ROLES:
        if role == "anonymous":
            continue
        # when each role opens their marking queue
        linked = _linked_ids(_html(scenario, role, "marking-queue"), "attempt-mark")
        observed[role] = {keys.get(pk, f"unknown {pk}") for pk in linked}
        # then it holds the work of the classes they teach (the platform administrator, who
        # may mark any class's work, teaches none), and nothing else
        expected[role] = {key for key, teacher in TEACHER_OF.items() if teacher == role}
    for target in CLASSES:
        # and the queue of one class, for the platform administrator, holds its work only
        html = _html(scenario, "platform_admin", "class-marking-queue", scenario.cohorts[target].pk)
        linked = _linked_ids(html, "attempt-mark")
        observed[f"platform_admin @ {target}"] = {keys.get(pk, f"unknown {pk}") for pk in linked}
        expected[f"platform_admin @ {target}"] = {target}
    assert observed == expected, differences(observed, expected)

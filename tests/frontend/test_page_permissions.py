"""Who may open and use each server-rendered page of courses and classes: every role, against
the course, class and lessons of school A1 (its own school for the people of A1), of school A2
(another school of region A) and of school B1 (another region).

The pages are every route of ``frontend/urls.py`` served by ``frontend/course_pages.py`` and
``frontend/class_pages.py``, asked with GET and, where the view takes it, POST with a valid
form; plus the two API routes those pages link to with the session (a lesson file's download,
a class's roster CSV). The expected answers are written out by hand from the rules (the role
sets below, the same rules as ``tests/courses/test_*_api.py``), never computed from
``courses.policies``. Each role is tried in turn inside a savepoint that is rolled back, and
the whole table of answers is compared at once, so a failure shows every role that leaks or is
wrongly refused. A refused POST must write nothing; an accepted POST must write.

The pages' conventions: a visitor who has not signed in is sent to the sign-in page (the API
routes answer 401); a page about something the person may not know exists answers 404, exactly
as for an id that does not exist; something they see but may not change answers 403. A form
they may use, sent with a choice it does not offer them (a school they do not run), is shown
again with the error (200) and writes nothing.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services
from courses.models import Cohort, Course, Lesson, LessonCompletion, LessonFile, Module
from lms.accounts.models import Role, User
from tests.courses.conftest import (
    Courses,
    courses,  # noqa: F401 (the fixture, defined for tests/courses)
)
from tests.courses.expectations import database_state
from tests.courses.factories import Classes, classes_database_state, make_classes
from tests.courses.test_classes_api import LISTED as API_LISTED
from tests.courses.test_classes_api import RUNS as API_RUNS
from tests.courses.test_classes_api import SCHOOLS
from tests.courses.test_enrolment_api import MANAGES_PUPILS_OF, REGION_OF, WORKS_IN
from tests.courses.test_enrolment_api import SEES_ROSTER as API_SEES_ROSTER
from tests.courses.test_lesson_files import PDF
from tests.factories import make_person

MISSING_ID = 987_654_321
SIGN_IN = "sign-in"  # the answer of a login-required page to a visitor: 302 to the sign-in page
NOBODY: set[str] = set()

# --- the roles ------------------------------------------------------------------------------
# The keys of ``Classes.people`` (tests/courses/factories.py), plus a teacher of A1 who neither
# wrote the A1 course nor teaches a class, and a pupil of A1 who is in no class. (In the
# ``courses`` fixture, "other_teacher_a1" is the teacher ``make_classes`` gives the class of
# A1: here, "class_teacher".)
ROLES = (
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",  # another school of the same region
    "school_admin_b1",  # another region
    "author",  # teacher_a1, who wrote the A1 course and teaches no class
    "class_teacher",  # a teacher of A1 who teaches the class of A1, not an author
    "uninvolved_teacher_a1",
    "teacher_a2",  # wrote the A2 course and teaches the class of A2
    "facilitator",
    "student_a1",  # in the class of A1
    "unenrolled_student_a1",
    "student_a2",  # in the class of A2
    "student_b1",  # in the class of B1
)
ADMINS = {
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",
    "school_admin_b1",
}
TEACHERS = {"author", "class_teacher", "uninvolved_teacher_a1", "teacher_a2"}
STUDENTS = {"student_a1", "unenrolled_student_a1", "student_a2", "student_b1"}
NEW_ROLES = {"uninvolved_teacher_a1": NOBODY, "unenrolled_student_a1": NOBODY}

# --- courses: who edits each school's course (and sees its drafts), who reads what is published
EDITS: dict[str, set[str]] = {
    "a1": {"platform_admin", "author"},
    "a2": {"platform_admin", "teacher_a2"},
    "b1": {"platform_admin"},  # written by a teacher of B1 who is not one of the roles
}
READS: dict[str, set[str]] = {
    # administrators over the course's school, teachers of its classes, pupils in them
    "a1": {"region_admin_a", "school_admin_a1", "class_teacher", "student_a1"},
    "a2": {"region_admin_a", "school_admin_a2", "student_a2"},
    "b1": {"region_admin_b", "school_admin_b1", "student_b1"},
}
# The targets of the course, module and lesson pages: (whose course, hidden as a draft). A
# draft module, a draft lesson and a published lesson in a draft module are seen by editors only.
COURSE_TARGETS = {"a1": ("a1", False), "a2": ("a2", False), "b1": ("b1", False)}
MODULE_TARGETS = {
    "a1": ("a1", False),
    "a1 draft": ("a1", True),
    "a2": ("a2", False),
    "b1": ("b1", False),
}
LESSON_TARGETS = {
    "a1": ("a1", False),
    "a1 draft": ("a1", True),
    "a1 in draft module": ("a1", True),
    "a2": ("a2", False),
    "b1": ("b1", False),
}

# --- classes (the tables of the API tests, with the two roles added here) ---------------------
LISTED: dict[str, set[str]] = API_LISTED | NEW_ROLES  # the classes each role sees
RUNS: dict[str, set[str]] = API_RUNS | NEW_ROLES  # the schools whose terms and classes they run
SEES_ROSTER: dict[str, set[str]] = API_SEES_ROSTER | NEW_ROLES  # those who run it, its teachers
# Who may enrol pupils from a CSV file: those who run the class's school, and the school
# administrators of its region (for their own pupils: the e-school).
IMPORTS: dict[str, set[str]] = RUNS | {
    "school_admin_a1": {"a1", "a2"},
    "school_admin_a2": {"a1", "a2"},
}
ENROLLED = {"a1": {"student_a1"}, "a2": {"student_a2"}, "b1": {"student_b1"}}
OPEN_TO_CODE = {"a1", "b1"}  # the class of A2 does not take its code
# Every pupil there is, by home school: the roles, and a pupil of each school in no class.
PUPILS = {
    "student_a1": "a1",
    "unenrolled_student_a1": "a1",
    "pupil_a1": "a1",
    "student_a2": "a2",
    "pupil_a2": "a2",
    "student_b1": "b1",
    "pupil_b1": "b1",
}
# What the form for a new class offers each administrator: the terms of the schools they run,
# and the courses and teachers of those schools' regions.
COURSE_CHOICES: dict[str, set[str]] = {
    "platform_admin": {"a1", "a2", "b1"},
    "region_admin_a": {"a1", "a2"},
    "region_admin_b": {"b1"},
    "school_admin_a1": {"a1", "a2"},
    "school_admin_a2": {"a1", "a2"},
    "school_admin_b1": {"b1"},
}
TEACHERS_OF_REGION = {
    "A": {"author", "class_teacher", "uninvolved_teacher_a1", "teacher_a2"},
    "B": {"teacher_b1"},
}


# --- the scenario ---------------------------------------------------------------------------
@dataclass
class Scenario:
    """``make_classes``'s classes, the two roles added here, a pupil of each school in no class
    (``pupils``: to enrol) and an attachment on each lesson of ``LESSON_TARGETS`` (``files``)."""

    classes: Classes
    people: dict[str, User | None]
    pupils: dict[str, User]
    files: dict[str, LessonFile] = field(default_factory=dict)

    @property
    def courses(self) -> Courses:
        return self.classes.courses

    def client(self, role: str) -> Client:
        client = Client()
        person = self.people[role]
        if person is not None:
            client.force_login(person)
        return client

    def person(self, role: str) -> User:
        person = self.people[role]
        assert person is not None
        return person

    def course(self, target: str) -> Course:
        c = self.courses
        return {"a1": c.course, "a2": c.course_a2, "b1": c.course_b1}[target]

    def module(self, target: str) -> Module:
        c, lessons = self.courses, self.classes.lessons
        modules = {"a1": c.module_published, "a1 draft": c.module_draft}
        return modules.get(target) or lessons[target].module

    def lesson(self, target: str) -> Lesson:
        c = self.courses
        drafts = {"a1 draft": c.lesson_draft, "a1 in draft module": c.lesson_in_draft_module}
        return drafts.get(target) or self.classes.lessons[target]

    def cohort(self, target: str) -> Cohort:
        return self.classes.cohorts[target]

    def names(self) -> dict[int, str]:
        """Every person's name in these tests, by id (teacher_b1 wrote the B1 course)."""
        people = {name: p for name, p in self.people.items() if p is not None}
        people |= {f"pupil_{school}": pupil for school, pupil in self.pupils.items()}
        people["teacher_b1"] = self.courses.course_b1.teachers.get()
        return {person.pk: name for name, person in people.items()}


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def scenario(courses: Courses, settings: Any, tmp_path: Path) -> Scenario:  # noqa: F811
    settings.MEDIA_ROOT = str(tmp_path / "media")
    world = courses.world
    classes = make_classes(courses)
    people = classes.people | {
        "uninvolved_teacher_a1": make_person(Role.TEACHER, school=world.school_a1),
        "unenrolled_student_a1": make_person(Role.STUDENT, school=world.school_a1),
    }
    schools = {"a1": world.school_a1, "a2": world.school_a2, "b1": world.school_b1}
    pupils = {key: make_person(Role.STUDENT, school=school) for key, school in schools.items()}
    scenario = Scenario(classes=classes, people=people, pupils=pupils)
    for target in LESSON_TARGETS:
        scenario.files[target] = services.lesson_file_add(
            lesson=scenario.lesson(target),
            by=world.platform_admin,
            upload=_pdf(),
            kind=LessonFile.Kind.ATTACHMENT,
        )
    return scenario


# --- trying a page as every role -------------------------------------------------------------
Answer = int | str  # a status code, or SIGN_IN
Outcome = tuple[Answer, bool]  # the answer, and whether the database (or storage) changed
Expect = Callable[[str, str], Outcome]  # (role, target) -> outcome, for those signed in


@dataclass(frozen=True)
class Page:
    route: str
    method: str
    targets: tuple[str, ...]
    args: Callable[[Scenario, str], list[int]]
    expect: Expect
    # the form, for (scenario, target, role); a new one for every request (files are read once)
    body: Callable[[Scenario, str, str], dict[str, Any]] | None = None
    prepare: Callable[[Scenario], None] | None = None
    api: bool = False  # an API route the pages link to: 401 for a visitor
    variant: str = ""  # which of a page's forms, where it has several

    @property
    def name(self) -> str:
        name = f"{self.route.split(':')[1]} {self.method.upper()}"
        return f"{name} {self.variant}" if self.variant else name


def _rows() -> dict[str, Any]:
    """Every row the pages may write: courses and their outlines, terms, classes, enrolments,
    completions (``database_state`` and ``classes_database_state``), lesson files and people.
    (``attempt`` in tests/courses/factories.py watches only the class tables.)"""
    return {
        **database_state(),
        **classes_database_state(),
        "lesson_files": list(LessonFile.objects.order_by("pk").values_list("pk", "lesson_id")),
        "people": list(User.objects.order_by("pk").values_list("pk", "username")),
    }


def _stored() -> list[str]:
    """The files in storage (a savepoint does not roll them back)."""
    return sorted(str(path) for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _send(scenario: Scenario, client: Client, page: Page, url: str, target: str, role: str) -> Any:
    client.cookies.pop("messages", None)  # no message left over from the request before
    response: Any
    if page.method == "get":
        response = client.get(url)
    else:
        response = client.post(url, page.body(scenario, target, role) if page.body else {})
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # read to the end, which closes the file
    return response


def _shown(response: Any, url: str) -> str:
    """The page, without what differs from one request to the next (its address, the token)."""
    return CSRF_TOKEN.sub("", response.content.decode().replace(url, "<url>"))


def _answer(response: Any, url: str) -> Answer:
    sign_in = reverse("frontend:sign-in")
    if response.status_code == 302 and response["Location"].startswith(sign_in):
        assert response["Location"] == f"{sign_in}?next={quote(url)}", response["Location"]
        return SIGN_IN
    return int(response.status_code)


def try_as(scenario: Scenario, client: Client, page: Page, role: str, target: str) -> Outcome:
    """The answer ``role`` gets and whether anything was written, inside a savepoint that is
    rolled back. A 404 must be the very page an id that does not exist gets.

    The rows are read only after a request that sent an INSERT, UPDATE or DELETE (most send
    none): inside the savepoint, and again once it is rolled back, which is the state the
    request started from."""
    args = page.args(scenario, target)
    url = reverse(page.route, args=args)
    stored = _stored()
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = _send(scenario, client, page, url, target, role)
        sent_writes = any(WRITE_SQL.match(query["sql"]) for query in queries.captured_queries)
        rows_after = _rows() if sent_writes else None
        if response.status_code == 404 and args:
            missing_url = reverse(page.route, args=[MISSING_ID] * len(args))
            missing = _send(scenario, client, page, missing_url, target, role)
            assert missing.status_code == 404, (role, target, missing.status_code)
            assert _shown(response, url) == _shown(missing, missing_url), (role, target)
        transaction.set_rollback(True)
    wrote = (rows_after is not None and rows_after != _rows()) or _stored() != stored
    return _answer(response, url), wrote


# --- the expected answers ---------------------------------------------------------------------
READ = False  # a GET writes nothing, whatever it answers
NOT_FOUND: Outcome = (404, False)
FORBIDDEN: Outcome = (403, False)


def _everyone(outcome: Outcome) -> Expect:
    return lambda role, target: outcome


def _only(roles: set[str], allowed: Outcome) -> Expect:
    return lambda role, target: allowed if role in roles else FORBIDDEN


def _by_course(
    targets: dict[str, tuple[str, bool]], *, editors: Outcome, readers: Outcome
) -> Expect:
    """``editors`` for the course's editors; ``readers`` for those who see it, if the target
    is not a draft; 404 for everyone else."""

    def expect(role: str, target: str) -> Outcome:
        course, draft = targets[target]
        if role in EDITS[course]:
            return editors
        if role in READS[course] and not draft:
            return readers
        return NOT_FOUND

    return expect


def _by_class(allowed: dict[str, set[str]], *, ok: Outcome, seen: Outcome) -> Expect:
    """``ok`` where the role is in ``allowed``; ``seen`` where they only see the class; 404
    where they do not see it."""

    def expect(role: str, school: str) -> Outcome:
        if school in allowed[role]:
            return ok
        return seen if school in LISTED[role] else NOT_FOUND

    return expect


def _completion(role: str, target: str) -> Outcome:
    """A pupil marks (or unmarks) the lessons they see; others who see it have no progress."""
    course, draft = LESSON_TARGETS[target]
    sees = role in EDITS[course] or (role in READS[course] and not draft)
    if not sees:
        return NOT_FOUND
    return (302, True) if role in STUDENTS else FORBIDDEN


def _running_school(role: str, school: str) -> Outcome:
    """A new term or class: only administrators open the form; it saves for a school they run
    and is shown again with the error for another."""
    if role not in ADMINS:
        return FORBIDDEN
    return (302, True) if school in RUNS[role] else (200, False)


def _joining(role: str, school: str) -> Outcome:
    """Only pupils join, with the code of a class open to it (pupils of any school); a pupil
    already in the class is sent on, and nothing new is written."""
    if role not in STUDENTS:
        return FORBIDDEN
    return (302, school in OPEN_TO_CODE and role not in ENROLLED[school])


def _enrolling(role: str, target: str) -> Outcome:
    """Administrators enrol the pupils they manage into classes of their region; anyone else
    who sees the class is sent back to it with an error, and nothing is written."""
    school, home = target.split("/pupil-")
    if school not in LISTED[role]:
        return NOT_FOUND
    manages = home in MANAGES_PUPILS_OF.get(role, NOBODY)
    return (302, manages and REGION_OF[school] in WORKS_IN.get(role, NOBODY))


# --- the forms ------------------------------------------------------------------------------
COURSE_FORM = {
    "title": "Fractions",
    "subject": "Mathematics",
    "grade_level": "5",
    "language": "ru",
    "audience": "students",
    "description": "Parts of a whole.",
}
LESSON_FORM = {
    "title": "Renamed lesson",
    "body_markdown": "New *text*.",
    "video_url": "",
    "is_published": "on",
}


def _fixed(body: dict[str, Any]) -> Callable[[Scenario, str, str], dict[str, Any]]:
    return lambda s, target, role: body


def _upload(s: Scenario, target: str, role: str) -> dict[str, Any]:
    return {"kind": "attachment", "file": _pdf()}


def _term(s: Scenario, school: str, role: str) -> dict[str, Any]:
    return {
        "school": s.classes.terms[school].school_id,
        "name": "Spring",
        "starts_on": "2027-01-10",
        "ends_on": "2027-05-25",
    }


def _new_class(s: Scenario, school: str, role: str) -> dict[str, Any]:
    cohort = s.cohort(school)
    return {
        "term": cohort.term_id,
        "course": cohort.course_id,
        "name": "8A",
        "teachers": [teacher.pk for teacher in cohort.teachers.all()],
        "allow_self_enrol": "on",
    }


def _pupils_csv(s: Scenario, school: str, role: str) -> dict[str, Any]:
    """A new pupil of the role's own school (an administrator of a region: of the class's)."""
    person = s.people[role]
    home = person.school if person is not None and person.school else s.cohort(school).term.school
    text = f"username,first_name,last_name,school\r\nnew.pupil,Aida,Bekova,{home.code}\r\n"
    upload = SimpleUploadedFile("pupils.csv", text.encode(), content_type="text/csv")
    return {"file": upload, "mode": "apply"}


def _complete_each_pupil_s_lesson(s: Scenario) -> None:
    for school in SCHOOLS:
        LessonCompletion.objects.create(
            lesson=s.classes.lessons[school], student=s.person(f"student_{school}")
        )


# --- the pages ------------------------------------------------------------------------------
NONE = ("-",)  # a page about no object
COURSES = tuple(COURSE_TARGETS)
MODULES = tuple(MODULE_TARGETS)
LESSONS = tuple(LESSON_TARGETS)
ENROLMENTS = tuple(f"{school}/pupil-{home}" for school in SCHOOLS for home in SCHOOLS)


def _no_args(s: Scenario, target: str) -> list[int]:
    return []


def _course_args(s: Scenario, target: str) -> list[int]:
    return [s.course(target).pk]


def _module_args(s: Scenario, target: str) -> list[int]:
    return [s.module(target).pk]


def _lesson_args(s: Scenario, target: str) -> list[int]:
    return [s.lesson(target).pk]


def _file_args(s: Scenario, target: str) -> list[int]:
    return [s.lesson(target).pk, s.files[target].pk]


def _class_args(s: Scenario, target: str) -> list[int]:
    return [s.cohort(target.split("/")[0]).pk]


EDIT_GET = {"editors": (200, READ), "readers": FORBIDDEN}
EDIT_POST = {"editors": (302, True), "readers": FORBIDDEN}
PAGE_LIST = [
    # courses
    Page("frontend:course-list", "get", NONE, _no_args, _everyone((200, READ))),
    Page("frontend:course-create", "get", NONE, _no_args, _only(TEACHERS, (200, READ))),
    Page(
        "frontend:course-create",
        "post",
        NONE,
        _no_args,
        _only(TEACHERS, (302, True)),
        _fixed(COURSE_FORM),
    ),
    Page(
        "frontend:course-detail",
        "get",
        COURSES,
        _course_args,
        _by_course(COURSE_TARGETS, editors=(200, READ), readers=(200, READ)),
    ),
    Page(
        "frontend:course-edit",
        "get",
        COURSES,
        _course_args,
        _by_course(COURSE_TARGETS, **EDIT_GET),
    ),
    Page(
        "frontend:course-edit",
        "post",
        COURSES,
        _course_args,
        _by_course(COURSE_TARGETS, **EDIT_POST),
        _fixed(COURSE_FORM | {"title": "Renamed course"}),
    ),
    Page(
        "frontend:module-create",
        "post",
        COURSES,
        _course_args,
        _by_course(COURSE_TARGETS, **EDIT_POST),
        _fixed({"title": "New module"}),
    ),
    # modules
    Page(
        "frontend:module-change",
        "post",
        MODULES,
        _module_args,
        _by_course(MODULE_TARGETS, **EDIT_POST),
        _fixed({"change": "delete"}),
        variant="delete",
    ),
    Page(
        "frontend:module-change",
        "post",
        MODULES,
        _module_args,
        _by_course(MODULE_TARGETS, **EDIT_POST),
        _fixed({"change": "rename", "title": "Renamed module"}),
        variant="rename",
    ),
    Page(
        "frontend:lesson-create",
        "post",
        MODULES,
        _module_args,
        _by_course(MODULE_TARGETS, **EDIT_POST),
        _fixed({"title": "New lesson"}),
    ),
    # lessons
    Page(
        "frontend:lesson-detail",
        "get",
        LESSONS,
        _lesson_args,
        _by_course(LESSON_TARGETS, editors=(200, READ), readers=(200, READ)),
    ),
    Page(
        "frontend:lesson-edit",
        "get",
        LESSONS,
        _lesson_args,
        _by_course(LESSON_TARGETS, **EDIT_GET),
    ),
    Page(
        "frontend:lesson-edit",
        "post",
        LESSONS,
        _lesson_args,
        _by_course(LESSON_TARGETS, **EDIT_POST),
        _fixed(LESSON_FORM),
    ),
    Page(
        "frontend:lesson-change",
        "post",
        LESSONS,
        _lesson_args,
        _by_course(LESSON_TARGETS, **EDIT_POST),
        _fixed({"change": "delete"}),
        variant="delete",
    ),
    Page(
        "frontend:lesson-file-upload",
        "post",
        LESSONS,
        _lesson_args,
        _by_course(LESSON_TARGETS, **EDIT_POST),
        _upload,
    ),
    Page(
        "frontend:lesson-file-remove",
        "post",
        LESSONS,
        _file_args,
        _by_course(LESSON_TARGETS, **EDIT_POST),
    ),
    Page(
        "api:lesson-file-download",
        "get",
        LESSONS,
        lambda s, target: [s.files[target].pk],
        _by_course(LESSON_TARGETS, editors=(200, READ), readers=(200, READ)),
        api=True,
    ),
    Page("frontend:lesson-complete", "post", LESSONS, _lesson_args, _completion),
    Page(
        "frontend:lesson-complete",
        "post",
        LESSONS,
        _lesson_args,
        _completion,
        _fixed({"undo": "1"}),
        prepare=_complete_each_pupil_s_lesson,
        variant="undo",
    ),
    # terms and classes
    Page("frontend:term-list", "get", NONE, _no_args, _only(ADMINS, (200, READ))),
    Page("frontend:term-list", "post", SCHOOLS, _no_args, _running_school, _term),
    Page("frontend:class-list", "get", NONE, _no_args, _everyone((200, READ))),
    Page("frontend:class-create", "get", NONE, _no_args, _only(ADMINS, (200, READ))),
    Page("frontend:class-create", "post", SCHOOLS, _no_args, _running_school, _new_class),
    Page(
        "frontend:class-join",
        "post",
        SCHOOLS,
        _no_args,
        _joining,
        lambda s, school, role: {"code": s.cohort(school).join_code},
    ),
    Page(
        "frontend:class-detail",
        "get",
        SCHOOLS,
        _class_args,
        _by_class(LISTED, ok=(200, READ), seen=NOT_FOUND),
    ),
    Page(
        "frontend:class-enrol",
        "post",
        ENROLMENTS,
        _class_args,
        _enrolling,
        lambda s, target, role: {"student": s.pupils[target.split("/pupil-")[1]].pk},
    ),
    Page(
        "frontend:class-import",
        "get",
        SCHOOLS,
        _class_args,
        _by_class(IMPORTS, ok=(200, READ), seen=FORBIDDEN),
    ),
    Page(
        "frontend:class-import",
        "post",
        SCHOOLS,
        _class_args,
        _by_class(IMPORTS, ok=(200, True), seen=FORBIDDEN),
        _pupils_csv,
    ),
    Page(
        "api:class-roster-csv",
        "get",
        SCHOOLS,
        _class_args,
        _by_class(SEES_ROSTER, ok=(200, READ), seen=FORBIDDEN),
        api=True,
    ),
]
# The routes that take only POST, asked with GET about the A1 course, module, lesson or class.
POST_ONLY = [
    Page(route, "get", ("a1",), args, _everyone((405, READ)))
    for route, args in (
        ("frontend:module-create", _course_args),
        ("frontend:module-change", _module_args),
        ("frontend:lesson-create", _module_args),
        ("frontend:lesson-change", _lesson_args),
        ("frontend:lesson-file-upload", _lesson_args),
        ("frontend:lesson-file-remove", _file_args),
        ("frontend:lesson-complete", _lesson_args),
        ("frontend:class-join", _no_args),
        ("frontend:class-enrol", _class_args),
    )
]

PAGES = {page.name: page for page in PAGE_LIST}
assert len(PAGES) == len(PAGE_LIST), "two pages with one name"


def _differences(observed: dict[str, Any], expected: dict[str, Any]) -> str:
    """Every entry of the table that is not as expected, one a line, whatever pytest's
    verbosity."""
    keys = sorted(set(observed) | set(expected))
    return "\n".join(
        f"{key}: got {observed.get(key, '-')}, expected {expected.get(key, '-')}"
        for key in keys
        if observed.get(key) != expected.get(key)
    )


@pytest.mark.parametrize("name", list(PAGES))
def test_every_role_gets_the_expected_answer_and_only_accepted_posts_write(
    scenario: Scenario, name: str
) -> None:
    # given the courses, classes and lessons of A1, A2 and B1, and a person of every role
    page = PAGES[name]
    if page.prepare is not None:
        page.prepare(scenario)
    observed: dict[str, Outcome] = {}
    for role in ("anonymous", *ROLES):
        client = scenario.client(role)
        for target in page.targets:
            # when each of them asks for the page about each target
            observed[f"{role} @ {target}"] = try_as(scenario, client, page, role, target)
    # then each gets the expected answer; a POST wrote exactly when it was accepted; a visitor
    # is sent to sign in (the API: 401) and writes nothing
    visitor: Outcome = (401, False) if page.api else (SIGN_IN, False)
    expected = {f"anonymous @ {target}": visitor for target in page.targets}
    expected |= {
        f"{role} @ {target}": page.expect(role, target) for role in ROLES for target in page.targets
    }
    assert observed == expected, _differences(observed, expected)


def test_the_routes_that_take_only_post_answer_a_get_with_405_before_looking_anything_up(
    scenario: Scenario,
) -> None:
    # given every route that takes only POST, about something of A1 (which most roles do not
    # see)
    observed: dict[str, Outcome] = {}
    for role in ("anonymous", *ROLES):
        client = scenario.client(role)
        for page in POST_ONLY:
            # when each role asks for it with GET
            observed[f"{role} @ {page.name}"] = try_as(scenario, client, page, role, "a1")
    # then everyone signed in gets 405, whether or not they see the object; a visitor is sent
    # to sign in; nothing is written
    expected = {
        f"{role} @ {page.name}": (SIGN_IN, False) if role == "anonymous" else (405, False)
        for role in ("anonymous", *ROLES)
        for page in POST_ONLY
    }
    assert observed == expected, _differences(observed, expected)


# --- what the pages show --------------------------------------------------------------------
def _html(client: Client, route: str, *args: int) -> str:
    response = client.get(reverse(route, args=list(args)))
    assert response.status_code == 200, (route, args, response.status_code)
    return str(response.content.decode())


def _linked_ids(html: str, route: str) -> list[int]:
    """The ids of the objects the page links to with ``route``."""
    pattern = re.escape(reverse(route, args=[123_456_789])).replace("123456789", r"(\d+)")
    return [int(found) for found in re.findall(f'href="{pattern}"', html)]


def _offered(html: str, field_name: str) -> set[int]:
    """The ids a form's select or checkboxes named ``field_name`` offer."""
    select = re.search(f'<select[^>]*name="{field_name}"[^>]*>(.*?)</select>', html, re.S)
    if select is not None:
        return {int(v) for v in re.findall(r'<option value="(\d+)"', select.group(1))}
    return {int(v) for v in re.findall(f'name="{field_name}" value="(\\d+)"', html)}


def _sees_course(role: str, school: str) -> bool:
    return role in EDITS[school] or role in READS[school]


def test_the_course_list_shows_each_role_exactly_its_courses(scenario: Scenario) -> None:
    # given courses in A1, A2 and B1
    keys = {scenario.course(key).pk: key for key in COURSE_TARGETS}
    observed = {}
    for role in ROLES:
        # when each role opens the course list
        html = _html(scenario.client(role), "frontend:course-list")
        linked = _linked_ids(html, "frontend:course-detail")
        assert len(linked) == len(set(linked)), (role, linked)  # no course twice
        new = reverse("frontend:course-create") in html
        observed[role] = ({keys.get(pk, f"unknown id {pk}") for pk in linked}, new)
    # then they see exactly the courses they may open; teachers may add one
    expected = {
        role: ({key for key in COURSE_TARGETS if _sees_course(role, key)}, role in TEACHERS)
        for role in ROLES
    }
    assert observed == expected, _differences(observed, expected)


def test_the_class_list_shows_each_role_exactly_its_classes(scenario: Scenario) -> None:
    # given a class in each of A1, A2 and B1
    keys = {scenario.cohort(school).pk: school for school in SCHOOLS}
    observed = {}
    for role in ROLES:
        # when each role opens the class list
        html = _html(scenario.client(role), "frontend:class-list")
        linked = _linked_ids(html, "frontend:class-detail")
        assert len(linked) == len(set(linked)), (role, linked)
        new = reverse("frontend:class-create") in html
        observed[role] = ({keys.get(pk, f"unknown id {pk}") for pk in linked}, new)
    # then they see exactly their classes; administrators may add one
    expected = {role: (LISTED[role], role in ADMINS) for role in ROLES}
    assert observed == expected, _differences(observed, expected)


def test_the_term_list_and_its_form_show_only_the_schools_the_administrator_runs(
    scenario: Scenario,
) -> None:
    # given a term in each of A1, A2 and B1
    world = scenario.courses.world
    schools = {"a1": world.school_a1, "a2": world.school_a2, "b1": world.school_b1}
    by_name = {school.name: key for key, school in schools.items()}
    by_id = {school.pk: key for key, school in schools.items()}
    observed = {}
    for role in sorted(ADMINS):
        # when each administrator opens the terms page
        html = _html(scenario.client(role), "frontend:term-list")
        rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>", html)
        assert len(rows) == len(set(rows)), (role, rows)  # one term ("Autumn") per school
        listed = {by_name.get(name, name) for name in rows}
        offered = {by_id.get(pk, str(pk)) for pk in _offered(html, "school")}
        observed[role] = {"listed": listed, "form": offered}
    # then the list and the form's schools are the schools they run
    expected = {role: {"listed": RUNS[role], "form": RUNS[role]} for role in ADMINS}
    assert observed == expected, _differences(observed, expected)


def test_the_new_class_form_offers_only_the_administrator_s_terms_courses_and_teachers(
    scenario: Scenario,
) -> None:
    # given a term, a course and teachers in each of A1, A2 and B1
    terms = {term.pk: school for school, term in scenario.classes.terms.items()}
    course_keys = {scenario.course(key).pk: key for key in COURSE_TARGETS}
    names = scenario.names()
    observed = {}
    for role in sorted(ADMINS):
        # when each administrator opens the form for a new class
        html = _html(scenario.client(role), "frontend:class-create")
        observed[role] = {
            "terms": {terms.get(pk, str(pk)) for pk in _offered(html, "term")},
            "courses": {course_keys.get(pk, str(pk)) for pk in _offered(html, "course")},
            "teachers": {names.get(pk, str(pk)) for pk in _offered(html, "teachers")},
        }
    # then: the terms of the schools they run; the courses and teachers of those schools'
    # regions (a class of one school may take another school's course: the e-school)
    expected = {}
    for role in ADMINS:
        regions = {REGION_OF[school] for school in RUNS[role]}
        teachers = set().union(*(TEACHERS_OF_REGION[region] for region in regions))
        expected[role] = {
            "terms": RUNS[role],
            "courses": COURSE_CHOICES[role],
            "teachers": teachers,
        }
    assert observed == expected, _differences(observed, expected)


DRAFT_TITLES = ("Draft module", "Draft lesson", "Lesson in a draft module")


def test_a_course_page_shows_drafts_and_editing_only_to_its_editors(scenario: Scenario) -> None:
    lessons = {scenario.lesson(target).pk: target for target in LESSON_TARGETS}
    observed = {}
    for role in ROLES:
        for school in COURSE_TARGETS:
            if not _sees_course(role, school):
                continue
            # when each role opens each course they see
            course = scenario.course(school)
            html = _html(scenario.client(role), "frontend:course-detail", course.pk)
            linked = _linked_ids(html, "frontend:lesson-detail")
            observed[f"{role} @ {school}"] = {
                "lessons": {lessons.get(pk, str(pk)) for pk in linked},
                "draft titles": any(title in html for title in DRAFT_TITLES),
                "editing": reverse("frontend:course-edit", args=[course.pk]) in html
                or reverse("frontend:module-create", args=[course.pk]) in html,
            }
    # then editors see the drafts and the editing forms; the others what is published
    expected = {}
    for role in ROLES:
        for school in COURSE_TARGETS:
            if not _sees_course(role, school):
                continue
            editor = role in EDITS[school]
            shown = {t for t, (c, draft) in LESSON_TARGETS.items() if c == school}
            shown = shown if editor else {t for t in shown if not LESSON_TARGETS[t][1]}
            expected[f"{role} @ {school}"] = {
                "lessons": shown,
                "draft titles": editor and school == "a1",
                "editing": editor,
            }
    assert observed == expected, _differences(observed, expected)


def test_a_lesson_page_offers_editing_to_editors_and_completion_to_pupils(
    scenario: Scenario,
) -> None:
    observed = {}
    expected = {}
    for role in ROLES:
        for target, (school, draft) in LESSON_TARGETS.items():
            editor = role in EDITS[school]
            if not (editor or (role in READS[school] and not draft)):
                continue
            # when each role opens each lesson they see
            lesson = scenario.lesson(target)
            html = _html(scenario.client(role), "frontend:lesson-detail", lesson.pk)
            observed[f"{role} @ {target}"] = {
                "editing": reverse("frontend:lesson-edit", args=[lesson.pk]) in html,
                "completion": reverse("frontend:lesson-complete", args=[lesson.pk]) in html,
            }
            # then only editors get the link to edit it, only pupils the button to complete it
            expected[f"{role} @ {target}"] = {"editing": editor, "completion": role in STUDENTS}
    assert observed == expected, _differences(observed, expected)


def test_a_class_page_shows_its_code_and_roster_only_to_those_who_run_or_teach_it(
    scenario: Scenario,
) -> None:
    # given a class in each of A1, A2 and B1, each with one pupil, and pupils in no class
    names = scenario.names()
    usernames = {scenario.person(name).username: name for name in PUPILS if name in ROLES}
    usernames |= {pupil.username: f"pupil_{key}" for key, pupil in scenario.pupils.items()}
    observed = {}
    for role in ROLES:
        for school in SCHOOLS:
            if school not in LISTED[role]:
                continue
            # when each role opens each class they see
            cohort = scenario.cohort(school)
            html = _html(scenario.client(role), "frontend:class-detail", cohort.pk)
            roster = re.findall(r"<small>([^<]*)</small></td>", html)
            observed[f"{role} @ {school}"] = {
                "code": cohort.join_code in html,
                "roster": {usernames.get(username, username) for username in roster},
                "roster csv": reverse("api:class-roster-csv", args=[cohort.pk]) in html,
                "import": reverse("frontend:class-import", args=[cohort.pk]) in html,
                "may enrol": {names.get(pk, str(pk)) for pk in _offered(html, "student")},
            }
    # then the code, the roster and its CSV are shown to those who run the class's school and
    # its teachers; the link to import to those who run it; the enrol form offers an
    # administrator exactly the pupils they manage who are not in the class yet
    expected = {}
    for role in ROLES:
        for school in SCHOOLS:
            if school not in LISTED[role]:
                continue
            sees_roster = school in SEES_ROSTER[role]
            manages = MANAGES_PUPILS_OF.get(role, NOBODY)
            expected[f"{role} @ {school}"] = {
                "code": sees_roster,
                "roster": ENROLLED[school] if sees_roster else NOBODY,
                "roster csv": sees_roster,
                "import": school in RUNS[role],
                "may enrol": {p for p, home in PUPILS.items() if home in manages}
                - ENROLLED[school],
            }
    assert observed == expected, _differences(observed, expected)


@pytest.mark.parametrize("role", ["author", "platform_admin"])
def test_a_file_is_removed_only_through_its_own_lesson(scenario: Scenario, role: str) -> None:
    # given an editor of the A1 lesson, and the file of the B1 lesson (which the platform admin
    # may edit too, the author may not even see)
    url = reverse(
        "frontend:lesson-file-remove", args=[scenario.lesson("a1").pk, scenario.files["b1"].pk]
    )
    client = scenario.client(role)
    # when they remove it through the A1 lesson
    stored = _stored()
    with transaction.atomic():
        before = _rows()
        response = client.post(url)
        after = _rows()
        transaction.set_rollback(True)
    # then it is not found there, and nothing is removed
    assert (response.status_code, after == before, _stored() == stored) == (404, True, True)


def _import_check(client: Client, cohort: Cohort, username: str) -> tuple[int, str, Any]:
    """Check (not import) a file of one existing pupil; the status, and the row's verdict."""
    text = f"username\r\n{username}\r\n"
    upload = SimpleUploadedFile("pupils.csv", text.encode(), content_type="text/csv")
    url = reverse("frontend:class-import", args=[cohort.pk])
    response = client.post(url, {"file": upload, "mode": "dry-run"})
    report = response.context["report"] if response.status_code == 200 else None
    if report is None:
        return response.status_code, "", None
    (row,) = report.rows
    return response.status_code, row.action, row.errors


def test_checking_a_file_does_not_tell_who_is_in_a_class_to_one_who_may_not_see_its_roster(
    scenario: Scenario,
) -> None:
    # given the class of A1, which student_a1 is in and unenrolled_student_a1 is not, and the
    # administrator of A2: they may import their own pupils into it, not see its roster
    client = scenario.client("school_admin_a2")
    cohort = scenario.cohort("a1")
    assert "a1" in IMPORTS["school_admin_a2"]
    assert "a1" not in SEES_ROSTER["school_admin_a2"]
    # when they check a file naming each of the two pupils of A1
    answers = {
        name: _import_check(client, cohort, scenario.person(name).username)
        for name in ("student_a1", "unenrolled_student_a1")
    }
    # then both get the same answer (a pupil they may not enrol), whether in the class or not
    assert answers["student_a1"] == answers["unenrolled_student_a1"], answers

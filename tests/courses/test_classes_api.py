"""Terms and classes: who may list, read, create and change them (/api/v1/terms/, /classes/),
and what bad input gets.

The scenario (``make_classes``): a term and a class in schools A1, A2 (region A) and B1
(region B). The expected answers are written out by hand from the rules, not computed from
``courses.policies``; every request runs in a savepoint that is rolled back, and a refused
request must write nothing.
"""

import warnings
from typing import Any

import pytest
from django.core.paginator import UnorderedObjectListWarning

from courses.models import Cohort, Term
from lms.accounts.models import Role
from tests.accounts.expectations import assert_error
from tests.courses.conftest import Courses
from tests.courses.factories import (
    Classes,
    CohortFactory,
    attempt,
    classes_database_state,
    make_classes,
)
from tests.factories import make_person

VIEWERS = (
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",
    "school_admin_b1",
    "class_teacher",
    "author",
    "teacher_a2",
    "facilitator",
    "student_a1",
    "student_a2",
    "student_b1",
)
SCHOOLS = ("a1", "a2", "b1")
NOBODY: set[str] = set()

# The schools whose terms and classes each viewer runs.
RUNS: dict[str, set[str]] = {
    "platform_admin": {"a1", "a2", "b1"},
    "region_admin_a": {"a1", "a2"},
    "region_admin_b": {"b1"},
    "school_admin_a1": {"a1"},
    "school_admin_a2": {"a2"},
    "school_admin_b1": {"b1"},
    **dict.fromkeys(VIEWERS[6:], NOBODY),
}
# The home school of the people who do not run one (they see it, but may not add terms to it).
HOME = {
    "class_teacher": "a1",
    "author": "a1",
    "facilitator": "a1",
    "student_a1": "a1",
    "teacher_a2": "a2",
    "student_a2": "a2",
    "student_b1": "b1",
}
# The classes each viewer sees: administrators their region's (to enrol their pupils into the
# e-school), teachers the classes they teach, students the classes they are in.
LISTED: dict[str, set[str]] = {
    "platform_admin": {"a1", "a2", "b1"},
    "region_admin_a": {"a1", "a2"},
    "region_admin_b": {"b1"},
    "school_admin_a1": {"a1", "a2"},
    "school_admin_a2": {"a1", "a2"},
    "school_admin_b1": {"b1"},
    "class_teacher": {"a1"},
    "author": NOBODY,  # wrote the course, teaches no class of it
    "teacher_a2": {"a2"},
    "facilitator": NOBODY,
    "student_a1": {"a1"},
    "student_a2": {"a2"},
    "student_b1": {"b1"},
}
# Who gets the join code and the teachers (CohortManagerOutput): the class's managers and
# teachers, never a student.
SHOWS_CODE: dict[str, set[str]] = {
    **RUNS,
    "class_teacher": {"a1"},
    "teacher_a2": {"a2"},
}
MANAGER_FIELDS = {"join_code", "teachers"}


@pytest.fixture
def classes(courses: Courses) -> Classes:
    return make_classes(courses)


def _write_status(viewer: str, school: str, accepted: int) -> int:
    """A change to a class: accepted where the viewer runs the school, 403 where they only see
    the class, 404 where they do not see it."""
    if school in RUNS[viewer]:
        return accepted
    return 403 if school in LISTED[viewer] else 404


def _observe(classes: Classes, method: str, url: Any, body: Any = None) -> dict[str, Any]:
    """(status, wrote) for every viewer and school, plus anonymous requests."""
    observed: dict[str, Any] = {}
    for viewer in (*VIEWERS, "anonymous"):
        for school in SCHOOLS:
            payload = body(classes, school) if callable(body) else body
            response, wrote = attempt(classes.client(viewer), method, url(classes, school), payload)
            if response.status_code >= 400:
                assert_error(response, response.status_code, response.json()["code"])
            observed[f"{viewer} {school}"] = (response.status_code, wrote)
    return observed


def _anonymous(expected: dict[str, Any]) -> dict[str, Any]:
    return expected | {f"anonymous {school}": (401, False) for school in SCHOOLS}


# --- terms ----------------------------------------------------------------------------------
def test_the_term_list_shows_each_viewer_exactly_the_terms_of_the_schools_they_run(
    classes: Classes,
) -> None:
    # given a term in each of A1, A2 and B1
    names = {term.pk: key for key, term in classes.terms.items()}
    # when each viewer lists terms
    observed = {}
    for viewer in VIEWERS:
        response = classes.client(viewer).get("/api/v1/terms/")
        assert response.status_code == 200, (viewer, response.content)
        observed[viewer] = {names.get(row["id"], row["id"]) for row in response.json()["results"]}
    # then: the terms of the schools they run, and nothing else
    assert observed == RUNS
    assert_error(classes.client("anonymous").get("/api/v1/terms/"), 401, "not_authenticated")


def test_only_those_who_run_a_school_create_its_terms(classes: Classes) -> None:
    def body(c: Classes, school: str) -> dict[str, Any]:
        return {
            "school": c.terms[school].school_id,
            "name": "Spring",
            "starts_on": "2027-01-10",
            "ends_on": "2027-05-25",
        }

    # when each viewer adds a term to each school
    observed = _observe(classes, "post", lambda c, s: "/api/v1/terms/", body)
    # then it is created where they run the school; their own school they may not change (403);
    # another school is not one they can choose (400 on "school")
    expected = {}
    for viewer in VIEWERS:
        for school in SCHOOLS:
            if school in RUNS[viewer]:
                expected[f"{viewer} {school}"] = (201, True)
            elif HOME.get(viewer) == school:
                expected[f"{viewer} {school}"] = (403, False)
            else:
                expected[f"{viewer} {school}"] = (400, False)
    assert observed == _anonymous(expected)


def test_a_term_refused_for_another_school_names_the_school_field(classes: Classes) -> None:
    # given the administrator of A1
    client = classes.client("school_admin_a1")
    body = {"school": classes.terms["a2"].school_id, "name": "Spring"}
    body |= {"starts_on": "2027-01-10", "ends_on": "2027-05-25"}
    # when they add a term to A2 / then
    assert_error(client.post("/api/v1/terms/", body), 400, "invalid", {"school"})


def test_only_those_who_run_a_school_change_its_terms(classes: Classes) -> None:
    # when each viewer renames each school's term
    observed = _observe(
        classes,
        "patch",
        lambda c, s: f"/api/v1/terms/{c.terms[s].pk}/",
        {"name": "Autumn (renamed)"},
    )
    # then it changes where they run the school; elsewhere the term does not exist for them
    expected = {
        f"{viewer} {school}": (200, True) if school in RUNS[viewer] else (404, False)
        for viewer in VIEWERS
        for school in SCHOOLS
    }
    assert observed == _anonymous(expected)


# --- classes: reading -----------------------------------------------------------------------
def test_the_class_list_shows_each_viewer_exactly_their_classes(classes: Classes) -> None:
    names = {cohort.pk: key for key, cohort in classes.cohorts.items()}
    observed = {}
    for viewer in VIEWERS:
        # when each viewer lists classes
        response = classes.client(viewer).get("/api/v1/classes/")
        assert response.status_code == 200, (viewer, response.content)
        rows = response.json()["results"]
        assert len(rows) == len({row["id"] for row in rows}), viewer  # no class twice
        observed[viewer] = {names.get(row["id"], row["id"]) for row in rows}
        # then the list carries no join code, for anyone (the class's own page does)
        assert all(not MANAGER_FIELDS & set(row) for row in rows), (viewer, rows)
    assert observed == LISTED
    assert_error(classes.client("anonymous").get("/api/v1/classes/"), 401, "not_authenticated")


def test_the_class_list_is_ordered_by_name_for_stable_pages(classes: Classes) -> None:
    # given classes of A1 created in an order unlike their names
    for name in ("9C", "1A", "5B"):
        CohortFactory(term=classes.terms["a1"], course=classes.courses.course, name=name)
    # when the administrator of A1 lists classes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = classes.client("school_admin_a1").get("/api/v1/classes/")
    # then they come in name order (the annotated queryset must be ordered explicitly: a
    # GROUP BY query drops Meta.ordering, and pages would be unstable)
    assert response.status_code == 200, response.content
    names = [row["name"] for row in response.json()["results"]]
    assert names == sorted(names), names
    unordered = [w for w in caught if issubclass(w.category, UnorderedObjectListWarning)]
    assert not unordered, [str(w.message) for w in unordered]


def test_a_class_is_shown_to_those_who_list_it_and_its_code_only_to_its_managers_and_teachers(
    classes: Classes,
) -> None:
    observed = {}
    for viewer in VIEWERS:
        for school in SCHOOLS:
            cohort = classes.cohorts[school]
            # when each viewer opens each class
            response = classes.client(viewer).get(f"/api/v1/classes/{cohort.pk}/")
            if response.status_code != 200:
                assert_error(response, 404, "not_found")
                observed[f"{viewer} {school}"] = 404
                continue
            body = response.json()
            shown = MANAGER_FIELDS & set(body)
            assert shown in (set(), MANAGER_FIELDS), body
            if shown:
                assert body["join_code"] == cohort.join_code
                assert body["teachers"] == [t.pk for t in cohort.teachers.all()]
            observed[f"{viewer} {school}"] = "200 with code" if shown else 200
    # then
    expected = {}
    for viewer in VIEWERS:
        for school in SCHOOLS:
            if school not in LISTED[viewer]:
                expected[f"{viewer} {school}"] = 404
            elif school in SHOWS_CODE[viewer]:
                expected[f"{viewer} {school}"] = "200 with code"
            else:
                expected[f"{viewer} {school}"] = 200
    assert observed == expected


# --- classes: writing -----------------------------------------------------------------------
def _new_class(c: Classes, school: str) -> dict[str, Any]:
    cohort = c.cohorts[school]
    return {
        "term": cohort.term_id,
        "course": cohort.course_id,
        "name": "8A",
        "teachers": [t.pk for t in cohort.teachers.all()],
        "allow_self_enrol": True,
    }


def test_only_those_who_run_a_school_create_its_classes(classes: Classes) -> None:
    # when each viewer creates a class in each school's term
    observed = _observe(classes, "post", lambda c, s: "/api/v1/classes/", _new_class)
    # then it is created where they run the school; elsewhere the term is not one they can
    # choose
    expected = {
        f"{viewer} {school}": (201, True) if school in RUNS[viewer] else (400, False)
        for viewer in VIEWERS
        for school in SCHOOLS
    }
    assert observed == _anonymous(expected)


def test_a_created_class_answers_with_its_code_and_teachers(classes: Classes) -> None:
    # given the administrator of A1
    client = classes.client("school_admin_a1")
    # when they create a class
    response = client.post("/api/v1/classes/", _new_class(classes, "a1"))
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    cohort = Cohort.objects.get(pk=body["id"])
    assert body["join_code"] == cohort.join_code
    assert len(cohort.join_code) == 7
    assert body["teachers"] == [classes.person("class_teacher").pk]
    assert body["student_count"] == 0
    assert body["school"] == classes.terms["a1"].school_id


def test_only_those_who_run_a_school_change_its_classes(classes: Classes) -> None:
    # when each viewer renames each class
    observed = _observe(
        classes, "patch", lambda c, s: f"/api/v1/classes/{c.cohorts[s].pk}/", {"name": "9Z"}
    )
    # then: changed where they run the school; 403 where they only see it; 404 elsewhere
    expected = {
        f"{viewer} {school}": (
            code := _write_status(viewer, school, 200),
            code == 200,
        )
        for viewer in VIEWERS
        for school in SCHOOLS
    }
    assert observed == _anonymous(expected)


def test_only_those_who_run_a_school_renew_its_class_codes(classes: Classes) -> None:
    observed = _observe(
        classes, "post", lambda c, s: f"/api/v1/classes/{c.cohorts[s].pk}/renew-code/"
    )
    expected = {
        f"{viewer} {school}": (
            code := _write_status(viewer, school, 200),
            code == 200,
        )
        for viewer in VIEWERS
        for school in SCHOOLS
    }
    assert observed == _anonymous(expected)


def test_a_renewed_code_replaces_the_old_one(classes: Classes) -> None:
    # given the open class of A1 and its code
    cohort = classes.cohorts["a1"]
    old_code = cohort.join_code
    # when its administrator renews the code
    response = classes.client("school_admin_a1").post(f"/api/v1/classes/{cohort.pk}/renew-code/")
    # then the answer carries the new code, and only the new code lets a pupil join
    assert response.status_code == 200, response.content
    new_code = response.json()["join_code"]
    assert new_code != old_code
    cohort.refresh_from_db()
    assert cohort.join_code == new_code
    pupil = classes.client("student_a2")
    assert_error(pupil.post("/api/v1/classes/join/", {"code": old_code}), 400, "invalid", {"code"})
    assert not cohort.enrolments.filter(student=classes.person("student_a2")).exists()
    assert pupil.post("/api/v1/classes/join/", {"code": new_code}).status_code == 201
    assert cohort.enrolments.filter(student=classes.person("student_a2")).exists()


# --- bad input ------------------------------------------------------------------------------
TERM = {"name": "Spring", "starts_on": "2027-01-10", "ends_on": "2027-05-25"}


@pytest.mark.parametrize(
    ("change", "status", "code", "fields"),
    [
        ({"ends_on": "2027-01-09"}, 400, "invalid", {"ends_on"}),
        ({"name": "Autumn"}, None, None, {"name"}),  # the name of A1's existing term
        ({"starts_on": "not a date"}, 400, "invalid", {"starts_on"}),
        ({"name": ""}, 400, "invalid", {"name"}),
    ],
    ids=["ends-before-it-starts", "duplicate-name", "bad-date", "blank-name"],
)
def test_a_bad_term_is_refused_naming_the_field_and_writes_nothing(
    classes: Classes, change: dict[str, str], status: int | None, code: str | None, fields: set[str]
) -> None:
    # given the administrator of A1
    client = classes.client("school_admin_a1")
    before = classes_database_state()
    # when they send a bad term
    response = client.post(
        "/api/v1/terms/", {"school": classes.terms["a1"].school_id} | TERM | change
    )
    # then it is refused naming the field; nothing is written
    if status is None:  # a duplicate: "invalid" or "conflict", both naming the field
        assert response.status_code in (400, 409), response.content
        status, code = response.status_code, response.json()["code"]
    assert_error(response, status, code, fields)
    assert classes_database_state() == before


def test_changing_a_term_to_end_before_it_starts_is_refused(classes: Classes) -> None:
    term = classes.terms["a1"]
    before = classes_database_state()
    response = classes.client("school_admin_a1").patch(
        f"/api/v1/terms/{term.pk}/", {"ends_on": "2026-08-01"}
    )
    assert_error(response, 400, "invalid", {"ends_on"})
    assert classes_database_state() == before


def test_renaming_a_term_to_a_name_taken_in_its_school_is_refused(classes: Classes) -> None:
    # given a second term in A1
    other = Term.objects.create(
        school=classes.terms["a1"].school,
        name="Spring",
        starts_on="2027-01-10",
        ends_on="2027-05-25",
    )
    before = classes_database_state()
    # when it is renamed to the first term's name
    response = classes.client("school_admin_a1").patch(
        f"/api/v1/terms/{other.pk}/", {"name": "Autumn"}
    )
    # then
    assert response.status_code in (400, 409), response.content
    assert_error(response, response.status_code, response.json()["code"], {"name"})
    assert classes_database_state() == before


def _bad_class_bodies(c: Classes) -> dict[str, tuple[dict[str, Any], str]]:
    good = _new_class(c, "a1")
    return {
        "no-teachers": (good | {"teachers": []}, "teachers"),
        "a-student-as-teacher": (good | {"teachers": [c.person("student_a1").pk]}, "teachers"),
        "an-administrator-as-teacher": (
            good | {"teachers": [c.person("school_admin_a1").pk]},
            "teachers",
        ),
        "an-unknown-teacher": (good | {"teachers": [987_654_321]}, "teachers"),
        "an-unknown-course": (good | {"course": 987_654_321}, "course"),
        "a-course-of-another-region": (good | {"course": c.courses.course_b1.pk}, "course"),
        "a-term-of-another-school": (good | {"term": c.terms["a2"].pk}, "term"),
        "a-term-of-another-region": (good | {"term": c.terms["b1"].pk}, "term"),
        "an-unknown-term": (good | {"term": 987_654_321}, "term"),
        "a-name-taken-in-the-term": (good | {"name": "7A"}, "name"),
    }


BAD_CLASSES = (
    "no-teachers",
    "a-student-as-teacher",
    "an-administrator-as-teacher",
    "an-unknown-teacher",
    "an-unknown-course",
    "a-course-of-another-region",
    "a-term-of-another-school",
    "a-term-of-another-region",
    "an-unknown-term",
    "a-name-taken-in-the-term",
)


@pytest.mark.parametrize("case", BAD_CLASSES)
def test_a_bad_class_is_refused_naming_the_field_and_writes_nothing(
    classes: Classes, case: str
) -> None:
    # given the administrator of A1
    body, field = _bad_class_bodies(classes)[case]
    before = classes_database_state()
    # when they create a class with one bad field
    response = classes.client("school_admin_a1").post("/api/v1/classes/", body)
    # then it is refused naming that field, and nothing is written
    assert response.status_code in (400, 409), response.content
    assert_error(response, response.status_code, response.json()["code"], {field})
    assert classes_database_state() == before


def test_a_class_cannot_be_given_a_non_teacher_or_no_teachers_later(classes: Classes) -> None:
    cohort = classes.cohorts["a1"]
    client = classes.client("school_admin_a1")
    before = classes_database_state()
    for teachers in ([], [classes.person("student_a1").pk]):
        response = client.patch(f"/api/v1/classes/{cohort.pk}/", {"teachers": teachers})
        assert_error(response, 400, "invalid", {"teachers"})
    assert classes_database_state() == before


def test_a_deactivated_teacher_cannot_teach_a_class(classes: Classes) -> None:
    gone = make_person(Role.TEACHER, school=classes.terms["a1"].school)
    gone.is_active = False
    gone.save()
    before = classes_database_state()
    response = classes.client("school_admin_a1").post(
        "/api/v1/classes/", _new_class(classes, "a1") | {"teachers": [gone.pk]}
    )
    assert_error(response, 400, "invalid", {"teachers"})
    assert classes_database_state() == before


@pytest.mark.parametrize(
    "url",
    ["/api/v1/terms/", "/api/v1/classes/", "/api/v1/classes/join/", "classes/{a1}/enrolments/"],
)
def test_malformed_json_is_a_parse_error_and_writes_nothing(classes: Classes, url: str) -> None:
    url = url.replace("classes/{a1}", f"/api/v1/classes/{classes.cohorts['a1'].pk}")
    viewer = "student_a2" if url.endswith("join/") else "school_admin_a1"
    before = classes_database_state()
    response = classes.client(viewer).post(url, '{"name": ', content_type="application/json")
    assert_error(response, 400, "parse_error", set())
    assert classes_database_state() == before

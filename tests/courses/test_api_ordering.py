"""Positions of modules in a course and of lessons in a module stay 0, 1, 2, ... whatever the
authors do: creating appends, moving renumbers the siblings, deleting closes the gap."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from courses.models import Course, Lesson, Module
from lms.accounts.models import User
from tests.accounts.expectations import assert_error
from tests.courses.expectations import database_state
from tests.courses.factories import CourseFactory, LessonFactory, ModuleFactory


@pytest.fixture
def course(author: User) -> Course:
    return CourseFactory(school=author.school, teachers=[author])


def module_order(course: Course) -> list[tuple[int, str]]:
    """(position, title) of the course's modules, in the order the database gives."""
    return list(course.modules.order_by("position", "pk").values_list("position", "title"))


def lesson_order(module: Module) -> list[tuple[int, str]]:
    return list(module.lessons.order_by("position", "pk").values_list("position", "title"))


def numbered(titles: str) -> list[tuple[int, str]]:
    """``"BAC"`` -> ``[(0, "B"), (1, "A"), (2, "C")]``: the expected order, without gaps."""
    return list(enumerate(titles))


def modules_of(course: Course, titles: str) -> dict[str, Module]:
    return {title: ModuleFactory(course=course, title=title) for title in titles}


def lessons_of(module: Module, titles: str) -> dict[str, Lesson]:
    return {title: LessonFactory(module=module, title=title) for title in titles}


# --- creating appends -----------------------------------------------------------------------
def test_new_modules_go_to_the_end(client: APIClient, course: Course) -> None:
    # given a course without modules
    # when the author adds three
    positions = [
        client.post(f"/api/v1/courses/{course.pk}/modules/", {"title": title}).json()["position"]
        for title in "ABC"
    ]
    # then they are numbered 0, 1, 2 in the order they were added
    assert positions == [0, 1, 2]
    assert module_order(course) == numbered("ABC")


def test_new_lessons_go_to_the_end(client: APIClient, course: Course) -> None:
    # given a module without lessons
    module = ModuleFactory(course=course)
    # when the author adds three
    positions = [
        client.post(f"/api/v1/modules/{module.pk}/lessons/", {"title": title}).json()["position"]
        for title in "ABC"
    ]
    # then they are numbered 0, 1, 2 in the order they were added
    assert positions == [0, 1, 2]
    assert lesson_order(module) == numbered("ABC")


def test_new_modules_and_lessons_are_drafts(client: APIClient, course: Course) -> None:
    # given a course; when the author adds a module and a lesson asking for them published
    module = client.post(
        f"/api/v1/courses/{course.pk}/modules/", {"title": "M", "is_published": True}
    ).json()
    lesson = client.post(
        f"/api/v1/modules/{module['id']}/lessons/", {"title": "L", "is_published": True}
    ).json()
    # then both start as drafts: publishing is a separate, deliberate edit
    assert module["is_published"] is False
    assert lesson["is_published"] is False
    assert Module.objects.get(pk=module["id"]).is_published is False
    assert Lesson.objects.get(pk=lesson["id"]).is_published is False


def test_a_module_added_after_a_delete_goes_right_after_the_last(
    client: APIClient, course: Course
) -> None:
    # given modules A, B, C of which B is deleted
    modules = modules_of(course, "ABC")
    assert client.delete(f"/api/v1/modules/{modules['B'].pk}/").status_code == 204
    # when the author adds D
    response = client.post(f"/api/v1/courses/{course.pk}/modules/", {"title": "D"})
    # then D comes after C with no gap
    assert response.json()["position"] == 2
    assert module_order(course) == numbered("ACD")


# --- moving within the siblings -------------------------------------------------------------
MOVES = [
    pytest.param("C", 0, "CABD", id="to-the-start"),
    pytest.param("A", 3, "BCDA", id="to-the-end"),
    pytest.param("B", 99, "ACDB", id="beyond-the-end-is-clamped"),
    pytest.param("C", 2**70, "ABDC", id="far-beyond-any-integer-column"),
    pytest.param("D", 1, "ADBC", id="backwards-to-the-middle"),
    pytest.param("A", 2, "BCAD", id="forwards-to-the-middle"),
    pytest.param("B", 1, "ABCD", id="to-where-it-is"),
]


@pytest.mark.parametrize(("moved", "position", "expected"), MOVES)
def test_moving_a_module_renumbers_the_modules_of_the_course(
    client: APIClient, course: Course, moved: str, position: int, expected: str
) -> None:
    # given modules A, B, C, D, and another course whose modules must not move
    modules = modules_of(course, "ABCD")
    other = CourseFactory()
    modules_of(other, "XY")
    # when the author moves one
    response = client.post(f"/api/v1/modules/{modules[moved].pk}/move/", {"position": position})
    # then the course's modules are renumbered without gaps or duplicates
    assert response.status_code == 200, response.content
    assert response.json()["position"] == expected.index(moved)
    assert module_order(course) == numbered(expected)
    assert module_order(other) == numbered("XY")


@pytest.mark.parametrize(("moved", "position", "expected"), MOVES)
def test_moving_a_lesson_renumbers_the_lessons_of_its_module(
    client: APIClient, course: Course, moved: str, position: int, expected: str
) -> None:
    # given lessons A, B, C, D in one module, and another module whose lessons must not move
    module, neighbour = ModuleFactory(course=course), ModuleFactory(course=course)
    lessons = lessons_of(module, "ABCD")
    lessons_of(neighbour, "XY")
    # when the author moves one
    response = client.post(f"/api/v1/lessons/{lessons[moved].pk}/move/", {"position": position})
    # then the module's lessons are renumbered without gaps or duplicates
    assert response.status_code == 200, response.content
    assert response.json()["position"] == expected.index(moved)
    assert response.json()["module"] == module.pk
    assert lesson_order(module) == numbered(expected)
    assert lesson_order(neighbour) == numbered("XY")


def test_moves_in_a_row_keep_the_positions_dense(client: APIClient, course: Course) -> None:
    # given lessons A..E
    module = ModuleFactory(course=course)
    lessons = lessons_of(module, "ABCDE")
    # when the author moves several of them, one after the other
    for title, position in (("E", 0), ("A", 4), ("C", 1), ("E", 99), ("B", 0)):
        response = client.post(f"/api/v1/lessons/{lessons[title].pk}/move/", {"position": position})
        assert response.status_code == 200, response.content
    # then every step was applied to the order of the step before
    # ABCDE -> EABCD -> EBCDA -> ECBDA -> CBDAE -> BCDAE
    assert lesson_order(module) == numbered("BCDAE")


# --- moving a lesson to another module ------------------------------------------------------
@pytest.mark.parametrize(
    ("position", "expected_target"),
    [
        pytest.param(0, "bXY", id="to-the-start"),
        pytest.param(1, "XbY", id="to-the-middle"),
        pytest.param(2, "XYb", id="to-the-end"),
        pytest.param(50, "XYb", id="beyond-the-end-is-clamped"),
    ],
)
def test_moving_a_lesson_to_another_module_renumbers_both(
    client: APIClient, course: Course, position: int, expected_target: str
) -> None:
    # given module S with lessons a, b, c and module T of the same course with X, Y
    source, target = ModuleFactory(course=course), ModuleFactory(course=course)
    lessons = lessons_of(source, "abc")
    lessons_of(target, "XY")
    # when the author moves b into T
    response = client.post(
        f"/api/v1/lessons/{lessons['b'].pk}/move/", {"position": position, "module": target.pk}
    )
    # then b is in T where asked, and both modules are numbered without gaps
    assert response.status_code == 200, response.content
    assert response.json()["module"] == target.pk
    assert response.json()["position"] == expected_target.index("b")
    assert lesson_order(source) == numbered("ac")
    assert lesson_order(target) == numbered(expected_target)


def test_moving_the_last_lesson_out_leaves_an_empty_module(
    client: APIClient, course: Course
) -> None:
    # given module S with one lesson and an empty module T
    source, target = ModuleFactory(course=course), ModuleFactory(course=course)
    lesson = LessonFactory(module=source, title="a")
    # when the author moves it into T
    response = client.post(
        f"/api/v1/lessons/{lesson.pk}/move/", {"position": 3, "module": target.pk}
    )
    # then
    assert response.status_code == 200, response.content
    assert lesson_order(source) == []
    assert lesson_order(target) == numbered("a")


def _module_of_another_course(author: User, course: Course) -> Any:
    return ModuleFactory(course=CourseFactory(school=course.school, teachers=[author])).pk


def _missing_module(author: User, course: Course) -> Any:
    return 987_654_321


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(_module_of_another_course, id="a-module-of-another-course-by-the-same-author"),
        pytest.param(lambda a, c: ModuleFactory().pk, id="a-module-of-someone-elses-course"),
        pytest.param(_missing_module, id="a-module-that-does-not-exist"),
        pytest.param(lambda a, c: "first", id="not-an-id"),
        pytest.param(lambda a, c: 10**30, id="an-id-out-of-range"),
    ],
)
def test_a_lesson_cannot_move_to_a_module_outside_its_course(
    client: APIClient, author: User, course: Course, target: Any
) -> None:
    # given a lesson of the course
    module = ModuleFactory(course=course)
    lessons = lessons_of(module, "ab")
    body = {"position": 0, "module": target(author, course)}
    before = database_state()
    # when the author moves it into a module of another course (or a module that is not one)
    response = client.post(f"/api/v1/lessons/{lessons['b'].pk}/move/", body)
    # then the move is refused on "module" and nothing moved
    assert_error(response, 400, "invalid", {"module"})
    assert database_state() == before


# --- deleting closes the gap ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("deleted", "expected"),
    [("A", "BCD"), ("B", "ACD"), ("D", "ABC")],
)
def test_deleting_a_module_renumbers_the_rest(
    client: APIClient, course: Course, deleted: str, expected: str
) -> None:
    # given modules A, B, C, D, each with a lesson
    modules = modules_of(course, "ABCD")
    for module in modules.values():
        LessonFactory(module=module)
    # when the author deletes one
    response = client.delete(f"/api/v1/modules/{modules[deleted].pk}/")
    # then it is gone with its lessons, and the rest are numbered without a gap
    assert response.status_code == 204
    assert module_order(course) == numbered(expected)
    assert not Lesson.objects.filter(module_id=modules[deleted].pk).exists()
    assert Lesson.objects.filter(module__course=course).count() == 3


@pytest.mark.parametrize(
    ("deleted", "expected"),
    [("A", "BCD"), ("C", "ABD"), ("D", "ABC")],
)
def test_deleting_a_lesson_renumbers_the_rest(
    client: APIClient, course: Course, deleted: str, expected: str
) -> None:
    # given lessons A, B, C, D, and a neighbouring module whose lessons must not change
    module, neighbour = ModuleFactory(course=course), ModuleFactory(course=course)
    lessons = lessons_of(module, "ABCD")
    lessons_of(neighbour, "XY")
    # when the author deletes one
    response = client.delete(f"/api/v1/lessons/{lessons[deleted].pk}/")
    # then the rest of its module are numbered without a gap
    assert response.status_code == 204
    assert lesson_order(module) == numbered(expected)
    assert lesson_order(neighbour) == numbered("XY")

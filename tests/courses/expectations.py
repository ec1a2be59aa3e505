"""What each role may see and do with the courses API, written out by hand from the rules of
the issue (not computed from ``courses.policies``, so that a wrong policy cannot agree with
itself), and the checks the courses tests share.

Roles are the keys of ``Courses.people`` (tests/courses/conftest.py); every request is about
the course of school A1 unless a name says otherwise.
"""

from typing import Any

from courses.models import Course, Lesson, Module

ROLES = (
    "platform_admin",
    "region_admin_a",
    "region_admin_b",
    "school_admin_a1",
    "school_admin_a2",
    "author",
    "other_teacher_a1",
    "teacher_a2",
    "facilitator",
    "student",
    "anonymous",
)
EDITORS = {"platform_admin", "author"}  # edit everything, see drafts
READERS = {"region_admin_a", "school_admin_a1"}  # administrators over A1: published content only
TEACHERS = {"author", "other_teacher_a1", "teacher_a2"}


def answers(*, editors: int, readers: int, others: int = 404) -> dict[str, int]:
    """The status each role gets: ``editors`` for the author and the platform admin, ``readers``
    for the administrators over school A1, ``others`` for everyone else signed in; anonymous
    requests are always 401."""
    table = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = 401
        elif role in EDITORS:
            table[role] = editors
        elif role in READERS:
            table[role] = readers
        else:
            table[role] = others
    return table


# The course list: which of the three courses (A1, A2, B1) each role sees.
LISTED_COURSES: dict[str, set[str]] = {
    "platform_admin": {"course", "course_a2", "course_b1"},
    "region_admin_a": {"course", "course_a2"},
    "region_admin_b": {"course_b1"},
    "school_admin_a1": {"course"},
    "school_admin_a2": {"course_a2"},
    "author": {"course"},
    "other_teacher_a1": set(),
    "teacher_a2": {"course_a2"},  # its author
    "facilitator": set(),
    "student": set(),
}

# What the outline of the A1 course shows: module title -> lesson titles.
FULL_OUTLINE = {
    "Published module": ["Published lesson", "Draft lesson"],
    "Draft module": ["Lesson in a draft module"],
}
PUBLISHED_OUTLINE = {"Published module": ["Published lesson"]}


# --- checks ---------------------------------------------------------------------------------
def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables the courses API writes, to prove a refused request wrote
    nothing (compare the state before and after)."""
    tables: dict[str, Any] = {
        "courses": Course.objects.all(),
        "authors": Course.teachers.through.objects.all(),
        "modules": Module.objects.all(),
        "lessons": Lesson.objects.all(),
    }
    return {
        name: [{k: str(v) for k, v in row.items()} for row in rows.order_by("pk").values()]
        for name, rows in tables.items()
    }

"""Writes of the courses app, split by use case: authoring (courses, modules, lessons),
classes (terms, classes, enrolment, joining with a code) and progress. Callers use this
package's names."""

from courses.services.authoring import (
    COURSE_FIELDS,
    LESSON_FIELDS,
    MODULE_FIELDS,
    course_create,
    course_teacher_add,
    course_teacher_remove,
    course_update,
    lesson_create,
    lesson_delete,
    lesson_move,
    lesson_update,
    module_create,
    module_delete,
    module_move,
    module_update,
)
from courses.services.classes import (
    cohort_create,
    cohort_join,
    cohort_join_code_renew,
    cohort_update,
    enrolment_create,
    enrolment_delete,
    term_create,
    term_update,
)
from courses.services.files import lesson_file_add, lesson_file_delete
from courses.services.progress import lesson_complete, lesson_uncomplete

__all__ = [
    "COURSE_FIELDS",
    "LESSON_FIELDS",
    "MODULE_FIELDS",
    "cohort_create",
    "cohort_join",
    "cohort_join_code_renew",
    "cohort_update",
    "course_create",
    "course_teacher_add",
    "course_teacher_remove",
    "course_update",
    "enrolment_create",
    "enrolment_delete",
    "lesson_complete",
    "lesson_create",
    "lesson_delete",
    "lesson_file_add",
    "lesson_file_delete",
    "lesson_move",
    "lesson_uncomplete",
    "lesson_update",
    "module_create",
    "module_delete",
    "module_move",
    "module_update",
    "term_create",
    "term_update",
]

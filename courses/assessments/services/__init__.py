"""Writes of assessments, split by use case: the question bank (``bank``), quizzes and
assignments of a class (``authoring``), a student's attempts (``attempts``), grades with
their history (``grades``), grades imported from a CSV file (``grade_import``) and work
marked by hand (``marking``).
Callers use this package's names."""

from courses.assessments.services.attempts import answer_save, attempt_start, attempt_submit
from courses.assessments.services.authoring import (
    assessment_create,
    assessment_publish,
    grade_category_create,
)
from courses.assessments.services.bank import (
    KEY_FIELDS,
    QUESTION_FIELDS,
    GiftImportReport,
    keys_check,
    question_create,
    question_delete,
    question_update,
    questions_import_gift,
)
from courses.assessments.services.grade_import import GradeImportReport, grades_import
from courses.assessments.services.grades import (
    attempt_autograde,
    grade_override,
    grades_publish,
)
from courses.assessments.services.marking import (
    attempt_mark,
    grade_override_lift,
    submission_hand_in,
)

__all__ = [
    "KEY_FIELDS",
    "QUESTION_FIELDS",
    "GiftImportReport",
    "GradeImportReport",
    "answer_save",
    "assessment_create",
    "assessment_publish",
    "attempt_autograde",
    "attempt_mark",
    "attempt_start",
    "attempt_submit",
    "grade_category_create",
    "grade_override",
    "grade_override_lift",
    "grades_import",
    "grades_publish",
    "keys_check",
    "question_create",
    "question_delete",
    "question_update",
    "questions_import_gift",
    "submission_hand_in",
]

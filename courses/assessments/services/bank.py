"""The question bank of a course (questions, their answer keys, their
learning objectives) and importing a bank from GIFT.

Every write checks the author's permission, validates the whole question (its keys must make
sense for its type, the same rules whether it is typed in or imported) and writes in one
transaction.
"""

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.assessments import gift, policies
from courses.assessments.grading import QuestionType
from courses.assessments.models import (
    Answer,
    AssessmentQuestion,
    Attempt,
    Objective,
    Question,
    QuestionKey,
)
from courses.content import markdown_to_safe_html
from courses.models import Course
from lms.accounts.models import User
from lms.errors import ApplicationError
from lms.writes import fields_assign, validated_save

QUESTION_FIELDS = ("kind", "title", "text_markdown", "points", "general_feedback")
KEY_FIELDS = ("text", "match", "fraction", "feedback", "value", "tolerance")
CHOICE_KINDS = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE)


def _invalid(field_name: str, message: str) -> ApplicationError:
    return ApplicationError(
        "invalid", _("Some fields are not valid."), fields={field_name: [message]}
    )


def keys_check(kind: str, keys: list[dict[str, Any]]) -> None:
    """Refuse answer keys that do not make a gradable question of ``kind``."""
    fractions = [Decimal(key.get("fraction") or 0) for key in keys]
    texts = [str(key.get("text") or "").strip() for key in keys]
    if kind == QuestionType.ESSAY:
        if keys:
            raise _invalid("keys", _("An essay has no answer keys: a person grades it."))
        return
    if kind in CHOICE_KINDS or kind in (QuestionType.MATCHING, QuestionType.ORDERING):
        if len(keys) < 2:
            raise _invalid("keys", _("Give at least two options."))
        if not all(texts):
            raise _invalid("keys", _("Every option needs its text."))
    if kind == QuestionType.TRUE_FALSE and (len(keys) != 2 or sorted(fractions) != [0, 1]):
        raise _invalid("keys", _("A true-or-false question has two options, one of them right."))
    if kind == QuestionType.SINGLE and Decimal(1) not in fractions:
        raise _invalid("keys", _("Mark one option as right (a share of 100%)."))
    if kind == QuestionType.MULTIPLE:
        right = sum((fraction for fraction in fractions if fraction > 0), Decimal(0))
        if abs(right - 1) > Decimal("0.01"):
            raise _invalid("keys", _("The shares of the right options must add up to 100%."))
    if kind == QuestionType.NUMERIC and (not keys or any(key.get("value") is None for key in keys)):
        raise _invalid("keys", _("Give each numeric answer its value."))
    if kind == QuestionType.SHORT_TEXT and not any(
        text and fraction == 1 for text, fraction in zip(texts, fractions, strict=True)
    ):
        raise _invalid("keys", _("Give at least one fully right answer."))
    if kind == QuestionType.NUMERIC and Decimal(1) not in fractions:
        raise _invalid("keys", _("Give at least one fully right answer."))
    if kind == QuestionType.MATCHING and not all(
        str(key.get("match") or "").strip() for key in keys
    ):
        raise _invalid("keys", _("Every prompt needs the answer it matches."))


def _objectives(course: Course, codes: list[str]) -> list[Objective]:
    objectives = []
    for code in dict.fromkeys(codes):
        slug = slugify(code, allow_unicode=True)[:60]
        if not slug:
            raise _invalid("objectives", _("An objective needs a code of letters and digits."))
        objective, _created = Objective.objects.get_or_create(course=course, code=slug)
        objectives.append(objective)
    return objectives


def _key_fill(key: QuestionKey, data: dict[str, Any], position: int) -> None:
    """Set a key's fields and validate it; a refusal names the option by its number."""
    fields_assign(key, data, KEY_FIELDS)
    try:
        key.full_clean(exclude=["question"])
    except DjangoValidationError as error:
        messages = [
            _("Option %(number)s: %(message)s") % {"number": position + 1, "message": message}
            for message in error.messages
        ]
        raise ApplicationError(
            "invalid", _("Some fields are not valid."), fields={"keys": messages}
        ) from error


def _keys_write(question: Question, keys: list[dict[str, Any]]) -> None:
    question.keys.all().delete()
    rows = []
    for position, data in enumerate(keys):
        key = QuestionKey(question=question, position=position)
        _key_fill(key, data, position)
        rows.append(key)
    # Pupils see option ids. Written in the author's order, ids would tell the right order of
    # an ordering question, and often the right choice (typed first): written in a random
    # order, they tell nothing. ``position`` keeps the author's order.
    random.SystemRandom().shuffle(rows)
    QuestionKey.objects.bulk_create(rows)


@transaction.atomic
def question_create(
    *,
    course: Course,
    by: User,
    kind: str,
    title: str,
    text_markdown: str,
    keys: list[dict[str, Any]],
    points: Decimal = Decimal(1),
    general_feedback: str = "",
    objectives: list[str] | None = None,
) -> Question:
    if not policies.can_manage_bank(by, course):
        raise PermissionDenied
    keys_check(kind, keys)
    question = Question(course=course, created_by=by)
    fields_assign(
        question,
        {
            "kind": kind,
            "title": title,
            "text_markdown": text_markdown,
            "points": points,
            "general_feedback": general_feedback,
        },
        QUESTION_FIELDS,
    )
    question.text_html = markdown_to_safe_html(text_markdown)
    validated_save(question)
    _keys_write(question, keys)
    question.objectives.set(_objectives(course, objectives or []))
    return question


@transaction.atomic
def question_update(*, question: Question, by: User, data: dict[str, Any]) -> Question:
    """Change a question; ``keys``, when given, replace all of its keys (of a question in use,
    they are corrected in place: same number, same ids)."""
    if not policies.can_manage_bank(by, question.course):
        raise PermissionDenied
    data = dict(data)
    keys = data.pop("keys", None)
    codes = data.pop("objectives", None)
    in_use = _in_use(question)
    if in_use and data.get("kind", question.kind) != question.kind:
        raise ApplicationError(
            "in_use",
            _("This question is used in a quiz or was answered by pupils: its type stays."),
            fields={"kind": [_("Make a new question of the other type instead.")]},
            status_code=409,
        )
    fields_assign(question, data, QUESTION_FIELDS)
    if keys is None and "kind" in data:
        keys = [{name: getattr(key, name) for name in KEY_FIELDS} for key in question.keys.all()]
    if keys is not None:
        keys_check(question.kind, keys)
    question.text_html = markdown_to_safe_html(question.text_markdown)
    validated_save(question)
    if keys is not None:
        if in_use:
            _keys_update_in_place(question, keys)
        else:
            _keys_write(question, keys)
    if codes is not None:
        question.objectives.set(_objectives(question.course, codes))
    return question


def _in_use(question: Question) -> bool:
    """Is the question on a quiz, or on a pupil's paper? Its keys' ids are then in papers and
    answers, so they must stay."""
    return (
        AssessmentQuestion.objects.filter(question=question).exists()
        or Answer.objects.filter(question=question).exists()
        or _drawn_for_an_attempt(question)
    )


def _keys_update_in_place(question: Question, keys: list[dict[str, Any]]) -> None:
    """Change the keys of a question in use, each keeping its id: papers and answers refer to
    them. Adding or removing an option would change papers pupils already hold: refused."""
    existing = list(question.keys.order_by("position", "pk"))
    if len(keys) != len(existing):
        raise ApplicationError(
            "in_use",
            _(
                "This question is used in a quiz or was answered by pupils: its options can be "
                "corrected, but none added or removed. Make a new question instead."
            ),
            fields={"keys": [_("Keep the number of options.")]},
            status_code=409,
        )
    for position, (key, data) in enumerate(zip(existing, keys, strict=True)):
        key.position = position
        _key_fill(key, data, position)
        key.save()


def _drawn_for_an_attempt(question: Question) -> bool:
    """Was the question drawn at random onto a pupil's paper? (A drawn question is in no slot
    of the quiz, so the database cannot protect it; the papers of the quizzes of the course
    that draw at random are read instead.)"""
    papers = (
        Attempt.objects.filter(
            assessment__cohort__course_id=question.course_id,
            assessment__slots__random_objective__isnull=False,
        )
        .distinct()
        .values_list("questions", flat=True)
    )
    return any(item.get("question") == question.pk for paper in papers.iterator() for item in paper)


@transaction.atomic
def question_delete(*, question: Question, by: User) -> None:
    """Delete a question of the bank; one that a quiz uses or a pupil has answered is kept,
    since graded work refers to it (the refusal says so)."""
    if not policies.can_manage_bank(by, question.course):
        raise PermissionDenied
    if _drawn_for_an_attempt(question):
        raise ApplicationError(
            "in_use",
            _("This question is used in a quiz or was answered by pupils: it cannot be deleted."),
            status_code=409,
        )
    try:
        with transaction.atomic():
            question.delete()
    except ProtectedError:
        raise ApplicationError(
            "in_use",
            _("This question is used in a quiz or was answered by pupils: it cannot be deleted."),
            status_code=409,
        ) from None


# --- GIFT --------------------------------------------------------------------------------------
@dataclass
class GiftImportReport:
    applied: bool
    questions: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def questions_import_gift(*, course: Course, by: User, text: str, apply: bool) -> GiftImportReport:
    """Read a GIFT file; with ``apply``, add every question to the bank, or none if any
    question has an error. The report lists each question (line, type, title) and each error
    with its line."""
    if not policies.can_manage_bank(by, course):
        raise PermissionDenied
    parsed, parse_errors = gift.parse(text)
    found = [(error.line, error.message) for error in parse_errors]
    for item in parsed:
        try:
            keys_check(item.kind, [vars(key) for key in item.keys])
        except ApplicationError as refusal:
            messages = refusal.fields.get("keys", [refusal.message])
            found.extend((item.line, str(message)) for message in messages)
    errors = [{"line": line, "message": message} for line, message in sorted(found)]
    report = GiftImportReport(
        applied=False,
        questions=[{"line": item.line, "kind": item.kind, "title": item.title} for item in parsed],
        errors=errors,
    )
    if errors or not apply:
        return report
    with transaction.atomic():
        for item in parsed:
            question_create(
                course=course,
                by=by,
                kind=item.kind,
                title=item.title[:200],
                text_markdown=item.text,
                general_feedback=item.general_feedback,
                keys=[vars(key) for key in item.keys],
                objectives=[item.objective] if item.objective else [],
            )
    report.applied = True
    return report

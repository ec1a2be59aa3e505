"""A student's progress: lessons marked complete."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from courses import selectors
from courses.models import Lesson, LessonCompletion
from lms.accounts.models import Role, User


@transaction.atomic
def lesson_complete(*, lesson: Lesson, student: User) -> LessonCompletion:
    """Mark a lesson the student can see as complete; marking it twice changes nothing."""
    if (
        student.role != Role.STUDENT
        or selectors.lesson_visible(user=student, lesson_id=lesson.pk) is None
    ):
        raise PermissionDenied
    try:
        with transaction.atomic():
            completion, _created = LessonCompletion.objects.get_or_create(
                lesson=lesson, student=student
            )
    except IntegrityError:
        completion = LessonCompletion.objects.get(lesson=lesson, student=student)
    return completion


@transaction.atomic
def lesson_uncomplete(*, lesson: Lesson, student: User) -> None:
    """Undo a mistaken "complete"."""
    if student.role != Role.STUDENT:
        raise PermissionDenied
    LessonCompletion.objects.filter(lesson=lesson, student=student).delete()

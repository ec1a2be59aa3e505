"""Authoring: writes to courses, modules and lessons.

Every function checks the author's permission, validates the whole object and writes in one
transaction. Positions are kept as 0, 1, 2, ... within a course (modules) or a module
(lessons): creating appends, moving renumbers the siblings.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from courses import policies
from courses.content import markdown_to_safe_html
from courses.models import Course, Lesson, Module
from lms.accounts.models import Role, User
from lms.errors import ApplicationError
from lms.writes import fields_assign, validated_save

COURSE_FIELDS = ("title", "subject", "grade_level", "language", "audience", "description")
MODULE_FIELDS = ("title", "is_published")
LESSON_FIELDS = ("title", "is_published", "body_markdown", "video_url")


def _require_author(by: User, course: Course) -> None:
    if not policies.can_edit_course(by, course):
        raise PermissionDenied


# --- courses --------------------------------------------------------------------------------
@transaction.atomic
def course_create(*, by: User, **fields: Any) -> Course:
    if not policies.can_create_course(by) or by.school is None:
        raise PermissionDenied
    course = Course(school=by.school)
    fields_assign(course, fields, COURSE_FIELDS)
    validated_save(course)
    course.teachers.add(by)
    return course


@transaction.atomic
def course_update(*, course: Course, by: User, data: dict[str, Any]) -> Course:
    _require_author(by, course)
    fields_assign(course, data, COURSE_FIELDS)
    validated_save(course, update_fields=(*COURSE_FIELDS, "updated_at"))
    return course


# --- modules --------------------------------------------------------------------------------
@transaction.atomic
def course_counts_refresh(*, course_id: int) -> None:
    """Store the size of the course's outline, all and published (a lesson counts as published
    only in a published module). Every service that changes the outline calls this."""
    # Lock the course first: two authors adding lessons to different modules at once then count
    # one after the other, each seeing the other's committed lesson.
    Course.objects.select_for_update().filter(pk=course_id).values_list("pk").first()
    published_lessons = Q(lessons__is_published=True, is_published=True)
    counts = Module.objects.filter(course_id=course_id).aggregate(
        modules_total=Count("pk", distinct=True),
        modules_published=Count("pk", filter=Q(is_published=True), distinct=True),
        lessons_total=Count("lessons", distinct=True),
        lessons_published=Count("lessons", filter=published_lessons, distinct=True),
    )
    Course.objects.filter(pk=course_id).update(**counts)


def _next_position(siblings: Any) -> int:
    last = siblings.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _renumber(ordered: list[Any], moved: Any, position: int) -> None:
    others = [item for item in ordered if item.pk != moved.pk]
    position = max(0, min(position, len(others)))
    others.insert(position, moved)
    changed = []
    for index, item in enumerate(others):
        if item.position != index:
            item.position = index
            changed.append(item)
    if changed:
        type(moved).objects.bulk_update(changed, ["position"])


@transaction.atomic
def module_create(*, course: Course, by: User, title: str) -> Module:
    _require_author(by, course)
    Course.objects.select_for_update().filter(pk=course.pk).first()
    module = Module(course=course, title=title, position=_next_position(course.modules))
    validated_save(module)
    course_counts_refresh(course_id=course.pk)
    return module


@transaction.atomic
def module_update(*, module: Module, by: User, data: dict[str, Any]) -> Module:
    _require_author(by, module.course)
    fields_assign(module, data, MODULE_FIELDS)
    validated_save(module)
    course_counts_refresh(course_id=module.course_id)
    return module


@transaction.atomic
def module_move(*, module: Module, by: User, position: int) -> Module:
    _require_author(by, module.course)
    siblings = list(
        Module.objects.select_for_update()
        .filter(course_id=module.course_id)
        .order_by("position", "pk")
    )
    _renumber(siblings, module, position)
    module.refresh_from_db(fields=["position"])
    return module


@transaction.atomic
def module_delete(*, module: Module, by: User) -> None:
    _require_author(by, module.course)
    course = module.course
    module.delete()
    remaining = list(Module.objects.filter(course=course).order_by("position", "pk"))
    if remaining:
        _renumber(remaining, remaining[0], 0)
    course_counts_refresh(course_id=course.pk)


# --- lessons --------------------------------------------------------------------------------
def _render(lesson: Lesson) -> None:
    lesson.body_html = markdown_to_safe_html(lesson.body_markdown)


@transaction.atomic
def lesson_create(
    *, module: Module, by: User, title: str, body_markdown: str = "", video_url: str = ""
) -> Lesson:
    _require_author(by, module.course)
    Module.objects.select_for_update().filter(pk=module.pk).first()
    lesson = Lesson(
        module=module,
        title=title,
        body_markdown=body_markdown,
        video_url=video_url,
        position=_next_position(module.lessons),
    )
    _render(lesson)
    validated_save(lesson)
    course_counts_refresh(course_id=module.course_id)
    return lesson


@transaction.atomic
def lesson_update(*, lesson: Lesson, by: User, data: dict[str, Any]) -> Lesson:
    _require_author(by, lesson.module.course)
    fields_assign(lesson, data, LESSON_FIELDS)
    _render(lesson)
    validated_save(lesson, update_fields=(*LESSON_FIELDS, "body_html", "updated_at"))
    course_counts_refresh(course_id=lesson.module.course_id)
    return lesson


@transaction.atomic
def lesson_move(*, lesson: Lesson, by: User, position: int, module: Module | None = None) -> Lesson:
    """Move a lesson within its module, or into another module of the same course."""
    course = lesson.module.course
    _require_author(by, course)
    target = module or lesson.module
    if target.course_id != course.pk:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"module": [_("Choose a module of the same course.")]},
        )
    source_id = lesson.module_id
    if target.pk != source_id:
        lesson.module = target
        lesson.save(update_fields=["module"])
        left = list(Lesson.objects.filter(module_id=source_id).order_by("position", "pk"))
        if left:
            _renumber(left, left[0], 0)
    siblings = list(
        Lesson.objects.select_for_update().filter(module=target).order_by("position", "pk")
    )
    _renumber(siblings, lesson, position)
    lesson.refresh_from_db(fields=["position", "module"])
    # a published lesson may have moved into a draft module, or out of one
    course_counts_refresh(course_id=course.pk)
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson, by: User) -> None:
    _require_author(by, lesson.module.course)
    module = lesson.module
    lesson.delete()
    remaining = list(Lesson.objects.filter(module=module).order_by("position", "pk"))
    if remaining:
        _renumber(remaining, remaining[0], 0)
    course_counts_refresh(course_id=module.course_id)


# --- co-authors -----------------------------------------------------------------------------
@transaction.atomic
def course_teacher_add(*, course: Course, by: User, teacher: User) -> None:
    """An author invites a colleague of the region to write the course with them."""
    _require_author(by, course)
    if teacher.role != Role.TEACHER or not teacher.is_active or teacher.school is None:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"teacher": [_("Choose an active teacher.")]},
        )
    if teacher.school.region_id != course.school.region_id:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"teacher": [_("Choose a teacher of a school in the course's region.")]},
        )
    course.teachers.add(teacher)


@transaction.atomic
def course_teacher_remove(*, course: Course, by: User, teacher: User) -> None:
    """Remove a co-author; a course always keeps at least one author."""
    _require_author(by, course)
    if not course.teachers.exclude(pk=teacher.pk).exists():
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"teacher": [_("A course keeps at least one author.")]},
        )
    course.teachers.remove(teacher)

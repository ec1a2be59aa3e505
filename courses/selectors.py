"""Reads of courses and their outlines, scoped to the reader."""

from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    When,
    prefetch_related_objects,
)

from courses import policies
from courses.models import (
    Cohort,
    Course,
    Enrolment,
    Lesson,
    LessonCompletion,
    LessonFile,
    Module,
    Term,
)
from lms.accounts import policies as accounts_policies
from lms.accounts.models import Role


def _with_counts(courses: QuerySet[Course], *, drafts: bool | Q) -> QuerySet[Course]:
    """Number of modules and lessons (stored on the course by the authoring services); drafts
    counted only where the reader sees them: in every course (True), in none (False), or in the
    courses a filter picks (the ones they wrote)."""
    counts: dict[str, Any]
    if drafts is True:
        counts = {"module_count": F("modules_total"), "lesson_count": F("lessons_total")}
    elif drafts is False:
        counts = {"module_count": F("modules_published"), "lesson_count": F("lessons_published")}
    else:
        counts = {
            "module_count": Case(
                When(drafts, then=F("modules_total")), default=F("modules_published")
            ),
            "lesson_count": Case(
                When(drafts, then=F("lessons_total")), default=F("lessons_published")
            ),
        }
    return courses.annotate(**counts).order_by("title", "pk")


def course_list_visible(*, user: Any) -> QuerySet[Course]:
    courses = Course.objects.select_related("school")
    if accounts_policies.is_platform_admin(user):
        return _with_counts(courses, drafts=True)
    if not (user.is_authenticated and user.is_active):
        return _with_counts(courses.none(), drafts=False)
    if user.role == Role.REGION_ADMIN:
        return _with_counts(courses.filter(school__region_id=user.region_id), drafts=False)
    if user.role == Role.SCHOOL_ADMIN:
        return _with_counts(courses.filter(school_id=user.school_id), drafts=False)
    if user.role == Role.TEACHER:
        # Their own courses, drafts counted; and the courses of the classes they teach.
        authored = Course.teachers.through.objects.filter(user_id=user.pk).values("course_id")
        taught = Cohort.objects.filter(teachers=user).values("course_id")
        visible = courses.filter(Q(pk__in=authored) | Q(pk__in=taught))
        return _with_counts(visible, drafts=Q(pk__in=authored))
    if user.role == Role.STUDENT:
        enrolled = Cohort.objects.filter(enrolments__student=user).values("course_id")
        return _with_counts(courses.filter(pk__in=enrolled), drafts=False)
    return _with_counts(courses.none(), drafts=False)


# What a course list row holds; the API's CourseOutput has the same fields.
COURSE_ROW_FIELDS = (
    "id",
    "title",
    "subject",
    "grade_level",
    "language",
    "audience",
    "description",
    "school",
    "school_name",
    "module_count",
    "lesson_count",
    "updated_at",
)


def course_rows(*, courses: QuerySet[Any]) -> QuerySet[Any, dict[str, Any]]:
    """The course list's rows as plain values (with the counts of ``course_list_visible``): no
    model instance or serializer per row on the hottest read."""
    columns = [name for name in COURSE_ROW_FIELDS if name != "school_name"]
    return courses.values(*columns, school_name=F("school__name"))


def course_visible(*, user: Any, course_id: int) -> Course | None:
    """One course of ``course_list_visible``, with its counts."""
    return course_list_visible(user=user).filter(pk=course_id).first()


def course_outline(*, course: Course, user: Any) -> list[Module]:
    """The course's modules with their lessons, in order; drafts only for its authors."""
    modules = Module.objects.filter(course=course)
    lessons = Lesson.objects.only(
        "pk",
        "module_id",
        "title",
        "position",
        "is_published",
        "video_url",
        "body_html",
        "files_bytes",
    )
    if not policies.sees_drafts(user, course):
        modules = modules.filter(is_published=True)
        lessons = lessons.filter(is_published=True)
    return list(modules.prefetch_related(Prefetch("lessons", queryset=lessons)))


def module_visible(*, user: Any, module_id: int) -> Module | None:
    """The module, if this user may see it: a draft module only for the course's authors, so
    that others get the same answer as for a module that does not exist."""
    module = Module.objects.select_related("course__school").filter(pk=module_id).first()
    if module is None or not policies.can_view_course(user, module.course):
        return None
    if not module.is_published and not policies.sees_drafts(user, module.course):
        return None
    return module


def lesson_visible(*, user: Any, lesson_id: int) -> Lesson | None:
    """The lesson, if this user may open it, with its files loaded (``lesson.files.all()``
    reads no more): drafts only for the course's authors."""
    # The course's school is left out: only administrators' checks read it (one more query for
    # them); pupils, the hot path, get narrower rows. No ORDER BY for a lookup by key.
    lesson = Lesson.objects.select_related("module__course").filter(pk=lesson_id).order_by()[:1]
    found = next(iter(lesson), None)
    if found is None:
        return None
    course = found.module.course
    if not policies.can_view_course(user, course):
        return None
    if not policies.sees_drafts(user, course) and not (
        found.is_published and found.module.is_published
    ):
        return None
    if found.file_count:
        prefetch_related_objects([found], "files")
    else:  # the stored count says there is nothing to ask for
        found.__dict__.setdefault("_prefetched_objects_cache", {})["files"] = (
            LessonFile.objects.none()
        )
    return found


def lesson_data_cost(*, lesson: Lesson) -> dict[str, Any]:
    """What opening the lesson and everything in it costs a student, in bytes: its text, its
    video and its attachments. An external video's size is not known and is flagged instead."""
    size = len(lesson.body_html.encode()) + lesson.files_bytes
    return {
        "bytes": size,
        "megabytes": round(size / 1_000_000, 2),
        "external_video": bool(lesson.video_url),
    }


# --- terms, classes, rosters, progress -------------------------------------------------------
def _schools_run_by(user: Any) -> Q:
    """The schools whose terms and classes ``user`` runs, as a filter on ``school``."""
    if accounts_policies.is_platform_admin(user):
        return Q()
    if accounts_policies.is_region_admin(user):
        return Q(school__region_id=user.region_id)
    if accounts_policies.is_school_admin(user):
        return Q(school_id=user.school_id)
    return Q(pk__in=[])


def term_list_visible(*, user: Any) -> QuerySet[Term]:
    return Term.objects.select_related("school").filter(_schools_run_by(user))


def cohort_list_visible(*, user: Any) -> QuerySet[Cohort]:
    """Classes: administrators see their schools' (and, for enrolling their pupils into the
    e-school, their region's); teachers the classes they teach; students theirs."""
    # Meta.ordering does not apply to a GROUP BY query: order explicitly, for stable pages.
    cohorts = (
        Cohort.objects.select_related("course", "term__school")
        .annotate(student_count=Count("enrolments", distinct=True))
        .order_by("name", "pk")
    )
    if accounts_policies.is_platform_admin(user):
        return cohorts
    if not (user.is_authenticated and user.is_active):
        return cohorts.none()
    if accounts_policies.is_region_admin(user):
        return cohorts.filter(term__school__region_id=user.region_id)
    if accounts_policies.is_school_admin(user):
        return cohorts.filter(term__school__region_id=user.school.region_id)
    if user.role == Role.TEACHER:
        return cohorts.filter(
            pk__in=Cohort.teachers.through.objects.filter(user_id=user.pk).values("cohort_id")
        )
    if user.role == Role.STUDENT:
        return cohorts.filter(pk__in=Enrolment.objects.filter(student=user).values("cohort_id"))
    return cohorts.none()


def _published_lessons(course_id: Any) -> QuerySet[Lesson]:
    return Lesson.objects.filter(
        module__course_id=course_id, is_published=True, module__is_published=True
    )


def roster_for_cohort(*, cohort: Cohort) -> list[dict[str, Any]]:
    """The class's students with how many of the course's published lessons each completed,
    in one query."""
    total = _published_lessons(cohort.course_id).count()
    rows = (
        Enrolment.objects.filter(cohort=cohort)
        .values(
            "student_id",
            "student__username",
            "student__first_name",
            "student__last_name",
            "student__school__name",
            "enrolled_at",
        )
        .annotate(
            completed=Count(
                "student__lesson_completions",
                filter=Q(
                    student__lesson_completions__lesson__module__course_id=cohort.course_id,
                    student__lesson_completions__lesson__is_published=True,
                    student__lesson_completions__lesson__module__is_published=True,
                ),
                distinct=True,
            )
        )
        .order_by("student__last_name", "student__first_name", "student_id")
    )
    return [
        {
            "student": row["student_id"],
            "username": row["student__username"],
            "first_name": row["student__first_name"],
            "last_name": row["student__last_name"],
            "school": row["student__school__name"],
            "enrolled_at": row["enrolled_at"],
            "completed_lessons": row["completed"],
            "total_lessons": total,
        }
        for row in rows
    ]


def progress_for_student(*, student: Any, course: Course) -> dict[str, Any]:
    published = _published_lessons(course.pk)
    done = set(
        LessonCompletion.objects.filter(student=student, lesson__in=published).values_list(
            "lesson_id", flat=True
        )
    )
    total = published.count()
    return {
        "completed_lessons": len(done),
        "total_lessons": total,
        "percent": round(100 * len(done) / total) if total else 0,
        "completed_lesson_ids": sorted(done),
    }


def course_list_for_student(*, student: Any) -> QuerySet[Course]:
    """The student's courses with ``lesson_count`` (published) and ``completed_count``."""
    done = Q(
        modules__is_published=True,
        modules__lessons__is_published=True,
        modules__lessons__completions__student=student,
    )
    return course_list_visible(user=student).annotate(
        completed_count=Count("modules__lessons__completions", filter=done, distinct=True)
    )

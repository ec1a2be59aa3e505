"""Input and output shapes of the courses API."""

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses import selectors
from courses.models import Audience, Cohort, Course, Lesson, LessonFile, Module, Term
from lms.accounts.models import LANGUAGE_CHOICES


class CourseInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=100)
    grade_level = serializers.IntegerField(
        min_value=1, max_value=12, required=False, allow_null=True, default=None
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES)
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.STUDENTS)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class CourseOutput(serializers.ModelSerializer[Course]):
    school_name = serializers.CharField(source="school.name", read_only=True)
    module_count = serializers.IntegerField(read_only=True, default=None)
    lesson_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Course
        fields: tuple[str, ...] = selectors.COURSE_ROW_FIELDS
        read_only_fields: tuple[str, ...] = fields


def course_list_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``CourseOutput``'s shape from ``selectors.course_rows``: the list skips a serializer per
    row (a test holds the two shapes equal)."""
    when = serializers.DateTimeField()  # the reader's time zone, as CourseOutput gives it
    return [{**row, "updated_at": when.to_representation(row["updated_at"])} for row in rows]


class DataCostOutput(serializers.Serializer[Any]):
    bytes = serializers.IntegerField()
    megabytes = serializers.FloatField()
    external_video = serializers.BooleanField()


class LessonSummaryOutput(serializers.ModelSerializer[Lesson]):
    data_cost = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields: tuple[str, ...] = (
            "id",
            "title",
            "position",
            "is_published",
            "video_url",
            "data_cost",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_data_cost(self, lesson: Lesson) -> dict[str, Any]:
        return DataCostOutput(selectors.lesson_data_cost(lesson=lesson)).data


class ModuleOutput(serializers.ModelSerializer[Module]):
    lessons = LessonSummaryOutput(many=True, read_only=True)

    class Meta:
        model = Module
        fields = ("id", "title", "position", "is_published", "lessons")
        read_only_fields: tuple[str, ...] = fields


class CourseOutlineOutput(CourseOutput):
    modules = ModuleOutput(many=True, read_only=True)

    class Meta(CourseOutput.Meta):
        fields = (*CourseOutput.Meta.fields, "modules")
        read_only_fields: tuple[str, ...] = fields


class ModuleInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    is_published = serializers.BooleanField(required=False)


class LessonInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    is_published = serializers.BooleanField(required=False)
    body_markdown = serializers.CharField(required=False, allow_blank=True, max_length=200_000)
    video_url = serializers.URLField(required=False, allow_blank=True)


class LessonFileInput(serializers.Serializer[Any]):
    file = serializers.FileField()
    kind = serializers.ChoiceField(
        choices=LessonFile.Kind.choices, default=LessonFile.Kind.ATTACHMENT
    )


class LessonFileOutput(serializers.ModelSerializer[LessonFile]):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = LessonFile
        fields = ("id", "kind", "original_name", "content_type", "size", "download_url")
        read_only_fields = fields

    def get_download_url(self, lesson_file: LessonFile) -> str:
        return reverse("api:lesson-file-download", args=[lesson_file.pk])


class LessonOutput(LessonSummaryOutput):
    module = serializers.IntegerField(source="module_id", read_only=True)
    body_html = serializers.CharField(read_only=True)
    files = serializers.SerializerMethodField()

    @extend_schema_field(LessonFileOutput(many=True))
    def get_files(self, lesson: Lesson) -> Any:
        return LessonFileOutput(lesson.files.all(), many=True).data

    class Meta(LessonSummaryOutput.Meta):
        fields: tuple[str, ...] = (*LessonSummaryOutput.Meta.fields, "module", "body_html", "files")
        read_only_fields: tuple[str, ...] = fields


class LessonAuthorOutput(LessonOutput):
    """What the lesson's authors get: the Markdown source too, for editing."""

    body_markdown = serializers.CharField(read_only=True)

    class Meta(LessonOutput.Meta):
        fields = (*LessonOutput.Meta.fields, "body_markdown")
        read_only_fields: tuple[str, ...] = fields


def lesson_output(lesson: Lesson, *, for_author: bool) -> dict[str, Any]:
    """``LessonOutput`` (or ``LessonAuthorOutput``) built by hand: reading a lesson is the
    request a class makes most, and a serializer costs more than the lesson's query. The
    serializers stay the schema; a test holds the two shapes equal."""
    shape: dict[str, Any] = {
        "id": lesson.pk,
        "title": lesson.title,
        "position": lesson.position,
        "is_published": lesson.is_published,
        "video_url": lesson.video_url,
        "data_cost": selectors.lesson_data_cost(lesson=lesson),
        "module": lesson.module_id,
        "body_html": lesson.body_html,
        "files": [
            {
                "id": item.pk,
                "kind": item.kind,
                "original_name": item.original_name,
                "content_type": item.content_type,
                "size": item.size,
                "download_url": reverse("api:lesson-file-download", args=[item.pk]),
            }
            for item in lesson.files.all()
        ],
    }
    if for_author:
        shape["body_markdown"] = lesson.body_markdown
    return shape


class MoveInput(serializers.Serializer[Any]):
    position = serializers.IntegerField(min_value=0)
    module = serializers.IntegerField(required=False, help_text="Another module of the course.")


# --- terms, classes, enrolment, progress ------------------------------------------------------
class TermInput(serializers.Serializer[Any]):
    school = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class TermOutput(serializers.ModelSerializer[Term]):
    class Meta:
        model = Term
        fields = ("id", "school", "name", "starts_on", "ends_on")
        read_only_fields = fields


class CohortInput(serializers.Serializer[Any]):
    term = serializers.IntegerField()
    course = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    teachers = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    allow_self_enrol = serializers.BooleanField(default=False)


class CohortUpdateInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    teachers = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, required=False
    )
    allow_self_enrol = serializers.BooleanField(required=False)


class CohortOutput(serializers.ModelSerializer[Cohort]):
    course_title = serializers.CharField(source="course.title", read_only=True)
    school = serializers.IntegerField(source="term.school_id", read_only=True)
    student_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Cohort
        fields: tuple[str, ...] = (
            "id",
            "name",
            "course",
            "course_title",
            "term",
            "school",
            "allow_self_enrol",
            "student_count",
        )
        read_only_fields: tuple[str, ...] = fields


class CohortManagerOutput(CohortOutput):
    """For the class's administrators and teachers: the join code and the teachers."""

    class Meta(CohortOutput.Meta):
        fields: tuple[str, ...] = (*CohortOutput.Meta.fields, "join_code", "teachers")
        read_only_fields: tuple[str, ...] = fields


class EnrolmentInput(serializers.Serializer[Any]):
    student = serializers.IntegerField()


class RosterRowOutput(serializers.Serializer[Any]):
    student = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    school = serializers.CharField(allow_null=True)
    enrolled_at = serializers.DateTimeField()
    completed_lessons = serializers.IntegerField()
    total_lessons = serializers.IntegerField()


class JoinInput(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=20)


class ProgressOutput(serializers.Serializer[Any]):
    completed_lessons = serializers.IntegerField()
    total_lessons = serializers.IntegerField()
    percent = serializers.IntegerField()
    completed_lesson_ids = serializers.ListField(child=serializers.IntegerField())


class TeacherInput(serializers.Serializer[Any]):
    teacher = serializers.IntegerField()


class AuthorOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()

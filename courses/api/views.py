"""REST endpoints for authoring and reading courses. Thin: parse, authorise, call one service
or selector, shape the answer."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import policies, selectors, services, uploads
from courses.api import serializers as s
from courses.models import Cohort, Course, Lesson, LessonFile, Module, Term
from lms.accounts import selectors as accounts_selectors
from lms.accounts.api.requests import request_person
from lms.accounts.models import User
from lms.exports import csv_response


class CourseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Course]
):
    """Courses: teachers write them; administrators see their schools' courses."""

    serializer_class = s.CourseOutput
    lookup_value_regex = "[0-9]+"
    filterset_fields = ("audience", "language", "grade_level", "school")
    search_fields = ("title", "subject")
    ordering_fields = ("title", "updated_at")

    def get_queryset(self) -> QuerySet[Course]:
        return selectors.course_list_visible(user=self.request.user)

    def get_object(self) -> Course:
        pk = self.kwargs["pk"]
        course = selectors.course_visible(user=self.request.user, course_id=int(pk))
        if course is None:
            raise Http404
        return course

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        courses = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(selectors.course_rows(courses=courses))
        return self.get_paginated_response(s.course_list_rows(page or []))

    @extend_schema(responses=s.CourseOutlineOutput)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.get_object()
        outline = selectors.course_outline(course=course, user=request.user)
        return Response(
            {**s.CourseOutput(course).data, "modules": s.ModuleOutput(outline, many=True).data}
        )

    @extend_schema(request=s.CourseInput, responses={201: s.CourseOutput})
    def create(self, request: Request) -> Response:
        if not policies.can_create_course(request_person(request)):
            raise PermissionDenied
        data = s.CourseInput(data=request.data)
        data.is_valid(raise_exception=True)
        course = services.course_create(by=request_person(request), **data.validated_data)
        course = self.get_queryset().get(pk=course.pk)  # with its counts
        return Response(s.CourseOutput(course).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CourseInput(partial=True), responses=s.CourseOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        course = self._editable()
        data = s.CourseInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        course = services.course_update(
            course=course, by=request_person(request), data=data.validated_data
        )
        course = self.get_queryset().get(pk=course.pk)  # with its counts
        return Response(s.CourseOutput(course).data)

    @extend_schema(request=s.ModuleInput, responses={201: s.ModuleOutput})
    @action(detail=True, methods=["post"])
    def modules(self, request: Request, pk: str) -> Response:
        """Add a module at the end of the course."""
        course = self._editable()
        data = s.ModuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_create(
            course=course, by=request_person(request), title=data.validated_data["title"]
        )
        return Response(s.ModuleOutput(module).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TeacherInput, responses=s.AuthorOutput(many=True))
    @action(detail=True, methods=["get", "post"])
    def teachers(self, request: Request, pk: str) -> Response:
        """The course's authors; an author adds a colleague of the region (POST)."""
        course = self.get_object()
        if request.method == "POST":
            course = self._editable()
            data = s.TeacherInput(data=request.data)
            data.is_valid(raise_exception=True)
            teacher = (
                User.objects.select_related("school")
                .filter(pk=data.validated_data["teacher"])
                .first()
            )
            if teacher is None:
                raise s.serializers.ValidationError({"teacher": [_("Choose an active teacher.")]})
            services.course_teacher_add(course=course, by=request_person(request), teacher=teacher)
        authors = course.teachers.order_by("last_name", "first_name")
        return Response(s.AuthorOutput(authors, many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"teachers/(?P<teacher_id>[0-9]+)")
    def teacher_remove(self, request: Request, pk: str, teacher_id: str) -> Response:
        course = self._editable()
        teacher = get_object_or_404(course.teachers.all(), pk=teacher_id)
        services.course_teacher_remove(course=course, by=request_person(request), teacher=teacher)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _editable(self) -> Course:
        course = self.get_object()
        if not policies.can_edit_course(request_person(self.request), course):
            raise PermissionDenied
        return course


def _module_for_author(request: Request, module_id: str) -> Module:
    module = selectors.module_visible(user=request.user, module_id=int(module_id))
    if module is None:
        raise Http404
    if not policies.can_edit_course(request_person(request), module.course):
        raise PermissionDenied
    return module


class ModuleViewSet(viewsets.ViewSet):
    """A module of a course: rename, publish, move, delete, add lessons (authors only)."""

    queryset = Module.objects.none()  # for the schema: ids are integers
    lookup_value_regex = "[0-9]+"

    @extend_schema(request=s.ModuleInput(partial=True), responses=s.ModuleOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        module = _module_for_author(request, pk)
        data = s.ModuleInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        module = services.module_update(
            module=module, by=request_person(request), data=data.validated_data
        )
        return Response(s.ModuleOutput(module).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.module_delete(module=_module_for_author(request, pk), by=request_person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.MoveInput, responses=s.ModuleOutput)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        module = _module_for_author(request, pk)
        data = s.MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        module = services.module_move(
            module=module, by=request_person(request), position=data.validated_data["position"]
        )
        return Response(s.ModuleOutput(module).data)

    @extend_schema(request=s.LessonInput, responses={201: s.LessonAuthorOutput})
    @action(detail=True, methods=["post"])
    def lessons(self, request: Request, pk: str) -> Response:
        """Add a lesson at the end of the module."""
        module = _module_for_author(request, pk)
        data = s.LessonInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("is_published", None)
        lesson = services.lesson_create(module=module, by=request_person(request), **fields)
        return Response(s.LessonAuthorOutput(lesson).data, status=status.HTTP_201_CREATED)


class LessonViewSet(viewsets.ViewSet):
    """A lesson: read it (published, or drafts for its authors); authors edit, move, delete."""

    queryset = Lesson.objects.none()  # for the schema: ids are integers
    lookup_value_regex = "[0-9]+"

    def _visible(self, request: Request, pk: str) -> Lesson:
        lesson = selectors.lesson_visible(user=request.user, lesson_id=int(pk))
        if lesson is None:
            raise Http404
        return lesson

    def _editable(self, request: Request, pk: str) -> Lesson:
        lesson = self._visible(request, pk)
        if not policies.can_edit_course(request_person(request), lesson.module.course):
            raise PermissionDenied
        return lesson

    def _shape(self, request: Request, lesson: Lesson) -> dict[str, Any]:
        for_author = policies.can_edit_course(request.user, lesson.module.course)
        return s.lesson_output(lesson, for_author=for_author)

    @extend_schema(responses=s.LessonAuthorOutput)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self._shape(request, self._visible(request, pk)))

    @extend_schema(request=s.LessonInput(partial=True), responses=s.LessonAuthorOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        lesson = self._editable(request, pk)
        data = s.LessonInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        lesson = services.lesson_update(
            lesson=lesson, by=request_person(request), data=data.validated_data
        )
        return Response(s.LessonAuthorOutput(lesson).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        services.lesson_delete(lesson=self._editable(request, pk), by=request_person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.MoveInput, responses=s.LessonAuthorOutput)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        lesson = self._editable(request, pk)
        data = s.MoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        target = None
        if "module" in data.validated_data:
            target = Module.objects.filter(
                pk=data.validated_data["module"], course_id=lesson.module.course_id
            ).first()
            if target is None:
                raise s.serializers.ValidationError(
                    {"module": [_("Choose a module of the same course.")]}
                )
        lesson = services.lesson_move(
            lesson=lesson,
            by=request_person(request),
            position=data.validated_data["position"],
            module=target,
        )
        return Response(s.LessonAuthorOutput(lesson).data)


# --- terms, classes, enrolment, progress ------------------------------------------------------
class TermViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Term]):
    """Terms of the schools an administrator runs."""

    serializer_class = s.TermOutput
    filterset_fields = ("school",)

    def get_queryset(self) -> QuerySet[Term]:
        return selectors.term_list_visible(user=self.request.user)

    @extend_schema(request=s.TermInput, responses={201: s.TermOutput})
    def create(self, request: Request) -> Response:
        data = s.TermInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        school = (
            accounts_selectors.school_list_visible(user=request.user)
            .filter(pk=fields.pop("school"))
            .first()
        )
        if school is None:
            raise s.serializers.ValidationError({"school": [_("Choose one of your schools.")]})
        term = services.term_create(by=request_person(request), school=school, **fields)
        return Response(s.TermOutput(term).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.TermInput(partial=True), responses=s.TermOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        term = self.get_object()
        data = s.TermInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("school", None)
        term = services.term_update(term=term, by=request_person(request), data=fields)
        return Response(s.TermOutput(term).data)


def _teachers(ids: list[int]) -> list[User]:
    teachers = list(User.objects.filter(pk__in=ids))
    if len(teachers) != len(set(ids)):
        raise s.serializers.ValidationError({"teachers": [_("Choose one or more teachers.")]})
    return teachers


class CohortViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Cohort]
):
    """Classes: one offering of a course in a term. Administrators create them and enrol
    students; teachers see their rosters; students join with a code."""

    serializer_class = s.CohortOutput
    filterset_fields = ("term", "course")
    search_fields = ("name",)

    def get_queryset(self) -> QuerySet[Cohort]:
        return selectors.cohort_list_visible(user=self.request.user)

    def _shape(self, cohort: Cohort) -> dict[str, Any]:
        if policies.can_view_roster(self.request.user, cohort):
            return s.CohortManagerOutput(cohort).data
        return s.CohortOutput(cohort).data

    @extend_schema(responses=s.CohortManagerOutput)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._shape(self.get_object()))

    @extend_schema(request=s.CohortInput, responses={201: s.CohortManagerOutput})
    def create(self, request: Request) -> Response:
        data = s.CohortInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        term = selectors.term_list_visible(user=request.user).filter(pk=fields.pop("term")).first()
        if term is None:
            raise s.serializers.ValidationError({"term": [_("Choose a term of your school.")]})
        course = (
            selectors.course_list_visible(user=request.user).filter(pk=fields["course"]).first()
            or Course.objects.filter(
                pk=fields["course"], school__region_id=term.school.region_id
            ).first()
        )
        if course is None:
            raise s.serializers.ValidationError({"course": [_("Choose a course.")]})
        fields["course"] = course
        fields["teachers"] = _teachers(fields["teachers"])
        cohort = services.cohort_create(by=request_person(request), term=term, **fields)
        cohort = self.get_queryset().get(pk=cohort.pk)
        return Response(s.CohortManagerOutput(cohort).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CohortUpdateInput, responses=s.CohortManagerOutput)
    def partial_update(self, request: Request, pk: str) -> Response:
        cohort = self._managed()
        data = s.CohortUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        teachers = _teachers(fields.pop("teachers")) if "teachers" in fields else None
        services.cohort_update(
            cohort=cohort, by=request_person(request), data=fields, teachers=teachers
        )
        return Response(s.CohortManagerOutput(self.get_queryset().get(pk=cohort.pk)).data)

    @extend_schema(request=None, responses=s.CohortManagerOutput)
    @action(detail=True, methods=["post"], url_path="renew-code")
    def renew_code(self, request: Request, pk: str) -> Response:
        cohort = services.cohort_join_code_renew(cohort=self._managed(), by=request_person(request))
        return Response(s.CohortManagerOutput(self.get_queryset().get(pk=cohort.pk)).data)

    @extend_schema(request=s.EnrolmentInput, responses={200: s.RosterRowOutput(many=True)})
    @action(detail=True, methods=["get", "post"])
    def enrolments(self, request: Request, pk: str) -> Response:
        """GET: the roster with each student's progress. POST: enrol one student."""
        cohort = self.get_object()
        if request.method == "POST":
            data = s.EnrolmentInput(data=request.data)
            data.is_valid(raise_exception=True)
            student = (
                accounts_selectors.person_list_visible(user=request.user)
                .filter(pk=data.validated_data["student"])
                .first()
            )
            if student is None:
                raise s.serializers.ValidationError({"student": [_("Choose a student.")]})
            _enrolment, created = services.enrolment_create(
                cohort=cohort, student=student, by=request_person(request)
            )
            code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        else:
            code = status.HTTP_200_OK
        if not policies.can_view_roster(request.user, cohort):
            if request.method == "POST":
                return Response(status=code)
            raise PermissionDenied
        rows = selectors.roster_for_cohort(cohort=cohort)
        return Response(s.RosterRowOutput(rows, many=True).data, status=code)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="roster.csv")
    def roster_csv(self, request: Request, pk: str) -> HttpResponse:
        """The roster with progress as a CSV file (UTF-8 with BOM), for the class's teachers
        and administrators."""
        cohort = self.get_object()
        if not policies.can_view_roster(request.user, cohort):
            raise PermissionDenied
        rows = selectors.roster_for_cohort(cohort=cohort)
        return csv_response(
            f"class-{cohort.pk}-roster.csv",
            ["username", "last_name", "first_name", "school", "completed_lessons",
             "total_lessons", "enrolled_at"],
            (
                [row["username"], row["last_name"], row["first_name"], row["school"],
                 row["completed_lessons"], row["total_lessons"], row["enrolled_at"].isoformat()]
                for row in rows
            ),
        )  # fmt: skip

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"enrolments/(?P<student_id>[0-9]+)")
    def unenrol(self, request: Request, pk: str, student_id: str) -> Response:
        cohort = self.get_object()
        if policies.can_manage_cohort(request.user, cohort):
            # The class's administrators see every pupil in it, from whatever school.
            students = User.objects.filter(enrolments__cohort=cohort)
        else:
            students = accounts_selectors.person_list_visible(user=request.user)
        student = get_object_or_404(students, pk=student_id)
        services.enrolment_delete(cohort=cohort, student=student, by=request_person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.JoinInput, responses={201: s.CohortOutput})
    @action(detail=False, methods=["post"])
    def join(self, request: Request) -> Response:
        """A student joins a class with its code (when the class allows it)."""
        data = s.JoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        enrolment = services.cohort_join(
            student=request_person(request), code=data.validated_data["code"]
        )
        return Response(s.CohortOutput(enrolment.cohort).data, status=status.HTTP_201_CREATED)

    def _managed(self) -> Cohort:
        cohort = self.get_object()
        if not policies.can_manage_cohort(request_person(self.request), cohort):
            raise PermissionDenied
        return cohort


class LessonProgressViewSet(viewsets.ViewSet):
    """A student marks a lesson complete, or takes that back."""

    queryset = Lesson.objects.none()
    lookup_value_regex = "[0-9]+"

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post", "delete"])
    def complete(self, request: Request, pk: str) -> Response:
        lesson = selectors.lesson_visible(user=request.user, lesson_id=int(pk))
        if lesson is None:
            raise Http404
        if request.method == "POST":
            services.lesson_complete(lesson=lesson, student=request_person(request))
        else:
            services.lesson_uncomplete(lesson=lesson, student=request_person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseProgressApi(APIView):
    @extend_schema(responses=s.ProgressOutput)
    def get(self, request: Request, course_id: int) -> Response:
        """The signed-in student's progress in a course."""
        course = get_object_or_404(selectors.course_list_visible(user=request.user), pk=course_id)
        progress = selectors.progress_for_student(student=request_person(request), course=course)
        return Response(s.ProgressOutput(progress).data)


class LessonFileApi(APIView):
    """Upload a file to a lesson (authors): a video (MP4, WebM) or an attachment (PDF, image,
    audio), recognised from its bytes."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": s.LessonFileInput}, responses={201: s.LessonFileOutput}
    )
    def post(self, request: Request, lesson_id: int) -> Response:
        lesson = selectors.lesson_visible(user=request.user, lesson_id=lesson_id)
        if lesson is None:
            raise Http404
        if not policies.can_edit_course(request_person(request), lesson.module.course):
            raise PermissionDenied
        data = s.LessonFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        lesson_file = services.lesson_file_add(
            lesson=lesson,
            by=request_person(request),
            upload=data.validated_data["file"],
            kind=data.validated_data["kind"],
        )
        return Response(s.LessonFileOutput(lesson_file).data, status=status.HTTP_201_CREATED)


def _visible_file(request: Request, file_id: int) -> LessonFile:
    lesson_file = LessonFile.objects.filter(pk=file_id).only("pk", "lesson_id").first()
    if lesson_file is None:
        raise Http404
    lesson = selectors.lesson_visible(user=request.user, lesson_id=lesson_file.lesson_id)
    if lesson is None:
        raise Http404
    return next(item for item in lesson.files.all() if item.pk == lesson_file.pk)


class LessonFileDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, file_id: int) -> Response:
        services.lesson_file_delete(
            lesson_file=_visible_file(request, file_id), by=request_person(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LessonFileDownloadApi(APIView):
    """The file, with the type found in its bytes. Images, audio, video and PDF may be shown
    in the page; nothing else is served inline, and browsers are told not to guess types."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, file_id: int) -> HttpResponseBase:
        lesson_file = _visible_file(request, file_id)
        return uploads.stored_file_response(
            request,
            lesson_file.file,
            content_type=lesson_file.content_type,
            name=lesson_file.original_name,
        )

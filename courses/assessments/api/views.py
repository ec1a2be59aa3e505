"""REST endpoints of a course's question bank. Thin: parse, authorise, call, shape."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.assessments import policies, selectors, services
from courses.assessments.api import serializers as s
from courses.assessments.models import Question
from courses.models import Course
from lms.accounts.api.requests import request_person
from lms.api import StandardPagination
from lms.errors import ApplicationError

MAX_GIFT_BYTES = 2_000_000


def _course(request: Request, course_id: int) -> Course:
    course = course_selectors.course_visible(user=request.user, course_id=course_id)
    if course is None:
        raise Http404
    if not policies.can_view_bank(request.user, course):
        raise PermissionDenied
    return course


def _question(request: Request, question_id: int) -> Question:
    question = Question.objects.select_related("course__school").filter(pk=question_id).first()
    visible = question is not None and course_selectors.course_visible(
        user=request.user, course_id=question.course_id
    )
    if question is None or not visible or not policies.can_view_bank(request.user, question.course):
        raise Http404
    found = selectors.question_list_for_course(course=question.course, user=request.user)
    return found.get(pk=question.pk)


class CourseQuestionsApi(APIView):
    @extend_schema(operation_id="course_questions_list", responses=s.QuestionOutput(many=True))
    def get(self, request: Request, course_id: int) -> Response:
        """The course's question bank, answer keys included: for its authors and the teachers
        of its classes."""
        course = _course(request, course_id)
        paginator = StandardPagination()
        questions = selectors.question_list_for_course(course=course, user=request.user)
        page = paginator.paginate_queryset(questions, request, view=self)
        return paginator.get_paginated_response(s.QuestionOutput(page, many=True).data)

    @extend_schema(
        operation_id="course_questions_create",
        request=s.QuestionInput,
        responses={201: s.QuestionOutput},
    )
    def post(self, request: Request, course_id: int) -> Response:
        course = _course(request, course_id)
        if not policies.can_manage_bank(request.user, course):
            raise PermissionDenied
        data = s.QuestionInput(data=request.data)
        data.is_valid(raise_exception=True)
        question = services.question_create(
            course=course, by=request_person(request), **data.validated_data
        )
        return Response(
            s.QuestionOutput(_question(request, question.pk)).data, status=status.HTTP_201_CREATED
        )


class QuestionDetailApi(APIView):
    @extend_schema(responses=s.QuestionOutput)
    def get(self, request: Request, question_id: int) -> Response:
        return Response(s.QuestionOutput(_question(request, question_id)).data)

    @extend_schema(request=s.QuestionInput(partial=True), responses=s.QuestionOutput)
    def patch(self, request: Request, question_id: int) -> Response:
        """Change a question; ``keys``, when sent, replace all of its keys."""
        question = _question(request, question_id)
        if not policies.can_manage_bank(request.user, question.course):
            raise PermissionDenied
        data = s.QuestionInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.question_update(
            question=question, by=request_person(request), data=data.validated_data
        )
        return Response(s.QuestionOutput(_question(request, question_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, question_id: int) -> Response:
        question = _question(request, question_id)
        services.question_delete(question=question, by=request_person(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CourseObjectivesApi(APIView):
    @extend_schema(operation_id="course_objectives_list", responses=s.ObjectiveOutput(many=True))
    def get(self, request: Request, course_id: int) -> Response:
        """The learning objectives the course's questions are tagged with."""
        course = _course(request, course_id)
        objectives = selectors.objective_list_for_course(course=course, user=request.user)
        counted = objectives.annotate(question_count=Count("questions")).order_by("code")
        return Response(s.ObjectiveOutput(counted, many=True).data)


class GiftImportApi(APIView):
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(
        operation_id="course_questions_import",
        request={"multipart/form-data": s.GiftImportInput},
        responses={
            200: s.GiftImportOutput,
            400: OpenApiResponse(description="The file is missing, too large or not UTF-8."),
        },
    )
    def post(self, request: Request, course_id: int) -> Response:
        """Add questions from a Moodle GIFT file. The dry run lists the questions it read and
        every error with its line, and writes nothing; apply adds every question, or none if
        the file has any error."""
        course = _course(request, course_id)
        if not policies.can_manage_bank(request.user, course):
            raise PermissionDenied
        data = s.GiftImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        content = data.validated_data["file"].read(MAX_GIFT_BYTES + 1)
        if len(content) > MAX_GIFT_BYTES:
            message = _("The file is larger than 2 MB; split it into smaller files.")
            raise ApplicationError("file_too_large", message, fields={"file": [message]})
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            message = _("The file is not UTF-8 text: save it as UTF-8 and try again.")
            raise ApplicationError("invalid", message, fields={"file": [message]}) from error
        report = services.questions_import_gift(
            course=course,
            by=request_person(request),
            text=text,
            apply=data.validated_data["mode"] == "apply",
        )
        return Response(s.GiftImportOutput(report).data)

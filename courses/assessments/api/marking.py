"""REST endpoints of work marked by hand: a pupil hands in an assignment; its teachers see
what waits for them, read a submission and mark it (and may mark it again), and may lift an
override to give the grade back to the marked work."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses import uploads
from courses.assessments import policies, selectors, services
from courses.assessments.api import serializers as s
from courses.assessments.api.taking import _assessment, _managed, _pupil
from courses.assessments.models import Attempt, SubmissionFile
from courses.models import Cohort
from lms.accounts.api.requests import request_person


def _attempt_to_mark(request: Request, attempt_id: int) -> Attempt:
    """A handed-in attempt of a class the reader teaches; anything else is not found."""
    attempt = selectors.attempt_to_mark(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    return attempt


class SubmissionsApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(operation_id="assessment_submissions_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, assessment_id: int) -> Response:
        """Every handed-in attempt of the quiz or assignment, for its class's teachers."""
        assessment = _managed(request, assessment_id)
        return Response(selectors.submissions_for_assessment(assessment=assessment))

    @extend_schema(
        operation_id="assessment_submissions_create",
        request={"multipart/form-data": s.SubmissionInput},
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, assessment_id: int) -> Response:
        """Hand in the assignment: text, files (up to five), or both."""
        assessment = _assessment(request, assessment_id)
        data = s.SubmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.submission_hand_in(
            assessment=assessment,
            student=request_person(request),
            text=data.validated_data.get("text", ""),
            files=data.validated_data["files"],
        )
        return Response(
            selectors.attempt_for_student(attempt=attempt), status=status.HTTP_201_CREATED
        )


class CohortMarkingQueueApi(APIView):
    @extend_schema(operation_id="class_marking_queue", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, cohort_id: int) -> Response:
        """Work of the class waiting to be marked, oldest first: for its teachers."""
        cohort = get_object_or_404(
            course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
        )
        if not policies.can_manage_assessments(request.user, cohort):
            raise PermissionDenied
        cohorts = Cohort.objects.filter(pk=cohort.pk)
        return Response(selectors.marking_queue(cohorts=cohorts))


class MarkingQueueApi(APIView):
    @extend_schema(operation_id="marking_queue", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        """Work waiting to be marked in every class the reader teaches, oldest first."""
        return Response(
            selectors.marking_queue(cohorts=selectors.cohorts_taught(user=request.user))
        )


class AttemptMarkingApi(APIView):
    @extend_schema(operation_id="attempt_marking_read", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, attempt_id: int) -> Response:
        """A handed-in attempt as its teacher marks it (answers, right answers, rubric)."""
        attempt = _attempt_to_mark(request, attempt_id)
        return Response(selectors.attempt_for_marking(attempt=attempt))

    @extend_schema(
        operation_id="attempt_marking_save", request=s.MarkInput, responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        """Mark the attempt: points and a comment per rubric criterion (an assignment) or per
        essay (a quiz), and feedback. Marking again replaces the marks."""
        attempt = _attempt_to_mark(request, attempt_id)
        data = s.MarkInput(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.attempt_mark(
            attempt=attempt,
            by=request_person(request),
            rubric=[dict(item) for item in data.validated_data["rubric"]],
            answers=[dict(item) for item in data.validated_data["answers"]],
            feedback=data.validated_data["feedback"],
        )
        return Response(selectors.attempt_for_marking(attempt=attempt))


class GradeOverrideLiftApi(APIView):
    @extend_schema(request=s.ReasonInput, responses=s.GradeOutput)
    def post(self, request: Request, assessment_id: int, student_id: int) -> Response:
        """Undo an override: the grade goes back to what the pupil's marked work gives."""
        assessment = _managed(request, assessment_id)
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        grade = services.grade_override_lift(
            assessment=assessment,
            student=_pupil(assessment, student_id),
            by=request_person(request),
            reason=data.validated_data["reason"],
        )
        return Response(s.GradeOutput(grade).data)


class SubmissionFileDownloadApi(APIView):
    """A handed-in file, for the pupil who handed it in and the class's teachers, with the
    type found in its bytes; only images, audio and PDF may be shown in the page."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, file_id: int) -> HttpResponseBase:
        item = (
            SubmissionFile.objects.select_related("attempt__assessment__cohort")
            .filter(pk=file_id)
            .first()
        )
        if item is None or not (
            item.attempt.student_id == request.user.pk
            or policies.can_manage_assessments(request.user, item.attempt.assessment.cohort)
        ):
            raise Http404
        return uploads.stored_file_response(
            request, item.file, content_type=item.content_type, name=item.original_name
        )

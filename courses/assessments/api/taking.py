"""REST endpoints of a class's quizzes and assignments: teachers build, publish and override
grades; pupils start, answer, submit and read their attempts as the reveal policy allows."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.assessments import policies, selectors, services
from courses.assessments.api import serializers as s
from courses.assessments.models import Assessment, Attempt, Grade
from lms.accounts.api.requests import request_person
from lms.accounts.models import User


def _assessment(request: Request, assessment_id: int) -> Assessment:
    assessment = selectors.assessment_visible(user=request.user, assessment_id=assessment_id)
    if assessment is None:
        raise Http404
    return assessment


def _managed(request: Request, assessment_id: int) -> Assessment:
    assessment = _assessment(request, assessment_id)
    if not policies.can_manage_assessments(request.user, assessment.cohort):
        raise PermissionDenied
    return assessment


def _own_attempt(request: Request, attempt_id: int) -> Attempt:
    """A pupil's own attempt, while they may take the assessment; anything else is not
    found."""
    attempt = selectors.attempt_own(user=request.user, attempt_id=attempt_id)
    if attempt is None:
        raise Http404
    return attempt


class CohortAssessmentsApi(APIView):
    @extend_schema(operation_id="class_assessments_list", responses=s.AssessmentOutput(many=True))
    def get(self, request: Request, cohort_id: int) -> Response:
        """The class's quizzes and assignments: all of them for its teachers, the published
        ones for its pupils."""
        cohort = get_object_or_404(
            course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
        )
        assessments = selectors.assessment_list_for_cohort(cohort=cohort, user=request.user)
        return Response(s.AssessmentOutput(assessments, many=True).data)

    @extend_schema(
        operation_id="class_assessments_create",
        request=s.AssessmentInput,
        responses={201: s.AssessmentOutput},
    )
    def post(self, request: Request, cohort_id: int) -> Response:
        """A draft quiz (questions from the course's bank) or assignment (a rubric)."""
        cohort = get_object_or_404(
            course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
        )
        if not policies.can_manage_assessments(request.user, cohort):
            raise PermissionDenied
        data = s.AssessmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["questions"] = [dict(item) for item in fields.get("questions", [])]
        fields["rubric"] = [dict(item) for item in fields.get("rubric", [])]
        assessment = services.assessment_create(cohort=cohort, by=request_person(request), **fields)
        return Response(s.AssessmentOutput(assessment).data, status=status.HTTP_201_CREATED)


class AssessmentDetailApi(APIView):
    @extend_schema(responses=s.AssessmentOutput)
    def get(self, request: Request, assessment_id: int) -> Response:
        return Response(s.AssessmentOutput(_assessment(request, assessment_id)).data)


class AssessmentPublishApi(APIView):
    @extend_schema(request=s.PublishInput, responses=s.AssessmentOutput)
    def post(self, request: Request, assessment_id: int) -> Response:
        assessment = _managed(request, assessment_id)
        data = s.PublishInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.assessment_publish(
            assessment=assessment,
            by=request_person(request),
            published=data.validated_data["published"],
        )
        return Response(s.AssessmentOutput(assessment).data)


class AttemptStartApi(APIView):
    @extend_schema(request=None, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, assessment_id: int) -> Response:
        """Start an attempt (or get back the one in progress): the questions to answer."""
        assessment = _assessment(request, assessment_id)
        attempt = services.attempt_start(assessment=assessment, student=request_person(request))
        return Response(
            selectors.attempt_for_student(attempt=attempt), status=status.HTTP_201_CREATED
        )


class AttemptDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, attempt_id: int) -> Response:
        """One's own attempt: answers so far; after grading, the score, feedback and right
        answers only as the assessment's reveal policy allows."""
        return Response(selectors.attempt_for_student(attempt=_own_attempt(request, attempt_id)))


class AnswerSaveApi(APIView):
    @extend_schema(request=s.AnswerInput, responses=s.AnswerOutput)
    def put(self, request: Request, attempt_id: int, question_id: int) -> Response:
        attempt = _own_attempt(request, attempt_id)
        data = s.AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        answer = services.answer_save(
            attempt=attempt,
            student=request_person(request),
            question_id=question_id,
            response=data.validated_data["response"],
            revision=data.validated_data["revision"],
        )
        return Response(s.AnswerOutput(answer).data)


class AttemptSubmitApi(APIView):
    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    def post(self, request: Request, attempt_id: int) -> Response:
        """Hand the attempt in; it is graded in the background (submitting twice changes
        nothing)."""
        attempt = services.attempt_submit(
            attempt=_own_attempt(request, attempt_id), student=request_person(request)
        )
        return Response(
            selectors.attempt_for_student(attempt=attempt), status=status.HTTP_202_ACCEPTED
        )


def _pupil(assessment: Assessment, student_id: int) -> User:
    student = User.objects.filter(pk=student_id).first()
    if student is None or not policies.is_enrolled(student, assessment.cohort):
        raise Http404
    return student


class GradeOverrideApi(APIView):
    @extend_schema(request=s.OverrideInput, responses=s.GradeOutput)
    def post(self, request: Request, assessment_id: int, student_id: int) -> Response:
        """Set a pupil's grade by hand, with a reason (kept in the grade's history)."""
        assessment = _managed(request, assessment_id)
        data = s.OverrideInput(data=request.data)
        data.is_valid(raise_exception=True)
        grade = services.grade_override(
            assessment=assessment,
            student=_pupil(assessment, student_id),
            by=request_person(request),
            points=data.validated_data["points"],
            reason=data.validated_data["reason"],
        )
        return Response(s.GradeOutput(grade).data)


class GradeHistoryApi(APIView):
    @extend_schema(responses=s.GradeChangeOutput(many=True))
    def get(self, request: Request, assessment_id: int, student_id: int) -> Response:
        """Every change to a pupil's grade, oldest first: for the class's teachers."""
        assessment = _managed(request, assessment_id)
        grade = Grade.objects.filter(
            assessment=assessment, student=_pupil(assessment, student_id)
        ).first()
        changes: Any = grade.changes.order_by("version") if grade is not None else []
        return Response(s.GradeChangeOutput(changes, many=True).data)


class GradesPublishApi(APIView):
    @extend_schema(request=None, responses=s.PublishedCountOutput)
    def post(self, request: Request, assessment_id: int) -> Response:
        """Show the assessment's grades (those given so far) to its pupils."""
        assessment = _managed(request, assessment_id)
        count = services.grades_publish(assessment=assessment, by=request_person(request))
        return Response({"published": count})


class MyGradesApi(APIView):
    @extend_schema(operation_id="class_my_grades", responses=s.MyGradeOutput(many=True))
    def get(self, request: Request, cohort_id: int) -> Response:
        """A pupil's own grades in the class: points only once the teacher published them."""
        cohort = get_object_or_404(
            course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
        )
        if not policies.is_enrolled(request.user, cohort):
            raise PermissionDenied
        rows = selectors.grades_for_student(cohort=cohort, student=request.user)
        return Response(s.MyGradeOutput(rows, many=True).data)

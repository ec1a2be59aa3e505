"""The gradebook of a class, as JSON and as a CSV file, and its grade categories: for the
class's teachers."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import selectors as course_selectors
from courses.assessments import policies, services
from courses.assessments.api import serializers as s
from courses.assessments.gradebook import gradebook_for_cohort, gradebook_table
from courses.assessments.models import GradeCategory
from courses.models import Cohort
from lms.accounts.api.requests import request_person
from lms.exports import csv_response


def _taught(request: Request, cohort_id: int) -> Cohort:
    cohort = get_object_or_404(
        course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
    )
    if not policies.can_manage_assessments(request.user, cohort):
        raise PermissionDenied
    return cohort


class GradebookApi(APIView):
    @extend_schema(operation_id="class_gradebook", responses=s.GradebookOutput)
    def get(self, request: Request, cohort_id: int) -> Response:
        """Pupils by assessments with their points, category percentages and weighted total."""
        book = gradebook_for_cohort(cohort=_taught(request, cohort_id))
        return Response(s.GradebookOutput(book).data)


class GradebookCsvApi(APIView):
    @extend_schema(
        operation_id="class_gradebook_csv", responses={(200, "text/csv"): OpenApiTypes.STR}
    )
    def get(self, request: Request, cohort_id: int) -> HttpResponse:
        """The gradebook as a CSV file (UTF-8 with BOM): one row per pupil."""
        cohort = _taught(request, cohort_id)
        header, rows = gradebook_table(gradebook_for_cohort(cohort=cohort))
        return csv_response(f"gradebook-{cohort.pk}.csv", header, rows)


class GradeCategoriesApi(APIView):
    @extend_schema(
        operation_id="class_grade_categories_list", responses=s.CategoryOutput(many=True)
    )
    def get(self, request: Request, cohort_id: int) -> Response:
        cohort = _taught(request, cohort_id)
        return Response(
            s.CategoryOutput(GradeCategory.objects.filter(cohort=cohort), many=True).data
        )

    @extend_schema(
        operation_id="class_grade_categories_create",
        request=s.CategoryInput,
        responses={201: s.CategoryOutput},
    )
    def post(self, request: Request, cohort_id: int) -> Response:
        cohort = _taught(request, cohort_id)
        data = s.CategoryInput(data=request.data)
        data.is_valid(raise_exception=True)
        category = services.grade_category_create(
            cohort=cohort, by=request_person(request), **data.validated_data
        )
        return Response(s.CategoryOutput(category).data, status=status.HTTP_201_CREATED)

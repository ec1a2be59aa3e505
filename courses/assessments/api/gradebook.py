"""The gradebook of a class, as JSON and as a CSV file, grades imported from that file, and its
grade categories: for the class's teachers."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import imports
from courses import selectors as course_selectors
from courses.assessments import policies, services
from courses.assessments.api import serializers as s
from courses.assessments.gradebook import Gradebook, gradebook_for_cohort, gradebook_table
from courses.assessments.models import GradeCategory
from courses.models import Cohort
from lms.accounts.api.requests import request_person
from lms.exports import csv_response


def _taught(request: Request, cohort_id: int) -> Cohort:
    # Only the class's id and teachers are read here: without the selector's joins to the
    # course, term and school, finding the class costs half as much.
    visible = course_selectors.cohort_list_visible(user=request.user).select_related(None)
    cohort = get_object_or_404(visible, pk=cohort_id)
    if not policies.can_manage_assessments(request.user, cohort):
        raise PermissionDenied
    return cohort


def gradebook_output(book: Gradebook) -> dict[str, Any]:
    """``GradebookOutput``'s shape built by hand: a serializer field per cell cost more than
    reading the grades. The serializer stays the schema."""
    when = serializers.DateTimeField()  # the reader's time zone, as the serializer gives it
    assessments = [
        {
            "id": item["id"],
            "title": item["title"],
            "kind": item["kind"],
            "points": str(item["points"]),
            "category_id": item["category_id"],
            "is_published": item["is_published"],
            "due_at": when.to_representation(item["due_at"]),
        }
        for item in book.assessments
    ]
    assessment_keys = [str(item["id"]) for item in book.assessments]
    category_keys = [str(item["id"]) for item in book.categories]
    return {
        "assessments": assessments,
        "categories": [
            {"id": item["id"], "name": item["name"], "weight": str(item["weight"])}
            for item in book.categories
        ],
        "rows": [
            {
                "student": row.student,
                "username": row.username,
                "name": row.name,
                "grades": dict(zip(assessment_keys, row.grades, strict=True)),
                "categories": dict(zip(category_keys, row.categories, strict=True)),
                "total": row.total,
            }
            for row in book.rows
        ],
    }


class GradebookApi(APIView):
    @extend_schema(operation_id="class_gradebook", responses=s.GradebookOutput)
    def get(self, request: Request, cohort_id: int) -> Response:
        """Pupils by assessments with their points, category percentages and weighted total."""
        book = gradebook_for_cohort(cohort=_taught(request, cohort_id))
        return Response(gradebook_output(book))


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


class GradeImportInput(serializers.Serializer[None]):
    file = serializers.FileField(help_text="The gradebook's CSV file with grades typed in.")
    mode = serializers.ChoiceField(choices=("dry-run", "apply"))
    encoding = serializers.ChoiceField(
        choices=tuple(imports.ENCODINGS),
        required=False,
        allow_blank=True,
        help_text="Empty or absent: UTF-8 (with or without BOM) is tried, then Windows-1251.",
    )


class GradesImportApi(APIView):
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(
        operation_id="class_gradebook_import",
        request={"multipart/form-data": GradeImportInput},
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request, cohort_id: int) -> Response:
        """Grades from the gradebook's CSV file: a column per assessment, as exported; blank
        cells change nothing. The dry run lists the changes and every error with its line;
        apply sets every changed grade (by hand, with a history row), or none if any line has
        an error."""
        cohort = _taught(request, cohort_id)
        data = GradeImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        report = services.grades_import(
            cohort=cohort,
            by=request_person(request),
            data=upload.read(imports.MAX_FILE_BYTES + 1),
            apply=data.validated_data["mode"] == "apply",
            encoding=data.validated_data.get("encoding") or None,
            file_name=upload.name or "",
        )
        return Response(report.as_dict())

"""POST /api/v1/classes/<id>/import/: enrol pupils from a CSV file (a dry run, then apply)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import imports, selectors
from lms.accounts.models import User
from lms.errors import ApplicationError

MODES = ("dry-run", "apply")


class EnrolmentImportInput(serializers.Serializer[None]):
    file = serializers.FileField(help_text="CSV, at most 5 MB; the first line names the columns.")
    mode = serializers.ChoiceField(choices=MODES)
    encoding = serializers.ChoiceField(
        choices=tuple(imports.ENCODINGS),
        required=False,
        allow_blank=True,
        help_text="Empty or absent: UTF-8 (with or without BOM) is tried, then Windows-1251.",
    )


# "create" and "errors" are names of Serializer's own members: these fields are declared in
# get_fields() instead of as class attributes.
class ImportCountsOutput(serializers.Serializer[dict[str, int]]):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: serializers.IntegerField()
            for name in ("create", "enrol", "already_enrolled", "error")
        }


class ImportRowOutput(serializers.Serializer[dict[str, Any]]):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "line": serializers.IntegerField(
                help_text="The line of the file (the header is line 1)."
            ),
            "username": serializers.CharField(),
            "action": serializers.ChoiceField(choices=imports.ACTIONS),
            "errors": serializers.DictField(
                child=serializers.ListField(child=serializers.CharField()),
                help_text="Messages by column; 'row' for a line that cannot be read.",
            ),
            "password": serializers.CharField(
                required=False, help_text="Only for a new pupil given a generated password, once."
            ),
        }


class ImportReportOutput(serializers.Serializer[dict[str, Any]]):
    encoding = serializers.ChoiceField(choices=tuple(imports.ENCODINGS))
    mode = serializers.ChoiceField(choices=MODES)
    applied = serializers.BooleanField()
    counts = ImportCountsOutput()
    rows = ImportRowOutput(many=True)


class CohortImportApi(APIView):
    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(
        operation_id="classes_import",
        tags=["classes"],
        request={"multipart/form-data": EnrolmentImportInput},
        responses={
            200: ImportReportOutput,
            400: OpenApiResponse(description="The file cannot be read or its columns are wrong."),
            403: OpenApiResponse(description="You cannot enrol pupils in this class."),
            404: OpenApiResponse(description="No such class among the ones you see."),
        },
    )
    def post(self, request: Request, cohort_id: int) -> Response:
        """Enrol pupils from a CSV file with the columns username (required), first_name,
        last_name, school (a school's code), email and password. The dry run says what would
        happen to each row and writes nothing; apply writes every row, or none if any row has
        an error. Pupils new to Mektep are created as students; those without a password in
        the file get a generated one, returned once in their row."""
        cohort = get_object_or_404(selectors.cohort_list_visible(user=request.user), pk=cohort_id)
        if not imports.can_import_into(request.user, cohort):
            raise PermissionDenied
        data = EnrolmentImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        content = upload.read(imports.MAX_FILE_BYTES + 1)
        if len(content) > imports.MAX_FILE_BYTES:
            message = _("The file is larger than 5 MB; split it into smaller files.")
            raise ApplicationError("file_too_large", message, fields={"file": [message]})
        if not isinstance(request.user, User):
            raise NotAuthenticated
        report = imports.enrolment_import(
            cohort=cohort,
            by=request.user,
            data=content,
            encoding=data.validated_data.get("encoding") or None,
            apply=data.validated_data["mode"] == "apply",
        )
        return Response(ImportReportOutput(report.as_dict()).data)

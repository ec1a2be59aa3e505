"""REST endpoints of classrooms: administrators register their schools' rooms; the staff of
the region see them (to choose the rooms of a live lesson)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classrooms import policies, selectors, services
from classrooms.api import serializers as s
from classrooms.models import Classroom
from lms.accounts.api.requests import request_person


def _visible(request: Request, classroom_id: int) -> Classroom:
    return get_object_or_404(selectors.classroom_list_visible(user=request.user), pk=classroom_id)


class ClassroomsApi(generics.ListAPIView[Classroom]):
    """The classrooms the reader may see (``?school=`` for one school's), and registering one
    in a school the reader runs."""

    serializer_class = s.ClassroomOutput
    filterset_fields = ("school",)

    def get_queryset(self) -> QuerySet[Classroom]:
        return selectors.classroom_list_visible(user=self.request.user).order_by(
            "school__name", "name", "pk"
        )

    @extend_schema(
        operation_id="classrooms_create",
        request=s.ClassroomInput,
        responses={201: s.ClassroomOutput},
    )
    def post(self, request: Request) -> Response:
        if not policies.can_register_somewhere(request.user):
            raise PermissionDenied
        data = s.ClassroomInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        school = (
            selectors.schools_managed(user=request.user).filter(pk=fields.pop("school")).first()
        )
        if school is None:
            raise serializers.ValidationError({"school": [_("Choose one of your schools.")]})
        classroom = services.classroom_create(
            by=request_person(request), school=school, data=fields
        )
        return Response(s.ClassroomOutput(classroom).data, status=status.HTTP_201_CREATED)


class ClassroomDetailApi(APIView):
    @extend_schema(responses=s.ClassroomOutput)
    def get(self, request: Request, classroom_id: int) -> Response:
        return Response(s.ClassroomOutput(_visible(request, classroom_id)).data)

    @extend_schema(request=s.ClassroomChangeInput, responses=s.ClassroomOutput)
    def patch(self, request: Request, classroom_id: int) -> Response:
        classroom = _visible(request, classroom_id)
        data = s.ClassroomChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        classroom = services.classroom_update(
            classroom=classroom, by=request_person(request), data=dict(data.validated_data)
        )
        return Response(s.ClassroomOutput(classroom).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, classroom_id: int) -> Response:
        services.classroom_delete(
            classroom=_visible(request, classroom_id), by=request_person(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

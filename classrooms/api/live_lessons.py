"""REST endpoints of live lessons: a class's teachers schedule, move and cancel them; the
class's pupils, the facilitators of its rooms and those who run its school see them."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classrooms import lessons, policies, selectors
from classrooms.api import serializers as s
from classrooms.models import Classroom, LiveLesson
from courses import selectors as course_selectors
from lms.accounts.api.requests import request_person
from lms.accounts.models import User


def _rooms(data: dict[str, Any]) -> dict[str, Any]:
    """Ids of the request turned into rooms and people; an unknown id is a field error."""
    resolved = dict(data)
    if data.get("hub") is not None:
        hub = Classroom.objects.select_related("school").filter(pk=data["hub"]).first()
        if hub is None:
            raise serializers.ValidationError({"hub": [_("No such classroom.")]})
        resolved["hub"] = hub
    if "spokes" in data:
        spokes = []
        for item in data["spokes"]:
            room = Classroom.objects.select_related("school").filter(pk=item["classroom"]).first()
            person = User.objects.filter(pk=item["facilitator"]).first()
            if room is None or person is None:
                raise serializers.ValidationError(
                    {"spokes": [_("No such classroom or facilitator.")]}
                )
            spokes.append({"classroom": room, "facilitator": person})
        resolved["spokes"] = spokes
    return resolved


def _lesson(request: Request, lesson_id: int) -> LiveLesson:
    lesson = selectors.live_lesson_visible(user=request.user, lesson_id=lesson_id)
    if lesson is None:
        raise Http404
    return lesson


class CohortLiveLessonsApi(APIView):
    @extend_schema(operation_id="class_live_lessons_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, cohort_id: int) -> Response:
        """The class's live lessons, for those who may see them."""
        cohort = get_object_or_404(
            course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
        )
        rows = [
            s.live_lesson_output(lesson)
            for lesson in selectors.live_lessons_of_class(cohort=cohort)
            if policies.can_view_lesson(request.user, lesson)
        ]
        return Response(rows)

    @extend_schema(
        operation_id="class_live_lessons_schedule",
        request=s.LiveLessonInput,
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, cohort_id: int) -> Response:
        """Schedule a live lesson: time, length, the hub classroom (or none) and the spoke
        classrooms with their facilitators."""
        cohort = get_object_or_404(
            course_selectors.cohort_list_visible(user=request.user), pk=cohort_id
        )
        if not policies.can_schedule(request.user, cohort):
            raise PermissionDenied
        data = s.LiveLessonInput(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = lessons.live_lesson_schedule(
            cohort=cohort, by=request_person(request), **_rooms(dict(data.validated_data))
        )
        return Response(s.live_lesson_output(lesson), status=status.HTTP_201_CREATED)


class LiveLessonApi(APIView):
    @extend_schema(operation_id="live_lesson_read", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, lesson_id: int) -> Response:
        return Response(s.live_lesson_output(_lesson(request, lesson_id)))

    @extend_schema(
        operation_id="live_lesson_change",
        request=s.LiveLessonChangeInput,
        responses=OpenApiTypes.OBJECT,
    )
    def patch(self, request: Request, lesson_id: int) -> Response:
        """Move the lesson, or change its title, hub or spokes (given spokes replace them)."""
        lesson = _lesson(request, lesson_id)
        data = s.LiveLessonChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = lessons.live_lesson_update(
            lesson=lesson, by=request_person(request), data=_rooms(dict(data.validated_data))
        )
        return Response(s.live_lesson_output(lesson))


class LiveLessonCancelApi(APIView):
    @extend_schema(
        operation_id="live_lesson_cancel", request=s.CancelInput, responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request, lesson_id: int) -> Response:
        lesson = _lesson(request, lesson_id)
        data = s.CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = lessons.live_lesson_cancel(
            lesson=lesson, by=request_person(request), reason=data.validated_data["reason"]
        )
        return Response(s.live_lesson_output(lesson))

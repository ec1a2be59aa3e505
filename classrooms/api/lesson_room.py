"""REST endpoints around the lesson room: the slide deck (uploaded by the class's teachers,
read by everyone in the lesson) and the attendance (the class's teachers and those who run its
school; JSON or CSV). What happens during the lesson travels on the lesson's socket."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from classrooms import attendance, policies, slides
from classrooms.api.live_lessons import _lesson
from classrooms.models import LessonSlide, LiveLesson
from courses.uploads import stored_file_response
from lms.accounts.api.requests import request_person
from lms.exports import csv_response


class SlidesInput(serializers.Serializer[Any]):
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False)


class LiveLessonSlidesApi(APIView):
    parser_classes = (MultiPartParser,)

    @extend_schema(operation_id="live_lesson_slides_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, lesson_id: int) -> Response:
        """The deck's slides (their images are at ``.../slides/<position>/``)."""
        lesson = _lesson(request, lesson_id)
        if policies.lesson_role(request.user, lesson) is None:
            raise PermissionDenied
        rows = LessonSlide.objects.filter(lesson=lesson).values("position", "width", "height")
        return Response({"slides": list(rows)})

    @extend_schema(
        operation_id="live_lesson_slides_upload",
        request={"multipart/form-data": SlidesInput},
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request, lesson_id: int) -> Response:
        """Replace the deck: one PDF file (a slide per page) or up to 60 pictures."""
        lesson = _lesson(request, lesson_id)
        data = SlidesInput(data={"files": request.FILES.getlist("files")})
        data.is_valid(raise_exception=True)
        count = slides.slides_upload(
            lesson=lesson, by=request_person(request), files=data.validated_data["files"]
        )
        return Response({"count": count})


class LiveLessonSlideApi(APIView):
    @extend_schema(operation_id="live_lesson_slide_image", responses={(200, "image/webp"): bytes})
    def get(self, request: Request, lesson_id: int, position: int) -> HttpResponseBase:
        slide = slides.slide_visible(user=request.user, lesson_id=lesson_id, position=position)
        if slide is None:
            raise Http404
        return stored_file_response(
            request, slide.image, content_type=slide.content_type, name=f"slide-{position + 1}.webp"
        )


def _attendance(request: Request, lesson_id: int) -> tuple[LiveLesson, Any]:
    lesson = _lesson(request, lesson_id)
    if not policies.can_view_attendance(request.user, lesson):
        raise PermissionDenied
    return lesson, attendance.attendance_for_lesson(lesson=lesson)


class LiveLessonAttendanceApi(APIView):
    @extend_schema(operation_id="live_lesson_attendance", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, lesson_id: int) -> Response:
        """Each pupil's attendance (room or remote, minutes, late, left early, absent) and the
        totals per spoke classroom; ``held`` is false before the lesson started."""
        lesson, rows = _attendance(request, lesson_id)
        if rows is None:
            return Response({"lesson": lesson.pk, "held": False, "students": [], "rooms": []})
        return Response(
            {
                "lesson": lesson.pk,
                "held": True,
                "students": [
                    {
                        "id": row.student_id,
                        "name": row.name,
                        "room": row.room,
                        "status": row.status,
                        "minutes": row.minutes,
                        "first_seen": row.first_seen,
                        "last_seen": row.last_seen,
                        "late": row.late,
                        "left_early": row.left_early,
                        "absent": row.absent,
                    }
                    for row in rows
                ],
                "rooms": attendance.attendance_by_room(rows),
            }
        )


class LiveLessonAttendanceCsvApi(APIView):
    @extend_schema(operation_id="live_lesson_attendance_csv", responses={(200, "text/csv"): str})
    def get(self, request: Request, lesson_id: int) -> HttpResponse:
        lesson, rows = _attendance(request, lesson_id)
        header, lines = attendance.attendance_table(rows or [])
        return csv_response(f"attendance-{lesson.pk}.csv", header, lines)

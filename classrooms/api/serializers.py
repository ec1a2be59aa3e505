from typing import Any

from rest_framework import serializers

from classrooms.models import Classroom, LiveLesson

EQUIPMENT = ("has_camera", "has_microphones", "has_interactive_display", "has_projector")


class ClassroomInput(serializers.Serializer[Any]):
    school = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    capacity = serializers.IntegerField(min_value=1, max_value=500)
    is_smart = serializers.BooleanField(default=False)
    has_camera = serializers.BooleanField(default=False)
    has_microphones = serializers.BooleanField(default=False)
    has_interactive_display = serializers.BooleanField(default=False)
    has_projector = serializers.BooleanField(default=False)


class ClassroomChangeInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=500, required=False)
    is_smart = serializers.BooleanField(required=False)
    has_camera = serializers.BooleanField(required=False)
    has_microphones = serializers.BooleanField(required=False)
    has_interactive_display = serializers.BooleanField(required=False)
    has_projector = serializers.BooleanField(required=False)


class ClassroomOutput(serializers.ModelSerializer[Classroom]):
    school_name = serializers.CharField(source="school.name", read_only=True)

    class Meta:
        model = Classroom
        fields = ("id", "school", "school_name", "name", "capacity", "is_smart", *EQUIPMENT)
        read_only_fields = fields


class SpokeInput(serializers.Serializer[Any]):
    classroom = serializers.IntegerField()
    facilitator = serializers.IntegerField()


class LiveLessonInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=5, max_value=240)
    hub = serializers.IntegerField(allow_null=True, required=False, default=None)
    spokes = SpokeInput(many=True, required=False, default=list)


class LiveLessonChangeInput(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(min_value=5, max_value=240, required=False)
    hub = serializers.IntegerField(allow_null=True, required=False)
    spokes = SpokeInput(many=True, required=False)


class CancelInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000)


def _room(room: Classroom | None) -> dict[str, Any] | None:
    if room is None:
        return None
    return {"id": room.pk, "name": room.name, "school": room.school.name}


def live_lesson_output(lesson: LiveLesson) -> dict[str, Any]:
    return {
        "id": lesson.pk,
        "cohort": lesson.cohort_id,
        "title": lesson.title,
        "teacher": {"id": lesson.teacher_id, "name": str(lesson.teacher)},
        "starts_at": serializers.DateTimeField().to_representation(lesson.starts_at),
        "ends_at": serializers.DateTimeField().to_representation(lesson.ends_at),
        "duration_minutes": lesson.duration_minutes,
        "hub": _room(lesson.hub),
        "spokes": [
            {
                "classroom": _room(spoke.classroom),
                "facilitator": {"id": spoke.facilitator_id, "name": str(spoke.facilitator)},
            }
            for spoke in lesson.spokes.all()
        ],
        "state": lesson.state,
        "cancel_reason": lesson.cancel_reason,
    }

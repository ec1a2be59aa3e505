from typing import Any

from rest_framework import serializers

from classrooms.models import Classroom

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

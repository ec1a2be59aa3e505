"""Writes of classrooms: register, change, remove. Each checks the policy, validates the whole
room (a smart classroom has a camera and microphones) and answers bad input with field
messages, writing nothing."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from classrooms import policies
from classrooms.models import Classroom
from lms.accounts.models import School, User
from lms.errors import ApplicationError
from lms.writes import fields_assign, validated_save

CLASSROOM_FIELDS = (
    "name",
    "capacity",
    "is_smart",
    "has_camera",
    "has_microphones",
    "has_interactive_display",
    "has_projector",
)


def _check_equipment(classroom: Classroom) -> None:
    if classroom.is_smart and not (classroom.has_camera and classroom.has_microphones):
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={
                "is_smart": [
                    _("A smart classroom has a camera and microphones: tick them, or untick this.")
                ]
            },
        )


@transaction.atomic
def classroom_create(*, by: User, school: School, data: dict[str, Any]) -> Classroom:
    if not policies.can_manage_classrooms(by, school):
        raise PermissionDenied
    classroom = Classroom(school=school)
    fields_assign(classroom, data, CLASSROOM_FIELDS)
    _check_equipment(classroom)
    validated_save(classroom, unique_error_field="name")
    return classroom


@transaction.atomic
def classroom_update(*, classroom: Classroom, by: User, data: dict[str, Any]) -> Classroom:
    if not policies.can_manage_classrooms(by, classroom.school):
        raise PermissionDenied
    fields_assign(classroom, data, CLASSROOM_FIELDS)
    _check_equipment(classroom)
    validated_save(classroom, unique_error_field="name")
    return classroom


@transaction.atomic
def classroom_delete(*, classroom: Classroom, by: User) -> None:
    if not policies.can_manage_classrooms(by, classroom.school):
        raise PermissionDenied
    classroom.delete()

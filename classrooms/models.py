"""Classrooms of schools: the smart classrooms a teacher teaches live lessons from (the hub),
and the rooms of rural schools that take part with a facilitator (the spokes). Live lessons,
attendance and in-lesson state come with the live-lesson work."""

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import School

MAX_CAPACITY = 500


class Classroom(models.Model):
    """A room of a school, with what it has for a live lesson. A smart classroom has a camera
    and microphones: the teacher is seen and heard from it."""

    school = models.ForeignKey(
        School, on_delete=models.PROTECT, related_name="classrooms", verbose_name=_("school")
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveSmallIntegerField(
        _("seats"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    is_smart = models.BooleanField(_("smart classroom"), default=False)
    has_camera = models.BooleanField(_("camera"), default=False)
    has_microphones = models.BooleanField(_("microphones"), default=False)
    has_interactive_display = models.BooleanField(_("interactive display"), default=False)
    has_projector = models.BooleanField(_("projector"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "pk")
        verbose_name = _("classroom")
        verbose_name_plural = _("classrooms")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("school", "name"), name="classroom_name_unique"),
            models.CheckConstraint(
                condition=Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
                name="classroom_capacity_in_range",
            ),
            models.CheckConstraint(
                condition=Q(is_smart=False) | Q(has_camera=True, has_microphones=True),
                name="smart_classroom_has_camera_and_microphones",
            ),
        ]

    def __str__(self) -> str:
        return self.name

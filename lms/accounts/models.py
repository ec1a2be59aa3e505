"""Regions, schools and people.

Every person has exactly one role. Region administrators belong to a region; everyone else
(but the platform administrator, who is a superuser) belongs to a home school. A teacher
teaches students of other schools through classes, which the ``courses`` app owns; the home
school only says whose administrators manage the account. The database enforces these rules.
"""

from typing import ClassVar
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

LANGUAGE_CHOICES = settings.LANGUAGES
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
# IANA zone names. The list depends on the machine's time zone database, so it is checked by a
# validator at run time and kept out of the migrations.
TIME_ZONES = sorted(name for name in available_timezones() if "/" in name or name in {"UTC", "GMT"})
TIME_ZONE_CHOICES = [(name, name) for name in TIME_ZONES]
DEFAULT_TIME_ZONE = "Asia/Bishkek"


def validate_time_zone(value: str) -> None:
    if value not in _TIME_ZONE_SET:
        raise ValidationError(
            _("%(value)s is not a time zone; use a name such as Asia/Bishkek."),
            code="invalid_choice",
            params={"value": value},
        )


_TIME_ZONE_SET = frozenset(TIME_ZONES)


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    TEACHER = "teacher", _("Teacher")
    FACILITATOR = "facilitator", _("Facilitator")
    SCHOOL_ADMIN = "school_admin", _("School administrator")
    REGION_ADMIN = "region_admin", _("Region administrator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


SCHOOL_ROLES = (Role.STUDENT, Role.TEACHER, Role.FACILITATOR, Role.SCHOOL_ADMIN)


class Locality(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")
    REMOTE = "remote", _("Remote")


class Region(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], default=DEFAULT_TIME_ZONE
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="schools", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("A short identifier, used in CSV imports (for example kg-ik-karakol-1)."),
    )
    locality = models.CharField(_("locality"), max_length=10, choices=Locality.choices)
    languages = models.JSONField(
        _("languages of instruction"),
        default=list,
        help_text=_("Language codes: ky, ru, en, mn."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], default=DEFAULT_TIME_ZONE
    )

    class Meta:
        ordering = ("name",)
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("region", "name"), name="school_name_unique_in_region"),
            models.CheckConstraint(
                condition=Q(locality__in=[choice.value for choice in Locality]),
                name="school_locality_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MektepUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: object
    ) -> "User":
        extra.setdefault("role", Role.PLATFORM_ADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STUDENT)
    school = models.ForeignKey(
        School,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("home school"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administrators",
        verbose_name=_("administered region"),
        help_text=_("Only for region administrators."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=LANGUAGE_CHOICES,
        blank=True,
        help_text=_("Empty: follow the browser's language."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_time_zone], default=DEFAULT_TIME_ZONE
    )
    phone = PhoneNumberField(_("phone number"), blank=True, help_text=_("For SMS notices."))

    objects: ClassVar[MektepUserManager] = MektepUserManager()

    class Meta:
        ordering = ("last_name", "first_name", "username")
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=[role.value for role in SCHOOL_ROLES])
                    & Q(school__isnull=False, region__isnull=True)
                )
                | Q(role=Role.REGION_ADMIN, school__isnull=True, region__isnull=False)
                | Q(role=Role.PLATFORM_ADMIN, school__isnull=True, region__isnull=True),
                name="user_role_has_matching_scope",
            ),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(role=Role.PLATFORM_ADMIN),
                name="user_superuser_is_platform_admin",
            ),
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ci"),
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_unique_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.is_superuser

"""Input and output shapes of the accounts API. Inputs validate types only; services decide."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from lms.accounts import selectors
from lms.accounts.models import LANGUAGE_CHOICES, TIME_ZONE_CHOICES, Locality, Region, Role, User


class RegionOutput(serializers.ModelSerializer[Region]):
    class Meta:
        model = Region
        fields = ("id", "name", "code", "time_zone")


class RegionInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    code = serializers.SlugField(max_length=40)
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, default="Asia/Bishkek")


class SchoolOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField()
    region = serializers.IntegerField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    locality = serializers.ChoiceField(choices=Locality.choices)
    languages = serializers.ListField(child=serializers.ChoiceField(choices=LANGUAGE_CHOICES))
    time_zone = serializers.CharField()


@extend_schema_field(OpenApiTypes.INT)
class VisibleRegionField(serializers.PrimaryKeyRelatedField):
    """A region the requesting user may see; others are reported as not existing."""

    def get_queryset(self) -> QuerySet[Region]:
        return selectors.region_list_visible(user=self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleSchoolField(serializers.PrimaryKeyRelatedField):
    """A school the requesting user may see; others are reported as not existing."""

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.school_list_visible(user=self.context["request"].user)


class SchoolInput(serializers.Serializer[Any]):
    region = VisibleRegionField()
    name = serializers.CharField(max_length=200)
    code = serializers.SlugField(max_length=40)
    locality = serializers.ChoiceField(choices=Locality.choices)
    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=LANGUAGE_CHOICES), allow_empty=False
    )
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False)


class PersonOutput(serializers.ModelSerializer[User]):
    phone = serializers.CharField(read_only=True)
    school_name = serializers.CharField(source="school.name", default=None, read_only=True)

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "school",
            "school_name",
            "region",
            "preferred_language",
            "time_zone",
            "phone",
            "is_active",
            "date_joined",
            "last_login",
        )
        read_only_fields = fields


class PersonInput(serializers.Serializer[Any]):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    school = VisibleSchoolField(required=False, allow_null=True, default=None)
    region = VisibleRegionField(required=False, allow_null=True, default=None)
    preferred_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, required=False, allow_blank=True, default=""
    )
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False)
    phone = PhoneNumberField(required=False, allow_blank=True, default="")


class PersonUpdateInput(PersonInput):
    password = serializers.CharField(
        write_only=True,
        required=False,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Set a new password for the person (for example, when they forgot theirs).",
    )


class ProfileInput(serializers.Serializer[Any]):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    preferred_language = serializers.ChoiceField(
        choices=LANGUAGE_CHOICES, required=False, allow_blank=True
    )
    time_zone = serializers.ChoiceField(choices=TIME_ZONE_CHOICES, required=False)
    phone = PhoneNumberField(required=False, allow_blank=True)


class PasswordChangeInput(serializers.Serializer[Any]):
    old_password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    new_password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenCreateInput(serializers.Serializer[Any]):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})


class TokenOutput(serializers.Serializer[Any]):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)
    user = PersonOutput()


class UnlockOutput(serializers.Serializer[Any]):
    forgotten_attempts = serializers.IntegerField()

"""Regions and schools."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from lms.accounts import policies
from lms.accounts.models import LANGUAGE_CODES, Region, School, User
from lms.errors import ApplicationError
from lms.writes import fields_assign, validated_save

REGION_FIELDS = ("name", "code", "time_zone")
SCHOOL_FIELDS = ("region", "name", "code", "locality", "languages", "time_zone")


def _check_school_name_free(school: School) -> None:
    """One name per school in a region, whatever its case; said on the name field."""
    taken = (
        School.objects.exclude(pk=school.pk)
        .filter(region_id=school.region_id, name__iexact=school.name)
        .exists()
    )
    if taken:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"name": [_("This region already has a school with this name.")]},
        )


def _validate_languages(languages: Any) -> None:
    if not isinstance(languages, list) or not languages:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"languages": [_("Choose at least one language of instruction.")]},
        )
    unknown = [code for code in languages if code not in LANGUAGE_CODES]
    if unknown or len(set(languages)) != len(languages):
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"languages": [_("Use each of ky, ru, en and mn at most once.")]},
        )


# --- regions --------------------------------------------------------------------------------
@transaction.atomic
def region_create(*, by: User, name: str, code: str, time_zone: str) -> Region:
    if not policies.can_manage_regions(by):
        raise PermissionDenied
    region = Region(name=name, code=code, time_zone=time_zone)
    validated_save(region, unique_error_field="code")
    return region


@transaction.atomic
def region_update(*, region: Region, by: User, data: dict[str, Any]) -> Region:
    if not policies.can_manage_regions(by):
        raise PermissionDenied
    fields_assign(region, data, REGION_FIELDS)
    validated_save(region, unique_error_field="code")
    return region


# --- schools --------------------------------------------------------------------------------
def _check_school_region(by: User, region: Region) -> None:
    if not policies.can_create_school_in(by, region):
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"region": [_("You can only add schools to your own region.")]},
        )


@transaction.atomic
def school_create(
    *,
    by: User,
    region: Region,
    name: str,
    code: str,
    locality: str,
    languages: list[str],
    time_zone: str | None = None,
) -> School:
    if not policies.can_create_schools(by):
        raise PermissionDenied
    _check_school_region(by, region)
    _validate_languages(languages)
    school = School(
        region=region,
        name=name,
        code=code,
        locality=locality,
        languages=languages,
        time_zone=time_zone or region.time_zone,
    )
    _check_school_name_free(school)
    validated_save(school, unique_error_field="code")
    return school


@transaction.atomic
def school_update(*, school: School, by: User, data: dict[str, Any]) -> School:
    if not policies.can_manage_school(by, school):
        raise PermissionDenied
    if "region" in data:
        _check_school_region(by, data["region"])
    if "languages" in data:
        _validate_languages(data["languages"])
    fields_assign(school, data, SCHOOL_FIELDS)
    _check_school_name_free(school)
    validated_save(school, unique_error_field="code")
    return school

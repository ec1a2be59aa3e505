"""Writes to regions, schools and people.

Each function is one use case: it checks the actor's permission with ``policies``, validates
the whole object (model validation plus the database's constraints) and writes inside one
transaction, so a refused request writes nothing. Refusals raise ``PermissionDenied`` (the
actor may not act on this object at all) or ``ApplicationError`` with field messages (the
input is wrong).
"""

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from knox.models import AuthToken

from lms.accounts import policies
from lms.accounts.models import LANGUAGE_CODES, SCHOOL_ROLES, Region, Role, School, User
from lms.errors import ApplicationError, lockout_message

REGION_FIELDS = ("name", "code", "time_zone")
SCHOOL_FIELDS = ("region", "name", "code", "locality", "languages", "time_zone")
PERSON_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "school",
    "region",
    "preferred_language",
    "time_zone",
    "phone",
)
PROFILE_FIELDS = ("first_name", "last_name", "email", "preferred_language", "time_zone", "phone")


def _save(instance: Any, *, unique_error_field: str | None = None) -> None:
    """Validate the whole instance, then save it; any refusal becomes an ApplicationError."""
    try:
        instance.full_clean()
        with transaction.atomic():
            instance.save()
    except DjangoValidationError as error:
        raise ApplicationError.from_validation_error(error) from error
    except IntegrityError as error:
        # A concurrent write won the race for a unique value after full_clean() passed.
        field = unique_error_field or "non_field_errors"
        raise ApplicationError(
            "conflict",
            _("This conflicts with a record that was saved at the same time."),
            fields={field: [_("This value is already taken.")]},
            status_code=409,
        ) from error


def _assign(instance: Any, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={name: [_("This field cannot be changed here.")] for name in unknown},
        )
    for name, value in data.items():
        setattr(instance, name, value)


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
    _save(region, unique_error_field="code")
    return region


@transaction.atomic
def region_update(*, region: Region, by: User, data: dict[str, Any]) -> Region:
    if not policies.can_manage_regions(by):
        raise PermissionDenied
    _assign(region, data, REGION_FIELDS)
    _save(region, unique_error_field="code")
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
    _save(school, unique_error_field="code")
    return school


@transaction.atomic
def school_update(*, school: School, by: User, data: dict[str, Any]) -> School:
    if not policies.can_manage_school(by, school):
        raise PermissionDenied
    if "region" in data:
        _check_school_region(by, data["region"])
    if "languages" in data:
        _validate_languages(data["languages"])
    _assign(school, data, SCHOOL_FIELDS)
    _check_school_name_free(school)
    _save(school, unique_error_field="code")
    return school


# --- people ---------------------------------------------------------------------------------
def _check_placement(by: User, person: User) -> None:
    """The role and home school (or region) given to ``person`` must be ``by``'s to give."""
    errors: dict[str, list[str]] = {}
    if person.role not in policies.assignable_roles(by):
        errors["role"] = [_("You cannot give this role.")]
    elif person.role in SCHOOL_ROLES:
        if person.school is None:
            errors["school"] = [_("Choose the person's home school.")]
        elif not policies.can_place_in_school(by, person.school):
            errors["school"] = [_("Choose one of the schools you manage.")]
        person.region = None
    elif person.role == Role.REGION_ADMIN:
        if person.region is None:
            errors["region"] = [_("Choose the region this person administers.")]
        person.school = None
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)


def _check_unique_identity(person: User) -> None:
    """Usernames and e-mails are unique whatever their case (the database enforces it too);
    say so on the field instead of as a constraint name."""
    others = User.objects.exclude(pk=person.pk)
    errors: dict[str, list[str]] = {}
    if person.username and others.filter(username__iexact=person.username).exists():
        errors["username"] = [_("This username is already taken.")]
    if person.email and others.filter(email__iexact=person.email).exists():
        errors["email"] = [_("Someone already uses this e-mail address.")]
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)


def _set_password(person: User, password: str, *, field: str = "password") -> None:
    try:
        validate_password(password, user=person)
    except DjangoValidationError as error:
        raise ApplicationError(
            "invalid", _("Some fields are not valid."), fields={field: list(error.messages)}
        ) from error
    person.set_password(password)


@transaction.atomic
def person_create(*, by: User, password: str, **fields: Any) -> User:
    if not policies.can_list_people(by):
        raise PermissionDenied
    person = User()
    _assign(person, fields, PERSON_FIELDS)
    if not fields.get("time_zone") and person.school is not None:
        person.time_zone = person.school.time_zone
    _check_placement(by, person)
    _check_unique_identity(person)
    _set_password(person, password)
    _save(person, unique_error_field="username")
    return person


@transaction.atomic
def person_update(
    *, person: User, by: User, data: dict[str, Any], password: str | None = None
) -> User:
    if not policies.can_manage_person(by, person):
        raise PermissionDenied
    _assign(person, data, PERSON_FIELDS)
    _check_placement(by, person)
    _check_unique_identity(person)
    if password:
        _set_password(person, password)
    _save(person, unique_error_field="username")
    return person


@transaction.atomic
def person_set_active(*, person: User, by: User, active: bool) -> User:
    """Deactivate (the person can no longer sign in; their records stay) or reactivate."""
    if not policies.can_manage_person(by, person):
        raise PermissionDenied
    if person.is_active != active:
        person.is_active = active
        person.save(update_fields=["is_active"])
        if not active:
            _revoke_api_tokens(person)
    return person


def _revoke_api_tokens(person: User) -> None:
    AuthToken.objects.filter(user=person).delete()


# --- one's own account ----------------------------------------------------------------------
@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> User:
    _assign(user, data, PROFILE_FIELDS)
    _check_unique_identity(user)
    _save(user, unique_error_field="email")
    return user


def user_language_set(*, user: User, language: str) -> None:
    if language not in LANGUAGE_CODES:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"language": [_("Choose one of the offered languages.")]},
        )
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"old_password": [_("Your current password was entered incorrectly.")]},
        )
    _set_password(user, new_password, field="new_password")
    user.save(update_fields=["password"])


# --- signing in -----------------------------------------------------------------------------
def credentials_authenticate(*, request: HttpRequest, username: str, password: str) -> User:
    """Check a username and password through django-axes, which counts failures and locks."""
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise ApplicationError("locked_out", lockout_message(), status_code=429)
    if user is None:
        raise ApplicationError(
            "invalid_credentials",
            _("The username or password is not correct."),
            fields={"non_field_errors": [_("The username or password is not correct.")]},
        )
    return user

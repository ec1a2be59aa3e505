"""People: creating and editing accounts, deactivating them, and one's own profile."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from lms.accounts import policies
from lms.accounts.models import LANGUAGE_CODES, SCHOOL_ROLES, Role, User
from lms.accounts.services.signing_in import api_tokens_revoke, password_set
from lms.errors import ApplicationError
from lms.writes import fields_assign, validated_save
from realtime import bus

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


def _check_placement(by: User, person: User, *, role_before: str | None) -> None:
    """The role and home school (or region) given to ``person`` must be ``by``'s to give."""
    errors: dict[str, list[str]] = {}
    keeps_platform_role = (
        person.role == Role.PLATFORM_ADMIN
        and role_before == Role.PLATFORM_ADMIN
        and policies.is_platform_admin(by)
    )
    if keeps_platform_role:
        person.school = None
        person.region = None
    elif person.role not in policies.assignable_roles(by):
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
        errors["email"] = [_("This e-mail address cannot be used.")]
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)


@transaction.atomic
def person_create(*, by: User, password: str, **fields: Any) -> User:
    if not policies.can_list_people(by):
        raise PermissionDenied
    person = User()
    fields_assign(person, fields, PERSON_FIELDS)
    if not fields.get("time_zone") and person.school is not None:
        person.time_zone = person.school.time_zone
    _check_placement(by, person, role_before=None)
    _check_unique_identity(person)
    password_set(person=person, password=password)
    validated_save(person, unique_error_field="username")
    return person


@transaction.atomic
def person_update(
    *, person: User, by: User, data: dict[str, Any], password: str | None = None
) -> User:
    """Edit someone's account. A new password (the person forgot theirs, or it leaked) also
    signs out every API client that held the old one."""
    if not policies.can_manage_person(by, person):
        raise PermissionDenied
    role_before = person.role
    fields_assign(person, data, PERSON_FIELDS)
    _check_placement(by, person, role_before=role_before)
    _check_unique_identity(person)
    if password:
        password_set(person=person, password=password)
    validated_save(person, unique_error_field="username")
    if password:
        api_tokens_revoke(user=person)
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
            bus.user_recheck(person.pk)
        if not active:
            api_tokens_revoke(user=person)
    return person


# --- one's own account ----------------------------------------------------------------------
@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> User:
    fields_assign(user, data, PROFILE_FIELDS)
    _check_unique_identity(user)
    validated_save(user, unique_error_field="email")
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

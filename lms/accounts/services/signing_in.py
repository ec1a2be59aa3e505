"""Signing in: credentials through django-axes, API tokens, passwords, unlocking."""

from axes.utils import reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from lms.accounts import policies
from lms.accounts.models import User
from lms.errors import ApplicationError, lockout_message
from realtime import bus


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


@transaction.atomic
def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new token for one device. Expired tokens go, and past the per-person limit the
    longest-unused ones make room, so a pupil who reinstalls the app is never refused."""
    tokens = AuthToken.objects.filter(user=user)
    tokens.filter(expiry__lt=timezone.now()).delete()
    limit = settings.LMS_API_TOKENS_PER_PERSON
    surplus = list(tokens.order_by("-expiry").values_list("pk", flat=True)[limit - 1 :])
    if surplus:
        AuthToken.objects.filter(pk__in=surplus).delete()
    instance, key = AuthToken.objects.create(user)
    return instance, key


def api_tokens_revoke(
    *, user: User, keep: AuthToken | None = None, only: AuthToken | None = None
) -> None:
    """Sign out API clients: ``only`` one token, or all of them but ``keep``."""
    tokens = AuthToken.objects.filter(user=user)
    if only is not None:
        tokens = tokens.filter(pk=only.pk)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    tokens.delete()
    bus.user_recheck(user.pk)  # live lesson sockets opened with those tokens close


def password_set(*, person: User, password: str, field: str = "password") -> None:
    """Check a new password with Django's validators and set it (the caller saves)."""
    try:
        validate_password(password, user=person)
    except DjangoValidationError as error:
        raise ApplicationError(
            "invalid", _("Some fields are not valid."), fields={field: list(error.messages)}
        ) from error
    person.set_password(password)


@transaction.atomic
def password_change(
    *, user: User, old_password: str, new_password: str, keep_token: AuthToken | None = None
) -> None:
    """Change one's own password; every other API client of this person is signed out."""
    if not user.check_password(old_password):
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={"old_password": [_("Your current password was entered incorrectly.")]},
        )
    password_set(person=user, password=new_password, field="new_password")
    user.save(update_fields=["password"])
    api_tokens_revoke(user=user, keep=keep_token)


def person_unlock(*, person: User, by: User) -> int:
    """Lift a sign-in lockout before its 15 minutes are over; answers how many failed
    attempts were forgotten."""
    if not policies.can_manage_person(by, person):
        raise PermissionDenied
    return int(reset(username=person.username))

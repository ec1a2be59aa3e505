"""What every service shares: assign only the fields a use case may change, validate the whole
object, then save it, turning every refusal into an ApplicationError with field messages."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lms.errors import ApplicationError

UNIQUE_CODES = {"unique", "unique_together"}


def validated_save(
    instance: Any,
    *,
    unique_error_field: str | None = None,
    update_fields: tuple[str, ...] | None = None,
) -> None:
    """Validate the whole instance, then save it; any refusal becomes an ApplicationError.

    ``update_fields``, for an existing row, writes only those columns: a use case that edits a
    title must not write back counters that other services keep (stale in this instance if
    another request changed them since it was read).

    ``unique_error_field`` names the field a person should change when a uniqueness rule over
    several fields fails (a term's name within its school, say): Django reports those as
    errors of the whole object, which a form could not show next to any field."""
    try:
        instance.full_clean()
        with transaction.atomic():
            if update_fields is not None and not instance._state.adding:
                instance.save(update_fields=update_fields)
            else:
                instance.save()
    except DjangoValidationError as error:
        if unique_error_field and hasattr(error, "error_dict"):
            _move_unique_errors(error, unique_error_field)
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


def fields_assign(instance: Any, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={name: [_("This field cannot be changed here.")] for name in unknown},
        )
    for name, value in data.items():
        setattr(instance, name, value)


def _move_unique_errors(error: DjangoValidationError, field: str) -> None:
    whole = error.error_dict.get(NON_FIELD_ERRORS, [])
    unique = [item for item in whole if item.code in UNIQUE_CODES]
    if not unique:
        return
    rest = [item for item in whole if item.code not in UNIQUE_CODES]
    if rest:
        error.error_dict[NON_FIELD_ERRORS] = rest
    else:
        del error.error_dict[NON_FIELD_ERRORS]
    error.error_dict.setdefault(field, []).extend(unique)


def text_check(value: str, field: str) -> str:
    """Text typed by a person, refused if it holds a NUL character, which PostgreSQL cannot
    store (forms and DRF refuse it; this guards text read straight from a request)."""
    if "\x00" in value:
        raise ApplicationError(
            "invalid",
            _("Some fields are not valid."),
            fields={field: [_("The text holds a character that cannot be stored.")]},
        )
    return value

"""One error type for services and one JSON error shape for the API.

Every 4xx answer of the API has the body ``{"code": ..., "message": ..., "fields": {...}}``.
Services raise :class:`ApplicationError` (or Django's ``PermissionDenied``); the exception
handler below turns those, DRF's own exceptions and Django's ``ValidationError`` into that shape.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

FieldErrors = dict[str, list[str]]


class ApplicationError(Exception):
    """A use case refused its input. ``fields`` maps a field name to its messages."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: FieldErrors | None = None,
        status_code: int = status.HTTP_400_BAD_REQUEST,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.status_code = status_code

    def text(self) -> str:
        """Every field message in one line (or the message when there is none): for a page
        that shows the refusal as a message rather than next to form fields."""
        return " ".join(message for messages in self.fields.values() for message in messages) or (
            self.message
        )

    @classmethod
    def from_validation_error(cls, error: DjangoValidationError) -> "ApplicationError":
        if hasattr(error, "error_dict"):
            fields = {name: list(messages) for name, messages in error.message_dict.items()}
            fields = {("non_field_errors" if k == "__all__" else k): v for k, v in fields.items()}
        else:
            fields = {"non_field_errors": list(error.messages)}
        return cls("invalid", _("Some fields are not valid."), fields=fields)


def error_body(code: str, message: str, fields: FieldErrors | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, Mapping):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list | tuple):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _field_errors(detail: Any) -> FieldErrors:
    if isinstance(detail, Mapping):
        return {
            ("non_field_errors" if key == "__all__" else str(key)): _flatten(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": _flatten(detail)}


_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        app_error = ApplicationError.from_validation_error(exc)
        return Response(
            error_body(app_error.code, app_error.message, app_error.fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", _("Some fields are not valid."), _field_errors(exc.detail))
    else:
        code = next(
            (name for klass, name in _CODES.items() if isinstance(exc, klass)),
            str(exc.default_code),
        )
        body = error_body(code, " ".join(_flatten(exc.detail)))
    response.data = body
    return response


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return ngettext(
        "Too many failed sign-ins. This account is locked for %(minutes)d minute; "
        "ask your school administrator if you need to sign in sooner.",
        "Too many failed sign-ins. This account is locked for %(minutes)d minutes; "
        "ask your school administrator if you need to sign in sooner.",
        minutes,
    ) % {"minutes": minutes}


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Unknown URLs under /api/ answer in the API's error shape, not with an HTML page."""
    return JsonResponse(error_body("not_found", _("Not found.")), status=status.HTTP_404_NOT_FOUND)

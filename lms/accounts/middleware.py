from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """A signed-in person sees the interface in their preferred language and times in their
    own time zone, on every device.

    Runs after LocaleMiddleware (which handles visitors by cookie and Accept-Language) and
    after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            timezone.deactivate()
            try:
                return self.get_response(request)
            finally:
                timezone.deactivate()  # an API token may have activated the person's
        preferences_activate(request, user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def preferences_activate(request: HttpRequest, user: Any) -> None:
    """The person's language and time zone for the rest of this request. The middleware calls
    it for sessions; the API's token authentication for tokens (the middleware runs before a
    token is read, so it sees an anonymous visitor)."""
    if user.preferred_language:
        translation.activate(user.preferred_language)
        request.LANGUAGE_CODE = user.preferred_language
    try:
        timezone.activate(ZoneInfo(user.time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()

"""API authentication: knox tokens, with the person's language and time zone applied."""

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.request import Request

from lms.accounts.middleware import preferences_activate


class TokenAuthentication(KnoxTokenAuthentication):
    """A knox token, after which the request speaks the person's language and shows times in
    their time zone, as a signed-in page does."""

    def authenticate(self, request: Request) -> Any:
        result = super().authenticate(request)
        if result is not None:
            preferences_activate(request._request, result[0])
        return result


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI description of this authentication: knox's, under our class's name."""

    target_class = "lms.accounts.api.authentication.TokenAuthentication"

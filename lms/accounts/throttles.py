"""Rate limits on guessing passwords, shared by the sign-in page and the API."""

from typing import Any

from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle


class SignInRateThrottle(SimpleRateThrottle):
    """Sign-in attempts per client address, whatever the usernames (stops spraying one
    password over many accounts; django-axes stops guessing many passwords for one). The
    address comes from DRF's ``get_ident``, which trusts ``NUM_PROXIES`` proxies only."""

    scope = "sign-in"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordCheckRateThrottle(SimpleRateThrottle):
    """Checks of one's current password (changing it), per person."""

    scope = "password-check"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


def sign_in_allowed(request: HttpRequest) -> bool:
    """The same per-address limit for the sign-in page, which is not a DRF view. The throttle
    reads only ``request.META``, which a Django request has."""
    return SignInRateThrottle().allow_request(request, None)  # type: ignore[arg-type]

"""The Django admin for school and region administrators, guarded by the accounts policies."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lms.accounts import policies


class MektepAdminSite(admin.AdminSite):
    site_header = _("Mektep administration")
    site_title = _("Mektep administration")
    index_title = _("Schools and people")

    def has_permission(self, request: HttpRequest) -> bool:
        return policies.can_use_admin(request.user)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # One sign-in page for everyone, with the same lockout; the admin's own form only
        # admits is_staff users, which Mektep's administrators are not.
        if request.user.is_authenticated:
            # Signed in but not an administrator: sending them to sign in again would loop.
            raise PermissionDenied
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index"), settings.LOGIN_URL
        )

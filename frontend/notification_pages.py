"""Pages of notifications: a person's own list (opened, marked read), their choice of channels
per kind and their quiet hours; the failed deliveries, for administrators, within what they
run, each of which can be sent again. The texts are written in the reader's language and time
zone by ``lms.notifications.selectors``; a notice's link is followed only to a path of this
site."""

from datetime import time
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from frontend.forms import ServiceErrorsMixin
from lms.accounts.models import User
from lms.errors import ApplicationError
from lms.notifications import policies, selectors, services
from lms.notifications.models import Channel, Kind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOTIFICATIONS_PER_PAGE = 25
FAILURES_PER_PAGE = 50
CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)
# A time typed by hand, or sent by a browser's time input (which adds seconds when asked to).
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def site_path(link: object) -> str | None:
    """``link`` when it is a path of this site, else None: a notice never sends anyone to
    another site (``https://...``, ``//host``, ``/\\host``), nor carries what a header cannot."""
    if not isinstance(link, str) or not link.startswith("/"):
        return None
    if any(char.isspace() or not char.isprintable() for char in link):
        return None
    if not url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return None
    return link


def _back_to_list(request: HttpRequest) -> HttpResponse:
    """Back to the list as it was (its page and filter), which the form names in ``next``."""
    path = site_path(request.POST.get("next", ""))
    list_path = reverse("frontend:notifications")
    if path is None or not path.startswith(list_path):
        path = list_path
    return HttpResponseRedirect(path)


# --- the person's own ---------------------------------------------------------------------------
@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("unread") == "1"
    notifications = selectors.notifications_for_user(user=user)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.notification_rows(user=user, notifications=list(page))
    return render(
        request,
        "frontend/notifications/list.html",
        {"page": page, "rows": rows, "unread_only": unread_only},
    )


@login_required
@require_POST
def notification_mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = _user(request)
    notification = get_object_or_404(
        selectors.notifications_for_user(user=user), pk=notification_id
    )
    services.notifications_mark_read(user=user, ids=[notification.pk])
    return _back_to_list(request)


@login_required
@require_POST
def notifications_mark_all_read(request: HttpRequest) -> HttpResponse:
    changed = services.notifications_mark_read(user=_user(request))
    if changed:
        messages.success(request, _("Every notice is marked read."))
    return _back_to_list(request)


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notice read and go where it points; to the list when it points nowhere on this
    site. (A GET, so that a link opens it; all it changes is the person's own read mark.)"""
    user = _user(request)
    notification = get_object_or_404(
        selectors.notifications_for_user(user=user), pk=notification_id
    )
    services.notifications_mark_read(user=user, ids=[notification.pk])
    link = site_path(notification.dispatch.params.get("link"))
    return HttpResponseRedirect(link or reverse("frontend:notifications"))


# --- the person's choices -----------------------------------------------------------------------
def _time_field(label: "StrOrPromise") -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )


class NotificationSettingsForm(ServiceErrorsMixin, forms.Form):
    """A checkbox per kind and channel (``<kind>-<channel>``), and the quiet hours. The field
    names of the quiet hours are the service's, so that its messages land next to them."""

    starts = _time_field(gettext_lazy("Quiet from"))
    ends = _time_field(gettext_lazy("Quiet until"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            for channel in CHANNELS:
                self.fields[self.name_of(kind, channel)] = forms.BooleanField(
                    label=_("%(kind)s: %(channel)s")
                    % {"kind": kind.label, "channel": channel.label},
                    required=False,
                )

    @staticmethod
    def name_of(kind: str, channel: str) -> str:
        return f"{kind}-{channel}"

    @classmethod
    def initial_for(
        cls, choices: dict[str, dict[str, bool]], starts: time | None, ends: time | None
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {
            cls.name_of(kind, channel): on
            for kind, chosen in choices.items()
            for channel, on in chosen.items()
        }
        return {**initial, "starts": starts, "ends": ends}

    def rows(self) -> list[dict[str, Any]]:
        """One row per kind: its label and its three checkboxes, in the order of CHANNELS."""
        return [
            {
                "label": kind.label,
                "fields": [self[self.name_of(kind, channel)] for channel in CHANNELS],
            }
            for kind in Kind
        ]

    def choices(self) -> dict[str, dict[str, bool]]:
        return {
            kind.value: {
                channel.value: bool(self.cleaned_data[self.name_of(kind, channel)])
                for channel in CHANNELS
            }
            for kind in Kind
        }

    def quiet_hours(self) -> dict[str, time] | None:
        """None when both times are empty (no quiet hours); else the times given, and the
        service says what is missing or wrong."""
        given = {
            name: value
            for name in ("starts", "ends")
            if (value := self.cleaned_data.get(name)) is not None
        }
        return given or None


@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    hours = selectors.quiet_hours_of(user=user)
    initial = NotificationSettingsForm.initial_for(
        selectors.preferences_of(user=user),
        hours.starts if hours else None,
        hours.ends if hours else None,
    )
    # Bound on every POST: with every box unticked and no times, the form still has its say.
    data = request.POST if request.method == "POST" else None
    form = NotificationSettingsForm(data, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.notification_settings_update(
                    user=user, choices=form.choices(), quiet_hours=form.quiet_hours()
                )
            except ApplicationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Your choices were saved."))
                return redirect("frontend:notification-settings")
        messages.error(request, _("Nothing was saved: correct what is marked below."))
    return render(
        request,
        "frontend/notifications/settings.html",
        {
            "form": form,
            "rows": form.rows(),
            "channels": [channel.label for channel in CHANNELS],
            "time_zone": user.time_zone,
            "has_email": bool(user.email),
            "has_phone": bool(user.phone),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- failed deliveries, for administrators ------------------------------------------------------
@login_required
@require_GET
def delivery_failures(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not policies.can_view_failures(user):
        raise PermissionDenied
    failed = selectors.failed_deliveries_visible(user=user)
    page = Paginator(failed, FAILURES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "frontend/notifications/failures.html", {"page": page})


@login_required
@require_POST
def delivery_resend(request: HttpRequest, delivery_id: int) -> HttpResponse:
    user = _user(request)
    if not policies.can_view_failures(user):
        raise PermissionDenied
    delivery = get_object_or_404(selectors.failed_deliveries_visible(user=user), pk=delivery_id)
    try:
        delivery = services.delivery_resend(delivery=delivery, by=user)
    except ApplicationError as error:
        messages.error(request, error.text())
    else:
        messages.success(
            request,
            _("The notice to %(address)s will be sent again.") % {"address": delivery.address},
        )
    return redirect("frontend:notification-failures")

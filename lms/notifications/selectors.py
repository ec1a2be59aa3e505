"""Reads of notifications: a person's list and unread count, their choices, and the failed
deliveries an administrator may see."""

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import translation

from lms.accounts import policies as accounts_policies
from lms.notifications import kinds
from lms.notifications.models import (
    Delivery,
    DeliveryState,
    Dispatch,
    Kind,
    Notification,
    Preference,
    QuietHours,
)
from lms.notifications.policies import can_view_failures


def notifications_for_user(*, user: Any) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, in_app=True)
        .select_related("dispatch")
        .defer("dispatch__recipient_ids")
    )


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).count()


def preferences_of(*, user: Any) -> dict[str, dict[str, bool]]:
    """Every kind's channels for the person: their choice, else the kind's defaults."""
    chosen = {row.kind: row for row in Preference.objects.filter(user=user)}
    result = {}
    for kind in Kind.values:
        channels = kinds.channels_of(kind, chosen.get(kind))
        result[kind] = {channel: channel in channels for channel in ("in_app", "email", "sms")}
    return result


def quiet_hours_of(*, user: Any) -> QuietHours | None:
    return QuietHours.objects.filter(user=user).first()


def failed_deliveries_visible(*, user: Any) -> QuerySet[Delivery]:
    failed = Delivery.objects.filter(state=DeliveryState.FAILED).select_related(
        "notification__recipient__school"
    )
    if not can_view_failures(user):
        return failed.none()
    if accounts_policies.is_platform_admin(user):
        scoped = failed
    elif accounts_policies.is_region_admin(user):
        scoped = failed.filter(Q(notification__recipient__school__region_id=user.region_id))
    else:
        scoped = failed.filter(notification__recipient__school_id=user.school_id)
    return scoped.order_by("-updated_at", "-pk")


def notification_rows(*, user: Any, notifications: list[Notification]) -> list[dict[str, Any]]:
    """The person's notifications as they read them on a page or through the API: in the
    language of the request (the page's) and the person's time zone, as live notices on that
    page are. (E-mail and SMS, with no page, use the person's own: ``services.language_of``.)"""
    zone = ZoneInfo(user.time_zone)
    rows = []
    for notification in notifications:
        dispatch = notification.dispatch
        texts = kinds.texts(dispatch.kind, dispatch.params, zone)
        rows.append(
            {
                "id": notification.pk,
                "kind": notification.kind,
                "title": texts.title,
                "body": texts.body,
                "link": dispatch.params.get("link", ""),
                "created_at": notification.created_at,
                "read": notification.read_at is not None,
            }
        )
    return rows


def notice_title(kind: str, params: dict[str, Any], language: str, zone: str) -> str:
    """A notice's title in ``language`` (the site's when empty) and the time zone ``zone``."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return kinds.texts(kind, params, ZoneInfo(zone)).title


def dispatched(*, dedupe_key: str) -> bool:
    """Whether a notice with this key was recorded (a periodic job's cheap check)."""
    return Dispatch.objects.filter(dedupe_key=dedupe_key).exists()

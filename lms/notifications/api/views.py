"""REST endpoints of notifications: a person's own list, unread count, marks and choices; the
failed deliveries for administrators; the SMS gateway's delivery reports."""

import hmac
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.api.requests import request_person
from lms.api import StandardPagination
from lms.errors import ApplicationError
from lms.notifications import policies, selectors, services
from lms.notifications.api import serializers as s
from lms.notifications.models import Delivery


class NotificationsApi(APIView):
    """The reader's notifications, newest first; ``?unread=true`` for the unread only."""

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, required=False)],
        responses=s.NotificationOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        person = request_person(request)
        notifications = selectors.notifications_for_user(user=person)
        if request.query_params.get("unread") in ("true", "1"):
            notifications = notifications.filter(read_at__isnull=True)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(notifications, request, view=self) or []
        rows = selectors.notification_rows(user=person, notifications=list(page))
        return paginator.get_paginated_response(rows)


class UnreadCountApi(APIView):
    @extend_schema(responses=s.UnreadOutput)
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=request_person(request))})


class MarkReadApi(APIView):
    """Mark some (``ids``) or all (``all: true``) of one's notifications read, or unread with
    ``read: false``. Ids of other people's notifications change nothing."""

    @extend_schema(request=s.MarkReadInput, responses=s.MarkReadOutput)
    def post(self, request: Request) -> Response:
        person = request_person(request)
        data = s.MarkReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.notifications_mark_read(
            user=person,
            ids=None if data.validated_data["all"] else data.validated_data["ids"],
            read=data.validated_data["read"],
        )
        return Response({"changed": changed, "unread": selectors.unread_count(user=person)})


def _preferences(person: Any) -> dict[str, Any]:
    hours = selectors.quiet_hours_of(user=person)
    return {
        "kinds": selectors.preferences_of(user=person),
        "quiet_hours": {"starts": hours.starts, "ends": hours.ends} if hours else None,
        "time_zone": person.time_zone,
    }


class PreferencesApi(APIView):
    """Which channels reach the reader for each kind, and their quiet hours (in their own time
    zone; only in-app notices arrive then, the rest waits for the end)."""

    @extend_schema(responses=s.PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.PreferencesSerializer(_preferences(request_person(request))).data)

    @extend_schema(request=s.PreferencesSerializer, responses=s.PreferencesSerializer)
    def put(self, request: Request) -> Response:
        person = request_person(request)
        data = s.PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.notification_settings_update(
            user=person,
            choices=data.validated_data.get("kinds"),
            quiet_hours=data.validated_data.get("quiet_hours", "unchanged"),
        )
        return Response(s.PreferencesSerializer(_preferences(person)).data)


def _failure_row(delivery: Delivery) -> dict[str, Any]:
    person = delivery.notification.recipient
    return {
        "id": delivery.pk,
        "channel": delivery.channel,
        "state": delivery.state,
        "address": delivery.address,
        "kind": delivery.notification.kind,
        "recipient": {
            "id": person.pk,
            "name": person.get_full_name() or person.username,
            "school": person.school.name if person.school else None,
        },
        "attempts": delivery.attempts,
        "error": delivery.last_error,
        "created_at": delivery.notification.created_at,
        "failed_at": delivery.updated_at,
    }


class FailedDeliveriesApi(APIView):
    """Deliveries that failed after every attempt, for the people the administrator runs."""

    @extend_schema(responses=s.FailedDeliveryOutput(many=True))
    def get(self, request: Request) -> Response:
        person = request_person(request)
        if not policies.can_view_failures(person):
            raise PermissionDenied
        paginator = StandardPagination()
        page = paginator.paginate_queryset(
            selectors.failed_deliveries_visible(user=person), request, view=self
        )
        rows = [_failure_row(delivery) for delivery in page or []]
        return paginator.get_paginated_response(rows)


class DeliveryResendApi(APIView):
    @extend_schema(request=None, responses={202: s.FailedDeliveryOutput})
    def post(self, request: Request, delivery_id: int) -> Response:
        person = request_person(request)
        if not policies.can_view_failures(person):
            raise PermissionDenied
        delivery = get_object_or_404(
            selectors.failed_deliveries_visible(user=person), pk=delivery_id
        )
        delivery = services.delivery_resend(delivery=delivery, by=person)
        return Response(
            s.FailedDeliveryOutput(_failure_row(delivery)).data, status=status.HTTP_202_ACCEPTED
        )


class SmsStatusApi(APIView):
    """The SMS gateway's report on a message it accepted (``Authorization: Bearer`` with
    ``SMS_CALLBACK_TOKEN``)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(request=s.SmsStatusInput, responses={204: None})
    def post(self, request: Request) -> Response:
        expected = settings.SMS_CALLBACK_TOKEN
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApplicationError(
                "not_authenticated", _("The gateway's token is missing or wrong."), status_code=401
            )
        data = s.SmsStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.sms_status_update(
            provider_id=data.validated_data["id"],
            status=data.validated_data["status"],
            error=data.validated_data["error"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

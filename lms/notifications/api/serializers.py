from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lms.notifications.models import Channel, DeliveryState, Kind


class NotificationOutput(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    title = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class UnreadOutput(serializers.Serializer[dict[str, Any]]):
    unread = serializers.IntegerField()


class MarkReadInput(serializers.Serializer[dict[str, Any]]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=500
    )
    all = serializers.BooleanField(required=False, default=False)
    read = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("ids")) == bool(attrs.get("all")):
            raise serializers.ValidationError(
                {"ids": [_("Give the ids of the notifications, or all: true.")]}
            )
        return attrs


class MarkReadOutput(serializers.Serializer[dict[str, Any]]):
    changed = serializers.IntegerField()
    unread = serializers.IntegerField()


class ChannelsField(serializers.Serializer[dict[str, Any]]):
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    sms = serializers.BooleanField()


class QuietHoursField(serializers.Serializer[dict[str, Any]]):
    starts = serializers.TimeField(format="%H:%M")
    ends = serializers.TimeField(format="%H:%M")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["starts"] == attrs["ends"]:
            raise serializers.ValidationError(
                {"ends": [_("Quiet hours must end at another time than they start.")]}
            )
        return attrs


class PreferencesSerializer(serializers.Serializer[dict[str, Any]]):
    kinds = serializers.DictField(child=ChannelsField(), required=False)
    quiet_hours = QuietHoursField(allow_null=True, required=False)
    time_zone = serializers.CharField(read_only=True)

    def validate_kinds(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(Kind.values))
        if unknown:
            raise serializers.ValidationError(
                _("Unknown kinds of notification: %(kinds)s.") % {"kinds": ", ".join(unknown)}
            )
        return value


class PersonField(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    school = serializers.CharField(allow_null=True)


class FailedDeliveryOutput(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    state = serializers.ChoiceField(choices=DeliveryState.choices)
    address = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    recipient = PersonField()
    attempts = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    failed_at = serializers.DateTimeField()


class SmsStatusInput(serializers.Serializer[dict[str, Any]]):
    id = serializers.CharField(max_length=100)
    status = serializers.ChoiceField(choices=["delivered", "failed"])
    error = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

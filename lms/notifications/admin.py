from django.contrib import admin

from lms.notifications.models import Delivery, Dispatch


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "dedupe_key", "cursor", "created_at", "finished_at")
    list_filter = ("kind",)
    readonly_fields = ("kind", "params", "recipient_ids", "dedupe_key", "cursor", "finished_at")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("pk", "channel", "address", "state", "attempts", "due_at", "updated_at")
    list_filter = ("channel", "state")
    search_fields = ("address", "provider_id")
    raw_id_fields = ("notification",)

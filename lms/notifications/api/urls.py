from django.urls import path

from lms.notifications.api import views

urlpatterns = [
    path("notifications/", views.NotificationsApi.as_view(), name="notifications"),
    path(
        "notifications/unread-count/",
        views.UnreadCountApi.as_view(),
        name="notifications-unread-count",
    ),
    path("notifications/read/", views.MarkReadApi.as_view(), name="notifications-read"),
    path(
        "notifications/preferences/",
        views.PreferencesApi.as_view(),
        name="notifications-preferences",
    ),
    path(
        "notifications/failures/",
        views.FailedDeliveriesApi.as_view(),
        name="notifications-failures",
    ),
    path(
        "notifications/failures/<int:delivery_id>/resend/",
        views.DeliveryResendApi.as_view(),
        name="notifications-resend",
    ),
    path(
        "notifications/sms-status/", views.SmsStatusApi.as_view(), name="notifications-sms-status"
    ),
]

from django.urls import path

from realtime.consumers import LessonConsumer
from realtime.notices import NoticeConsumer

websocket_urlpatterns = [
    path("ws/lessons/<int:lesson_id>/", LessonConsumer.as_asgi(), name="lesson-socket"),
    path("ws/notifications/", NoticeConsumer.as_asgi(), name="notice-socket"),
]

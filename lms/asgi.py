"""ASGI entry point: HTTP through Django, WebSockets (the live lessons) through Channels, and
the lifespan (lms.embedded_beat)."""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

django_asgi_app = get_asgi_application()

from lms import embedded_beat  # noqa: E402  (needs the apps loaded)
from realtime.auth import lesson_socket_stack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": lesson_socket_stack(URLRouter(websocket_urlpatterns)),
        # Runs the periodic jobs in this process when there is no beat (the embedded default).
        "lifespan": embedded_beat.lifespan,
    }
)

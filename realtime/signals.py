"""Framework hooks only: a person who signs out loses their lesson sockets at once."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from realtime import bus


@receiver(user_logged_out, dispatch_uid="realtime.sign_out")
def _signed_out(sender: Any, user: Any, request: Any = None, **kwargs: Any) -> None:
    if user is None or user.pk is None:
        return
    # Django sends this signal before it flushes the session: the sockets' recheck must
    # already find the session gone, or a socket that rechecks at once would stay open.
    session = getattr(request, "session", None)
    if session is not None and session.session_key is not None:
        session.delete()
    bus.user_recheck(user.pk)

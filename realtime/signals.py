"""Framework hooks only: a person who signs out loses their lesson sockets at once."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from realtime import bus


@receiver(user_logged_out, dispatch_uid="realtime.sign_out")
def _signed_out(sender: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        bus.user_recheck(user.pk)

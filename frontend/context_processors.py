"""What every page's template may show of the signed-in person: their unread notices, in the
navigation's badge."""

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from lms.notifications import selectors


class UnreadNotices:
    """The person's unread count, read once, when a template first asks for it: a page that
    shows the navigation costs one query, a fragment that does not (htmx) costs none."""

    def __init__(self, user: Any) -> None:
        self._user = user

    @cached_property
    def count(self) -> int:
        return selectors.unread_count(user=self._user)


def notices(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": UnreadNotices(user)}

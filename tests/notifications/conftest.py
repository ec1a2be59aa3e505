"""Notifications tests run the fan-out and sending tasks in the test's process (a real worker
and beat are tested in tests/integration), and send to local stand-ins of the outside."""

from collections.abc import Callable
from typing import Any

import pytest

from lms.notifications.models import Dispatch
from lms.notifications.services import notify
from tests.assessments.conftest import bank  # noqa: F401 - fixtures for the tests here
from tests.classrooms.conftest import rooms  # noqa: F401
from tests.courses.conftest import courses  # noqa: F401


@pytest.fixture(autouse=True)
def _eager_celery(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "lms.notifications.senders.ConsoleSmsBackend"


Tell = Callable[..., Dispatch | None]


@pytest.fixture
def tell(django_capture_on_commit_callbacks: Any) -> Tell:
    """``notify`` in a transaction that commits: the fan-out and the sending run."""

    def call(**kwargs: Any) -> Dispatch | None:
        kwargs.setdefault("kind", "enrolled")
        kwargs.setdefault("params", {"class": "7A", "course": "Algebra", "link": "/classes/1/"})
        with django_capture_on_commit_callbacks(execute=True):
            return notify(**kwargs)

    return call

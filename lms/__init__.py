"""Mektep core: settings, URLs, ASGI/WSGI, the Celery app and the API's error format."""

from lms.celery import app as celery_app

__all__ = ["celery_app"]

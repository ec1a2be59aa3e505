"""Responses compressed for the browsers that accept gzip, as Django's middleware does, but
for those that say they must not be (``compress = False``): stored files such as lesson
videos, compressed already, whose parts (206) must go out as the file's own bytes and whose
length a phone's download shows."""

from typing import Any

from django.http import HttpRequest
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware


class GZipMiddleware(DjangoGZipMiddleware):
    def process_response(self, request: HttpRequest, response: Any) -> Any:
        if getattr(response, "compress", True) is False:
            return response
        return super().process_response(request, response)

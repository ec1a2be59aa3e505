"""What lessons may carry as files: the allow-list of types, read from a file's bytes, and how
each type is served (shown in the page, or only downloaded)."""

import logging
import posixpath
import re
from collections.abc import AsyncIterator, Iterator
from typing import IO, cast

import filetype
from asgiref.sync import sync_to_async
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.http import http_date
from rest_framework.request import Request

log = logging.getLogger(__name__)

# Types recognised from their first bytes, and whether a browser may show them inline. SVG,
# HTML and anything else that can carry script is not on the list at all.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "attachment",
    "image/png": "attachment",
    "image/jpeg": "attachment",
    "image/gif": "attachment",
    "image/webp": "attachment",
    "audio/mpeg": "attachment",
    "audio/ogg": "attachment",
    "audio/x-m4a": "attachment",
    "audio/mp4": "attachment",
    "video/mp4": "video",
    "video/webm": "video",
}
# What a pupil may hand in with an assignment: the attachment types above, and documents from a
# word processor (always downloaded, never shown in the page).
SUBMISSION_TYPES = frozenset(
    {
        *(name for name, kind in ALLOWED_TYPES.items() if kind == "attachment"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
    }
)
SUBMISSION_MAX_BYTES = 20 * 1024 * 1024
SUBMISSION_MAX_FILES = 5
INLINE_PREFIXES = ("image/", "audio/", "video/", "application/pdf")
MAX_BYTES = {"video": 200 * 1024 * 1024, "attachment": 20 * 1024 * 1024}
SNIFF_BYTES = 8192


def sniff_content_type(head: bytes) -> str | None:
    """The file's type from its first bytes, or None when it is not one we recognise."""
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def allowed_for(kind: str, content_type: str | None) -> bool:
    if content_type is None or content_type not in ALLOWED_TYPES:
        return False
    return kind == "attachment" or ALLOWED_TYPES[content_type] == "video"


def shown_inline(content_type: str) -> bool:
    return content_type.startswith(INLINE_PREFIXES)


def clean_file_name(name: str) -> str:
    """Only the last part of an uploaded file's name, without path separators or control
    characters (it is shown and sent back as the download's name, never used on disk)."""
    base = posixpath.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '/\\"')
    return (base.strip(". ") or "file")[:200]


class StoredFileResponse(FileResponse):
    """A file that an ASGI server sends a block at a time, each read on a thread as its turn
    comes. Django's ASGI handler reads a synchronous file response into a list first: the
    whole file in memory (a 200 MB video, once for each pupil downloading it) before the first
    byte goes out. Under WSGI and in the test client it is an ordinary ``FileResponse``.

    Not gzipped (``lms.compression``): what lessons carry is compressed already, and a part
    of a file (206) must be sent as its bytes are."""

    block_size = 64 * 1024
    compress = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        blocks = iter(cast(Iterator[bytes], self.streaming_content))  # a file's: synchronous

        def read() -> bytes | None:
            return next(blocks, None)

        while (block := await sync_to_async(read, thread_sensitive=False)()) is not None:
            yield block


class _Part:
    """Bytes ``first`` to ``first + length - 1`` of an open file, read as a file is read."""

    def __init__(self, file: IO[bytes], first: int, length: int) -> None:
        file.seek(first)
        self._file, self._left = file, length

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        wanted = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(wanted)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


# RFC 9110 14.1.2: one byte range (``first-last``, ``first-`` or ``-suffix``); a set of several
# is answered with the whole file, as the RFC allows.
_BYTE_RANGE = re.compile(r"[ \t]*bytes=(\d*)-(\d*)[ \t]*", re.ASCII | re.IGNORECASE)
UNSATISFIABLE = "unsatisfiable"


def byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """The first and last byte a ``Range`` header asks of a file of ``size`` bytes;
    ``UNSATISFIABLE`` when it asks only for bytes beyond the end; None when it is not one byte
    range (another unit, several ranges, or not well formed): the whole file is sent."""
    match = _BYTE_RANGE.fullmatch(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:  # the last N bytes
        if not last_text:
            return None
        suffix = _position(last_text)
        if suffix == 0:
            return UNSATISFIABLE
        if size == 0:  # nothing to send but the (empty) whole
            return None
        return max(0, size - suffix), size - 1
    first = _position(first_text)
    last = _position(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        return UNSATISFIABLE
    return first, min(last, size - 1)


def _position(digits: str) -> int:
    """A position in a file. A number with more digits than any file's size is past every
    end (and Python refuses to read an integer of thousands of digits)."""
    return int(digits) if len(digits) <= 18 else 1 << 63


def stored_file_response(
    request: HttpRequest | Request, stored: FieldFile, *, content_type: str, name: str
) -> HttpResponse | StoredFileResponse:
    """A stored upload, with the type found in its bytes: shown in the page only for images,
    audio, video and PDF, downloaded otherwise, and browsers told not to guess types.

    A ``Range`` request gets that part of the file (206), so that a phone can seek in a lesson
    video and resume a download its link dropped, instead of starting again; ``If-Range``
    with another date than the file's gets the whole file."""
    try:
        size = stored.size
    except FileNotFoundError:
        # The row is there and the bytes are not (media not restored with the database):
        # the reader is told it is not found, the operators why.
        log.error("stored file %s is missing from the storage", stored.name)
        raise Http404 from None
    modified = _last_modified(stored)
    wanted = None
    header = request.headers.get("Range")
    if header and request.method == "GET":  # RFC 9110 14.2: ranges of GET only
        if_range = request.headers.get("If-Range")
        if if_range is None or (modified is not None and if_range.strip() == modified):
            wanted = byte_range(header, size)
    if wanted == UNSATISFIABLE:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    file = stored.open("rb")
    filelike: IO[bytes] | _Part = file
    if isinstance(wanted, tuple):
        first, last = wanted
        filelike = _Part(file, first, last - first + 1)
    response = StoredFileResponse(
        filelike,
        content_type=content_type,
        as_attachment=not shown_inline(content_type),
        filename=name,
    )
    if isinstance(wanted, tuple):
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    if modified is not None:
        response["Last-Modified"] = modified
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _last_modified(stored: FieldFile) -> str | None:
    """The stored file's time as an HTTP date, where the storage can tell it."""
    if not stored.name:
        return None
    try:
        return http_date(stored.storage.get_modified_time(stored.name).timestamp())
    except (NotImplementedError, OSError):
        return None

"""What lessons may carry as files: the allow-list of types, read from a file's bytes, and how
each type is served (shown in the page, or only downloaded)."""

import posixpath
from collections.abc import AsyncIterator, Iterator
from typing import cast

import filetype
from asgiref.sync import sync_to_async
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

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
    byte goes out. Under WSGI and in the test client it is an ordinary ``FileResponse``."""

    block_size = 64 * 1024

    async def __aiter__(self) -> AsyncIterator[bytes]:
        blocks = iter(cast(Iterator[bytes], self.streaming_content))  # a file's: synchronous

        def read() -> bytes | None:
            return next(blocks, None)

        while (block := await sync_to_async(read, thread_sensitive=False)()) is not None:
            yield block


def stored_file_response(stored: FieldFile, *, content_type: str, name: str) -> StoredFileResponse:
    """A stored upload, with the type found in its bytes: shown in the page only for images,
    audio, video and PDF, downloaded otherwise, and browsers told not to guess types."""
    response = StoredFileResponse(
        stored.open("rb"),
        content_type=content_type,
        as_attachment=not shown_inline(content_type),
        filename=name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response

"""Lesson files: uploads are checked from their bytes (never from the name or the type the
client claims), stored under a random name inside MEDIA_ROOT, served with the sniffed type,
and only to the people who may see the lesson; their sizes count in the lesson's data cost."""

import os
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIHandler
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from courses import services
from courses.models import Lesson, LessonFile
from courses.uploads import (
    UNSATISFIABLE,
    StoredFileResponse,
    byte_range,
    clean_file_name,
    stored_file_response,
)
from tests.accounts.expectations import assert_error
from tests.asyncrun import run_async
from tests.courses.conftest import Courses
from tests.courses.factories import Classes, make_classes


# --- small real files -----------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    + _png_chunk(b"IEND", b"")
)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM = (
    bytes.fromhex("1A45DFA3")
    + b"\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    + b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
    + b"\x00" * 32
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
    b"<script>alert(document.cookie)</script></svg>"
)
JS = b"fetch('/api/v1/me/').then(r => r.text()).then(alert);\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100


@pytest.fixture(autouse=True)
def media_root(tmp_path: Path, settings: Any) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def files_url(lesson: Lesson) -> str:
    return reverse("api:lesson-files", args=[lesson.pk])


def upload(
    client: APIClient,
    lesson: Lesson,
    name: str,
    content: bytes,
    content_type: str = "application/octet-stream",
    kind: str | None = None,
) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content, content_type=content_type)}
    if kind is not None:
        data["kind"] = kind
    return client.post(files_url(lesson), data, format="multipart")


def raw_upload(client: APIClient, lesson: Lesson, filename: bytes, content: bytes) -> Any:
    """A multipart body written by hand, so the file name reaches the server exactly as given
    (Django's test client would strip the directories first)."""
    boundary = b"----mektep-test-boundary"
    body = (
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="kind"\r\n\r\nattachment\r\n'
        b"--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + content + b"\r\n"
        b"--" + boundary + b"--\r\n"
    )
    return client.post(
        files_url(lesson),
        data=body,
        content_type="multipart/form-data; boundary=" + boundary.decode(),
    )


def download(client: APIClient, file_id: int) -> tuple[Any, bytes]:
    response = client.get(reverse("api:lesson-file-download", args=[file_id]))
    content = b""
    if response.status_code == 200:
        # reading to the end closes the file (the test client's wrapper closes the response
        # without closing the database connection, which close() itself would do)
        content = b"".join(response.streaming_content)
    return response, content


@pytest.fixture
def classes(courses: Courses) -> Classes:
    return make_classes(courses)


# --- 1. hostile uploads ---------------------------------------------------------------------
HOSTILE = {
    "html renamed pdf": ("lesson.pdf", HTML, "application/pdf", "attachment"),
    "html claimed pdf": ("lesson.html", HTML, "application/pdf", "attachment"),
    "svg with script": ("drawing.svg", SVG, "image/svg+xml", "attachment"),
    "svg renamed png": ("drawing.png", SVG, "image/png", "attachment"),
    "javascript renamed mp4": ("clip.mp4", JS, "video/mp4", "video"),
    "javascript mp4 attachment": ("clip.mp4", JS, "video/mp4", "attachment"),
    "exe renamed pdf": ("notes.pdf", EXE, "application/pdf", "attachment"),
    "zip renamed pdf": ("notes.pdf", ZIP, "application/pdf", "attachment"),
    "pdf as video": ("clip.mp4", PDF, "video/mp4", "video"),
    "png as video": ("clip.webm", PNG, "video/webm", "video"),
    "mp3 as video": ("clip.mp4", MP3, "video/mp4", "video"),
}


@pytest.mark.parametrize("case", HOSTILE.keys())
def test_hostile_upload_is_refused_and_writes_nothing(
    courses: Courses, media_root: Path, case: str
) -> None:
    name, content, content_type, kind = HOSTILE[case]
    response = upload(
        courses.client("author"), courses.lesson_published, name, content, content_type, kind
    )
    assert_error(response, 400, "invalid", {"file"})
    assert not LessonFile.objects.exists()
    assert stored_files(media_root) == []


def test_attachment_over_the_limit_is_refused(
    courses: Courses, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from courses import uploads

    monkeypatch.setitem(uploads.MAX_BYTES, "attachment", len(PDF) - 1)
    response = upload(courses.client("author"), courses.lesson_published, "big.pdf", PDF)
    assert_error(response, 400, "invalid", {"file"})
    assert not LessonFile.objects.exists()
    assert stored_files(media_root) == []
    # exactly at the limit is accepted
    monkeypatch.setitem(uploads.MAX_BYTES, "attachment", len(PDF))
    response = upload(courses.client("author"), courses.lesson_published, "big.pdf", PDF)
    assert response.status_code == 201, response.content


def test_video_over_the_limit_is_refused(
    courses: Courses, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from courses import uploads

    monkeypatch.setitem(uploads.MAX_BYTES, "video", len(MP4) - 1)
    response = upload(
        courses.client("author"), courses.lesson_published, "a.mp4", MP4, kind="video"
    )
    assert_error(response, 400, "invalid", {"file"})
    assert not LessonFile.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize("kind", ["executable", "VIDEO", "video "])
def test_unknown_kind_is_refused(courses: Courses, media_root: Path, kind: str) -> None:
    response = upload(courses.client("author"), courses.lesson_published, "a.pdf", PDF, kind=kind)
    assert_error(response, 400, "invalid", {"kind"})
    assert not LessonFile.objects.exists()
    assert stored_files(media_root) == []


def test_unknown_kind_is_refused_by_the_service(courses: Courses, media_root: Path) -> None:
    from lms.errors import ApplicationError

    with pytest.raises(ApplicationError) as raised:
        services.lesson_file_add(
            lesson=courses.lesson_published,
            by=courses.author,
            upload=SimpleUploadedFile("a.pdf", PDF),
            kind="script",
        )
    assert "kind" in raised.value.fields
    assert not LessonFile.objects.exists()
    assert stored_files(media_root) == []


def test_missing_file_is_refused(courses: Courses, media_root: Path) -> None:
    response = courses.client("author").post(
        files_url(courses.lesson_published), {"kind": "attachment"}, format="multipart"
    )
    assert_error(response, 400, "invalid", {"file"})
    assert stored_files(media_root) == []


# --- 2. path tricks -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        ("/abs/path/x.pdf", "x.pdf"),
        ('a"b.pdf', "ab.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ("a\nb\r.pdf", "ab.pdf"),
        ("..", "file"),
        ("../", "file"),
        ("", "file"),
        ("x" * 300 + ".pdf", "x" * 200),
    ],
)
def testclean_file_name(name: str, expected: str) -> None:
    assert clean_file_name(name) == expected


def assert_stored_safely(lesson_file: LessonFile, media_root: Path) -> None:
    stored = Path(lesson_file.file.path).resolve()
    assert stored.is_relative_to(media_root.resolve()), stored
    assert ".." not in lesson_file.file.name
    parts = lesson_file.file.name.split("/")
    assert parts[:2] == ["lessons", str(lesson_file.lesson_id)], parts
    assert len(parts) == 3, parts
    assert len(parts[2]) == 32, parts
    int(parts[2], 16)  # random hex, nothing of the uploader's name
    assert stored_files(media_root) == [stored]


def assert_clean(original_name: str) -> None:
    assert original_name
    assert not any(ch in original_name for ch in '/\\"')
    assert all(ch.isprintable() for ch in original_name)
    assert ".." not in original_name


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", 'evil"\r\nX-Header: 1.pdf', "a\x00b.pdf"],
)
def test_service_neutralises_path_tricks(courses: Courses, media_root: Path, name: str) -> None:
    upload_file = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    upload_file._name = name  # bypass UploadedFile's own basename(), as a raw stream would
    lesson_file = services.lesson_file_add(
        lesson=courses.lesson_published, by=courses.author, upload=upload_file, kind="attachment"
    )
    assert lesson_file.original_name == clean_file_name(name)
    assert_clean(lesson_file.original_name)
    assert_stored_safely(lesson_file, media_root)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (b"../../etc/passwd.pdf", "passwd.pdf"),
        (b"..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        (b"/etc/../../x.pdf", "x.pdf"),
        (b"note\x00s.pdf", "notes.pdf"),
        (b"a&quot;b.pdf", "ab.pdf"),
        (b"a&#10;b.pdf", "ab.pdf"),
    ],
)
def test_api_neutralises_path_tricks(
    courses: Courses, media_root: Path, filename: bytes, expected: str
) -> None:
    client = courses.client("author")
    response = raw_upload(client, courses.lesson_published, filename, PDF)
    assert response.status_code == 201, response.content
    lesson_file = LessonFile.objects.get()
    assert lesson_file.original_name == expected
    assert response.json()["original_name"] == expected
    assert_clean(lesson_file.original_name)
    assert_stored_safely(lesson_file, media_root)

    answer, content = download(client, lesson_file.pk)
    assert answer.status_code == 200
    assert content == PDF
    assert answer["Content-Disposition"] == f'inline; filename="{expected}"'


# --- 3. accepted files ----------------------------------------------------------------------
ACCEPTED = {
    "pdf": ("notes.pdf", PDF, "attachment", "application/pdf"),
    "png": ("picture.png", PNG, "attachment", "image/png"),
    "mp3": ("song.mp3", MP3, "attachment", "audio/mpeg"),
    "mp4": ("clip.mp4", MP4, "video", "video/mp4"),
    "webm": ("clip.webm", WEBM, "video", "video/webm"),
}


@pytest.mark.parametrize("case", ACCEPTED.keys())
def test_accepted_file_is_served_with_its_sniffed_type(
    courses: Courses, media_root: Path, case: str
) -> None:
    name, content, kind, sniffed = ACCEPTED[case]
    client = courses.client("author")
    # the client claims a type that would be dangerous if trusted
    response = upload(client, courses.lesson_published, name, content, "text/html", kind)
    assert response.status_code == 201, response.content
    body = response.json()
    lesson_file = LessonFile.objects.get()
    assert body == {
        "id": lesson_file.pk,
        "kind": kind,
        "original_name": name,
        "content_type": sniffed,
        "size": len(content),
        "download_url": reverse("api:lesson-file-download", args=[lesson_file.pk]),
    }
    assert lesson_file.content_type == sniffed
    assert_stored_safely(lesson_file, media_root)

    answer, downloaded = download(client, lesson_file.pk)
    assert answer.status_code == 200
    assert answer["Content-Type"] == sniffed
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Content-Disposition"] == f'inline; filename="{name}"'
    assert downloaded == content

    # the lesson shows it
    lesson = client.get(f"/api/v1/lessons/{courses.lesson_published.pk}/").json()
    assert [item["id"] for item in lesson["files"]] == [lesson_file.pk]


def test_default_kind_is_attachment(courses: Courses) -> None:
    response = upload(courses.client("author"), courses.lesson_published, "n.pdf", PDF)
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "attachment"


def test_second_video_replaces_the_first(
    courses: Courses, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = courses.client("author")
    lesson = courses.lesson_published
    attachment = upload(client, lesson, "n.pdf", PDF).json()
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(client, lesson, "one.mp4", MP4, kind="video")
    assert first.status_code == 201, first.content
    first_file = LessonFile.objects.get(pk=first.json()["id"])
    first_path = Path(first_file.file.path)
    assert first_path.exists()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = upload(client, lesson, "two.webm", WEBM, kind="video")
    assert second.status_code == 201, second.content
    assert callbacks, "the old file is deleted after commit"
    assert not LessonFile.objects.filter(pk=first_file.pk).exists()
    assert not first_path.exists()
    videos = LessonFile.objects.filter(lesson=lesson, kind="video")
    assert [v.pk for v in videos] == [second.json()["id"]]
    # the attachment is untouched
    assert LessonFile.objects.filter(pk=attachment["id"]).exists()
    assert len(stored_files(media_root)) == 2
    assert download(client, first_file.pk)[0].status_code == 404


def test_delete_removes_row_and_file_after_commit(
    courses: Courses, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    client = courses.client("author")
    created = upload(client, courses.lesson_published, "n.pdf", PDF).json()
    path = Path(LessonFile.objects.get(pk=created["id"]).file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(reverse("api:lesson-file", args=[created["id"]]))
    assert response.status_code == 204
    assert not LessonFile.objects.exists()
    assert not path.exists()
    assert stored_files(media_root) == []


# --- 4. permissions -------------------------------------------------------------------------
UPLOAD_ANSWERS = {
    "platform_admin": 201,
    "author": 201,
    "region_admin_a": 403,  # sees the published lesson, may not edit it
    "school_admin_a1": 403,
    "class_teacher": 403,  # teaches a class of the course
    "student_a1": 403,  # enrolled
    "region_admin_b": 404,
    "school_admin_a2": 404,
    "teacher_a2": 404,
    "student_b1": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", UPLOAD_ANSWERS.keys())
def test_who_may_upload(classes: Classes, media_root: Path, role: str) -> None:
    lesson = classes.courses.lesson_published
    response = upload(classes.client(role), lesson, "n.pdf", PDF)
    expected = UPLOAD_ANSWERS[role]
    assert response.status_code == expected, response.content
    if expected != 201:
        assert not LessonFile.objects.exists()
        assert stored_files(media_root) == []


@pytest.mark.parametrize("role", UPLOAD_ANSWERS.keys())
def test_who_may_delete(
    classes: Classes, media_root: Path, role: str, django_capture_on_commit_callbacks: Any
) -> None:
    lesson = classes.courses.lesson_published
    created = upload(classes.client("author"), lesson, "n.pdf", PDF).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = classes.client(role).delete(reverse("api:lesson-file", args=[created["id"]]))
    expected = 204 if UPLOAD_ANSWERS[role] == 201 else UPLOAD_ANSWERS[role]
    assert response.status_code == expected, response.content
    if expected != 204:
        assert LessonFile.objects.filter(pk=created["id"]).exists()
        assert len(stored_files(media_root)) == 1
    else:
        assert stored_files(media_root) == []


DOWNLOAD_PUBLISHED = {
    "platform_admin": 200,
    "author": 200,
    "region_admin_a": 200,
    "school_admin_a1": 200,
    "class_teacher": 200,
    "student_a1": 200,
    "region_admin_b": 404,
    "school_admin_a2": 404,
    "teacher_a2": 404,
    "student_b1": 404,
    "student_a2": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", DOWNLOAD_PUBLISHED.keys())
def test_who_may_download_a_published_lessons_file(classes: Classes, role: str) -> None:
    lesson = classes.courses.lesson_published
    created = upload(classes.client("author"), lesson, "n.pdf", PDF).json()
    response, content = download(classes.client(role), created["id"])
    assert response.status_code == DOWNLOAD_PUBLISHED[role]
    if response.status_code == 200:
        assert content == PDF


@pytest.mark.parametrize("role", DOWNLOAD_PUBLISHED.keys())
@pytest.mark.parametrize("where", ["lesson_draft", "lesson_in_draft_module"])
def test_a_draft_lessons_file_is_hidden_from_non_authors(
    classes: Classes, role: str, where: str
) -> None:
    lesson = getattr(classes.courses, where)
    created = upload(classes.client("author"), lesson, "n.pdf", PDF)
    assert created.status_code == 201, created.content
    response, _ = download(classes.client(role), created.json()["id"])
    if role in {"platform_admin", "author"}:
        assert response.status_code == 200
    elif role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == 404
    # and nobody but the editors may upload to or delete from it
    if role not in {"platform_admin", "author", "anonymous"}:
        assert upload(classes.client(role), lesson, "m.pdf", PDF).status_code == 404
        deleted = classes.client(role).delete(
            reverse("api:lesson-file", args=[created.json()["id"]])
        )
        assert deleted.status_code == 404


def test_missing_file_is_404(courses: Courses) -> None:
    response, _ = download(courses.client("author"), 999_999)
    assert response.status_code == 404
    missing = courses.client("author").delete(reverse("api:lesson-file", args=[999_999]))
    assert missing.status_code == 404
    assert upload(courses.client("author"), Lesson(pk=999_999), "n.pdf", PDF).status_code == 404


# --- 5. data cost ---------------------------------------------------------------------------
def test_data_cost_counts_text_and_files(courses: Courses) -> None:
    client = courses.client("author")
    lesson = courses.lesson_published
    body_html = "<p>Сабак — «текст» 📘</p>"
    Lesson.objects.filter(pk=lesson.pk).update(body_html=body_html, video_url="")
    text_bytes = len(body_html.encode("utf-8"))
    assert text_bytes > len(body_html)

    def costs() -> tuple[dict[str, Any], dict[str, Any]]:
        detail = client.get(f"/api/v1/lessons/{lesson.pk}/")
        assert detail.status_code == 200, detail.content
        outline = client.get(f"/api/v1/courses/{courses.course.pk}/")
        assert outline.status_code == 200, outline.content
        (in_outline,) = [
            item
            for module in outline.json()["modules"]
            for item in module["lessons"]
            if item["id"] == lesson.pk
        ]
        return detail.json()["data_cost"], in_outline["data_cost"]

    for cost in costs():
        assert cost == {"bytes": text_bytes, "megabytes": 0.0, "external_video": False}

    assert upload(client, lesson, "n.pdf", PDF).status_code == 201
    assert upload(client, lesson, "p.png", PNG).status_code == 201
    assert upload(client, lesson, "v.mp4", MP4, kind="video").status_code == 201
    expected = text_bytes + len(PDF) + len(PNG) + len(MP4)
    for cost in costs():
        assert cost["bytes"] == expected
        assert cost["megabytes"] == round(expected / 1_000_000, 2)
    # a failed upload adds nothing; another lesson's file is not counted
    assert upload(client, lesson, "x.pdf", HTML).status_code == 400
    assert upload(client, courses.lesson_draft, "d.pdf", PDF).status_code == 201
    for cost in costs():
        assert cost["bytes"] == expected
    # a replaced video counts once
    assert upload(client, lesson, "w.webm", WEBM, kind="video").status_code == 201
    expected = text_bytes + len(PDF) + len(PNG) + len(WEBM)
    for cost in costs():
        assert cost["bytes"] == expected


def test_a_file_is_sent_a_block_at_a_time_by_the_asgi_server(media_root: Path) -> None:
    """Under ASGI (the production server), a stored file goes out as it is read, not read
    whole into memory first: Django's handler does that to a plain file response, and warns."""
    content = os.urandom(1_000_000)  # a video's first megabyte
    (media_root / "clip.mp4").write_bytes(content)
    stored = FieldFile(None, LessonFile._meta.get_field("file"), "clip.mp4")
    request = RequestFactory().get("/")
    response = stored_file_response(request, stored, content_type="video/mp4", name="clip.mp4")
    assert isinstance(response, StoredFileResponse)
    read_before_first_block: list[int] = []
    body: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            if not body:
                read_before_first_block.append(response.file_to_stream.tell())
            body.append(message["body"])

    async def serve() -> None:
        await ASGIHandler().send_response(response, send)

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="StreamingHttpResponse must consume")
        run_async(serve)
    response.file_to_stream.close()  # (``close()`` would also end the request: signals)
    assert b"".join(body) == content
    assert read_before_first_block == [StoredFileResponse.block_size]


# --- parts of a file: a phone seeks in a video, or resumes a download ------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=10-10", (10, 10)),
        ("bytes=900-", (900, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),  # more than the file: all of it
        ("bytes=990-5000", (990, 999)),  # past the end: up to the end
        ("BYTES=1-2", (1, 2)),  # the unit is case-insensitive
        (" bytes=1-2 ", (1, 2)),
        ("bytes=1000-", UNSATISFIABLE),
        ("bytes=1000-1001", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        ("bytes=" + "9" * 5000 + "-", UNSATISFIABLE),  # past any end, and not a server error
        ("bytes=10-" + "9" * 5000, (10, 999)),
        ("bytes=-" + "9" * 5000, (0, 999)),
        ("bytes=5-2", None),  # not a range: the whole file
        ("bytes=0-1,5-6", None),  # several: the whole file
        ("bytes=-", None),
        ("bytes=a-b", None),
        ("items=0-1", None),
        ("bytes 0-1", None),
        ("", None),
    ],
)
def test_a_range_header_is_read_as_rfc_9110_says(header: str, expected: Any) -> None:
    assert byte_range(header, 1000) == expected


def test_an_empty_file_has_no_part_to_send() -> None:
    assert byte_range("bytes=0-", 0) == UNSATISFIABLE
    assert byte_range("bytes=-1", 0) is None  # RFC 9110 14.1.3: satisfiable, by the whole


VIDEO = MP4 + bytes(range(256)) * 4  # 1,112 bytes, every part different


@pytest.fixture
def video(classes: Classes) -> int:
    lesson = classes.courses.lesson_published
    created = upload(classes.client("author"), lesson, "v.mp4", VIDEO, kind="video")
    assert created.status_code == 201, created.content
    return int(created.json()["id"])


def fetch(classes: Classes, file_id: int, **headers: str) -> tuple[Any, bytes]:
    response = classes.client("student_a1").get(
        reverse("api:lesson-file-download", args=[file_id]), headers=headers
    )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response, content


def test_a_whole_file_says_parts_may_be_asked_and_is_not_gzipped(
    classes: Classes, video: int
) -> None:
    response, content = fetch(classes, video, accept_encoding="gzip, deflate, br")
    assert response.status_code == 200
    assert content == VIDEO
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(VIDEO))  # a download's progress
    assert not response.has_header("Content-Encoding")
    assert response.has_header("Last-Modified")


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=100-199", 100, 199),
        ("bytes=1000-", 1000, len(VIDEO) - 1),
        ("bytes=-12", len(VIDEO) - 12, len(VIDEO) - 1),
        ("bytes=1100-99999", 1100, len(VIDEO) - 1),
    ],
)
def test_a_range_request_gets_that_part(
    classes: Classes, video: int, header: str, first: int, last: int
) -> None:
    response, content = fetch(classes, video, range=header, accept_encoding="gzip")
    assert response.status_code == 206
    assert content == VIDEO[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.has_header("Content-Encoding")


@pytest.mark.parametrize("first", [str(len(VIDEO)), "9" * 5000])
def test_a_range_beyond_the_end_is_refused_with_the_size(
    classes: Classes, video: int, first: str
) -> None:
    response, content = fetch(classes, video, range=f"bytes={first}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO)}"
    assert content == b""


def test_a_head_request_ignores_a_range(classes: Classes, video: int) -> None:
    """RFC 9110 14.2: only GET has ranges."""
    response = classes.client("student_a1").head(
        reverse("api:lesson-file-download", args=[video]), headers={"range": "bytes=0-9"}
    )
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(VIDEO))
    assert not response.has_header("Content-Range")
    response.close()


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-3", "lines=1-2"])
def test_a_range_we_do_not_serve_gets_the_whole_file(
    classes: Classes, video: int, header: str
) -> None:
    response, content = fetch(classes, video, range=header)
    assert response.status_code == 200
    assert content == VIDEO


def test_a_download_resumes_only_while_the_file_is_the_same(classes: Classes, video: int) -> None:
    """``If-Range``: a browser resuming a download sends the date it had; the part comes only
    if the file still has it, else the whole (new) file."""
    first, _ = fetch(classes, video)
    modified = first["Last-Modified"]
    same, content = fetch(classes, video, range="bytes=500-", if_range=modified)
    assert same.status_code == 206
    assert content == VIDEO[500:]
    for other in ("Mon, 01 Jan 2024 00:00:00 GMT", '"an-etag"'):
        changed, content = fetch(classes, video, range="bytes=500-", if_range=other)
        assert changed.status_code == 200
        assert content == VIDEO


def test_a_part_goes_to_those_who_may_see_the_file_only(classes: Classes, video: int) -> None:
    response = classes.client("student_b1").get(
        reverse("api:lesson-file-download", args=[video]), headers={"range": "bytes=0-9"}
    )
    assert response.status_code == 404


def test_a_part_is_sent_a_block_at_a_time_by_the_asgi_server(media_root: Path) -> None:
    """Under ASGI a part is streamed as the whole file is, and reading stops at its end."""
    content = os.urandom(1_000_000)
    (media_root / "clip.mp4").write_bytes(content)
    stored = FieldFile(None, LessonFile._meta.get_field("file"), "clip.mp4")
    request = RequestFactory().get("/", headers={"range": "bytes=200000-399999"})
    response = stored_file_response(request, stored, content_type="video/mp4", name="clip.mp4")
    assert isinstance(response, StoredFileResponse)
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="StreamingHttpResponse must consume")
        run_async(lambda: ASGIHandler().send_response(response, send))
    start, *bodies = messages
    assert start["status"] == 206
    assert (b"Content-Range", b"bytes 200000-399999/1000000") in start["headers"]
    blocks = [message["body"] for message in bodies if message.get("body")]
    assert b"".join(blocks) == content[200_000:400_000]
    assert max(len(block) for block in blocks) == StoredFileResponse.block_size
    file = response.file_to_stream._file  # type: ignore[union-attr]
    assert file.tell() == 400_000  # nothing read past the part
    file.close()


def test_other_responses_are_still_gzipped(classes: Classes) -> None:
    response = classes.client("author").get("/api/schema/", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("headers", [{}, {"range": "bytes=0-9"}])
def test_a_file_missing_from_the_storage_is_not_found(
    classes: Classes, video: int, media_root: Path, headers: dict[str, str], caplog: Any
) -> None:
    """A file whose bytes are gone (media not restored with the database) answers 404 and is
    logged, not a server error."""
    for path in stored_files(media_root):
        path.unlink()
    response = classes.client("student_a1").get(
        reverse("api:lesson-file-download", args=[video]), headers=headers
    )
    assert response.status_code == 404
    assert "missing from the storage" in caplog.text

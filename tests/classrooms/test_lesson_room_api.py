"""The lesson room's REST side: the slide deck (a PDF split into pictures, or pictures) and
the attendance read from the connection intervals of a whole lesson, as JSON and CSV."""

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from classrooms import live
from classrooms.lessons import live_lesson_schedule
from classrooms.models import LessonSlide, LiveLesson, Presence
from lms.accounts.models import Role, User
from realtime.models import LessonEvent
from tests.assessments.conftest import clock  # noqa: F401 - a fixture used here
from tests.classrooms.conftest import Rooms
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
START = NOW + timedelta(minutes=5)


def pdf(pages: int, size: tuple[int, int] = (1600, 900)) -> SimpleUploadedFile:
    pictures = [Image.new("RGB", size, (40 * n, 90, 160)) for n in range(pages)]
    out = io.BytesIO()
    pictures[0].save(out, "PDF", save_all=True, append_images=pictures[1:])
    return SimpleUploadedFile("deck.pdf", out.getvalue(), "application/pdf")


def png(name: str = "slide.png", size: tuple[int, int] = (640, 480)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), "image/png")


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def lesson(rooms: Rooms, clock: Callable[[datetime], None]) -> LiveLesson:  # noqa: F811
    clock(NOW)
    return live_lesson_schedule(
        cohort=rooms.classes.cohorts["a1"],
        by=rooms.classes.person("class_teacher"),
        title="Fractions, live",
        starts_at=START,
        duration_minutes=45,
        hub=rooms.smart_a1,
        spokes=[{"classroom": rooms.room_a2, "facilitator": rooms.facilitator_a2}],
    )


def test_a_pdf_becomes_one_small_picture_per_page(rooms: Rooms, lesson: LiveLesson) -> None:
    teacher = client_of(rooms.classes.person("class_teacher"))
    url = f"/api/v1/live-lessons/{lesson.pk}/slides/"
    response = teacher.post(url, {"files": [pdf(3)]}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json() == {"count": 3}
    slides = list(LessonSlide.objects.filter(lesson=lesson))
    assert [slide.position for slide in slides] == [0, 1, 2]
    assert all(slide.width == 1280 and slide.height == 720 for slide in slides)
    # a pupil of the class reads a slide; it is a WebP picture
    pupil = client_of(rooms.classes.person("student_a1"))
    image = pupil.get(f"{url}1/")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/webp"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert b"".join(image.streaming_content)[8:12] == b"WEBP"  # type: ignore[attr-defined]
    # someone who is not in the lesson finds nothing, as for a slide that does not exist
    outsider = client_of(rooms.classes.person("student_b1"))
    assert outsider.get(f"{url}1/").status_code == 404
    assert pupil.get(f"{url}7/").status_code == 404


def test_pictures_make_a_deck_in_their_order(rooms: Rooms, lesson: LiveLesson) -> None:
    teacher = client_of(rooms.classes.person("class_teacher"))
    files = [png("b.png", (3000, 2000)), png("a.png")]
    response = teacher.post(
        f"/api/v1/live-lessons/{lesson.pk}/slides/", {"files": files}, format="multipart"
    )
    assert response.json() == {"count": 2}
    sizes = list(LessonSlide.objects.filter(lesson=lesson).values_list("width", "height"))
    assert sizes == [(1280, 853), (640, 480)]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (lambda: [SimpleUploadedFile("notes.txt", b"just text", "text/plain")], "PDF file or"),
        (lambda: [pdf(1), png()], "not both"),
        (lambda: [SimpleUploadedFile("x.pdf", b"%PDF-1.4 broken", "application/pdf")], "PDF"),
        (
            lambda: [SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n broken", "image/png")],
            "picture",
        ),
        (lambda: [pdf(61, (100, 100))], "60"),
    ],
)
def test_a_bad_deck_is_refused_and_the_old_one_kept(
    rooms: Rooms, lesson: LiveLesson, files: Callable[[], list[SimpleUploadedFile]], message: str
) -> None:
    teacher = client_of(rooms.classes.person("class_teacher"))
    url = f"/api/v1/live-lessons/{lesson.pk}/slides/"
    teacher.post(url, {"files": [png()]}, format="multipart")
    response = teacher.post(url, {"files": files()}, format="multipart")
    assert response.status_code == 400
    assert message in " ".join(response.json()["fields"]["files"])
    assert LessonSlide.objects.filter(lesson=lesson).count() == 1


def test_only_the_class_teachers_upload(rooms: Rooms, lesson: LiveLesson) -> None:
    url = f"/api/v1/live-lessons/{lesson.pk}/slides/"
    for name, status in (("student_a1", 403), ("school_admin_a1", 403), ("student_b1", 404)):
        response = client_of(rooms.classes.person(name)).post(
            url, {"files": [png()]}, format="multipart"
        )
        assert response.status_code == status, name
    assert not LessonSlide.objects.filter(lesson=lesson).exists()


def test_a_new_deck_during_the_lesson_is_announced(
    rooms: Rooms,
    lesson: LiveLesson,
    clock: Callable[[datetime], None],  # noqa: F811
) -> None:
    teacher = rooms.classes.person("class_teacher")
    clock(START)
    live.lesson_start(lesson=lesson, by=teacher)
    client_of(teacher).post(
        f"/api/v1/live-lessons/{lesson.pk}/slides/", {"files": [pdf(2)]}, format="multipart"
    )
    last = LessonEvent.objects.filter(lesson=lesson).order_by("-seq").first()
    assert last is not None
    assert (last.kind, last.data) == ("slides.replaced", {"count": 2})


def test_a_new_deck_before_the_lesson_is_announced_too(rooms: Rooms, lesson: LiveLesson) -> None:
    """Pupils waiting in the room before the start see the deck's size change (and a pupil who
    joins then does not get an older snapshot shared by others)."""
    teacher = rooms.classes.person("class_teacher")
    response = client_of(teacher).post(
        f"/api/v1/live-lessons/{lesson.pk}/slides/", {"files": [pdf(3)]}, format="multipart"
    )
    assert response.status_code == 200, response.content
    events = list(LessonEvent.objects.filter(lesson=lesson).values_list("kind", "data"))
    assert events == [("slides.replaced", {"count": 3})]


def test_attendance_after_a_whole_lesson(
    rooms: Rooms,
    lesson: LiveLesson,
    clock: Callable[[datetime], None],  # noqa: F811
) -> None:
    # given: a pupil at home who dropped once, a pupil who came late, a pupil checked in to the
    # Tüp room by its facilitator, and a pupil who never came
    classes = rooms.classes
    cohort = classes.cohorts["a1"]
    teacher, facilitator = classes.person("class_teacher"), rooms.facilitator_a2
    home, late, in_room, away = (
        classes.person("student_a1"),
        *(make_person(Role.STUDENT, school=classes.courses.world.school_a1) for _ in range(3)),
    )
    for pupil in (late, in_room, away):
        EnrolmentFactory(cohort=cohort, student=pupil)

    def connect(user: User, minute: float) -> Presence:
        clock(START + timedelta(minutes=minute))
        return live.presence_open(lesson=lesson, user=user)

    def drop(presence: Presence, minute: float) -> None:
        clock(START + timedelta(minutes=minute))
        live.presence_close(presence_id=presence.pk)

    clock(START)
    live.lesson_start(lesson=lesson, by=teacher)
    first = connect(home, 0)
    room = connect(facilitator, 1)
    clock(START + timedelta(minutes=2))
    live.check_in(lesson=lesson, by=facilitator, student_id=in_room.pk)
    drop(first, 20)
    second = connect(home, 22)
    late_one = connect(late, 15)
    drop(late_one, 35)
    drop(room, 45)
    clock(START + timedelta(minutes=45))
    live.lesson_end(lesson=lesson, by=teacher)
    drop(second, 46)

    # when the teacher reads the attendance
    response = client_of(teacher).get(f"/api/v1/live-lessons/{lesson.pk}/attendance/")

    # then
    assert response.status_code == 200
    body = response.json()
    rows = {row["id"]: row for row in body["students"]}
    assert (rows[home.pk]["minutes"], rows[home.pk]["status"], rows[home.pk]["room"]) == (
        43,
        "present",
        None,
    )
    assert (rows[late.pk]["minutes"], rows[late.pk]["status"]) == (20, "late+left_early")
    assert (rows[in_room.pk]["minutes"], rows[in_room.pk]["room"]) == (43, "Tüp room")
    assert rows[in_room.pk]["status"] == "present"
    assert (rows[away.pk]["status"], rows[away.pk]["minutes"]) == ("absent", 0)
    assert body["rooms"] == [
        {"room": "Tüp room", "present": 1, "late": 0, "left_early": 0, "absent": 0},
        {"room": None, "present": 2, "late": 1, "left_early": 1, "absent": 1},
    ]
    # the CSV says the same, for the school's administrator too
    download = client_of(classes.person("school_admin_a1")).get(
        f"/api/v1/live-lessons/{lesson.pk}/attendance.csv/"
    )
    assert download.status_code == 200
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    by_id = {line[0]: line for line in lines[1:]}
    assert by_id[str(late.pk)][3:5] == ["late+left_early", "20"]
    assert by_id[str(in_room.pk)][2] == "Tüp room"


def test_attendance_is_for_the_teachers_and_the_school(rooms: Rooms, lesson: LiveLesson) -> None:
    url = f"/api/v1/live-lessons/{lesson.pk}/attendance/"
    classes = rooms.classes
    expected = {
        "class_teacher": 200,
        "school_admin_a1": 200,
        "region_admin_a": 200,
        "student_a1": 403,
        "student_b1": 404,
        "teacher_a2": 404,
        "school_admin_b1": 404,
    }
    seen = {name: client_of(classes.person(name)).get(url).status_code for name in expected}
    assert seen == expected
    assert client_of(classes.person("class_teacher")).get(url).json()["held"] is False
    assert client_of(rooms.facilitator_a2).get(url).status_code == 403

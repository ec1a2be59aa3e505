"""The pages of a live lesson's room: who gets which room (teacher's console, facilitator's
projector, observer's view, pupil's room) and who gets a 404; the slide deck's upload form
(as a page and in place in the console) with its errors; the slide pictures; the attendance
page and its CSV file; and the links to them from the lesson's page.

The expected answers are written out by hand from the rules, never computed from
``classrooms.policies``; a route added to ``frontend/lesson_room_pages.py`` fails the last test
here until it is in ``ROUTES``."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, reverse
from PIL import Image

from classrooms import live
from classrooms.lessons import live_lesson_schedule
from classrooms.models import LessonSlide, LiveLesson
from frontend import urls as frontend_urls
from lms.accounts.models import Role, User
from tests.assessments.conftest import clock  # noqa: F401 - a fixture used here
from tests.classrooms.conftest import Rooms, rooms  # noqa: F401 - a fixture used here
from tests.courses.conftest import courses  # noqa: F401 - a fixture used here
from tests.courses.factories import EnrolmentFactory
from tests.factories import make_person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
START = NOW + timedelta(minutes=5)
MISSING_ID = 987_654_321
SIGN_IN = "sign-in"

# The people of the ``rooms`` scenario, and their part in the lesson of class a1 (taught by
# ``class_teacher``, with the Tüp room of school A2 as a spoke run by ``facilitator_a2``).
TEACHER, FACILITATOR, STUDENT, OBSERVER = "teacher", "facilitator", "student", "observer"
PARTS: dict[str, str | None] = {
    "anonymous": None,
    "platform_admin": OBSERVER,  # schedules every lesson, takes part in none
    "region_admin_a": OBSERVER,  # runs the class's school
    "region_admin_b": None,
    "school_admin_a1": OBSERVER,  # runs the class's school
    "school_admin_a2": None,  # the spoke room's school, not the class's
    "school_admin_b1": None,
    "class_teacher": TEACHER,
    "author": None,  # a teacher of A1 who does not teach the class
    "teacher_a2": None,
    "facilitator": None,  # a facilitator of A1, of no room of the lesson
    "facilitator_a2": FACILITATOR,
    "student_a1": STUDENT,
    "student_a2": None,  # a pupil of another class
    "student_b1": None,
}
# Who may upload the deck (the class's teachers and the platform administrator) and read the
# attendance (those and the people who run the class's school).
UPLOADS = {"platform_admin", "class_teacher"}
SEES_ATTENDANCE = {"platform_admin", "region_admin_a", "school_admin_a1", "class_teacher"}


def _room_shown(page: str) -> str | None:
    """Which room a page is, by its script (and, for the projector view, by its check-in code,
    which only the facilitator who runs the room sees)."""
    if "js/lesson-teacher.js" in page:
        return TEACHER
    if "js/lesson-student.js" in page:
        return STUDENT
    if "js/lesson-facilitator.js" in page:
        return FACILITATOR if 'id="codes"' in page else OBSERVER
    return None


@dataclass
class Lesson:
    lesson: LiveLesson
    rooms: Rooms

    def person(self, name: str) -> User | None:
        if name == "anonymous":
            return None
        if name == "facilitator_a2":
            return self.rooms.facilitator_a2
        return self.rooms.classes.person(name)

    def client(self, name: str) -> Client:
        client = Client()
        person = self.person(name)
        if person is not None:
            client.force_login(person)
        return client

    def url(self, route: str, *more: int, lesson_id: int | None = None) -> str:
        return reverse(f"frontend:{route}", args=[lesson_id or self.lesson.pk, *more])


@pytest.fixture
def lesson(rooms: Rooms, clock: Callable[[datetime], None]) -> Lesson:  # noqa: F811
    clock(NOW)
    scheduled = live_lesson_schedule(
        cohort=rooms.classes.cohorts["a1"],
        by=rooms.classes.person("class_teacher"),
        title="Fractions, live",
        starts_at=START,
        duration_minutes=45,
        hub=rooms.smart_a1,
        spokes=[{"classroom": rooms.room_a2, "facilitator": rooms.facilitator_a2}],
    )
    return Lesson(scheduled, rooms)


def pdf(pages: int) -> SimpleUploadedFile:
    pictures = [Image.new("RGB", (800, 450), (40 * n, 90, 160)) for n in range(pages)]
    out = io.BytesIO()
    pictures[0].save(out, "PDF", save_all=True, append_images=pictures[1:])
    return SimpleUploadedFile("deck.pdf", out.getvalue(), "application/pdf")


def _answer(response: object) -> object:
    status = response.status_code  # type: ignore[attr-defined]
    if status == 302 and "/sign-in/" in response["Location"]:  # type: ignore[index]
        return SIGN_IN
    return status


# --- who gets which page ----------------------------------------------------------------------
def test_each_person_gets_the_room_of_their_part_and_anyone_else_a_404(lesson: Lesson) -> None:
    observed, expected = {}, {}
    for name, part in PARTS.items():
        client = lesson.client(name)
        response = client.get(lesson.url("lesson-room"))
        missing = client.get(lesson.url("lesson-room", lesson_id=MISSING_ID))
        page = response.content.decode() if response.status_code == 200 else ""
        shown = _room_shown(page)
        observed[name] = (_answer(response), shown, _answer(missing))
        if name == "anonymous":
            expected[name] = (SIGN_IN, None, SIGN_IN)
        elif part is None:
            expected[name] = (404, None, 404)
        else:
            expected[name] = (200, part, 404)
    assert observed == expected


def test_the_room_carries_the_socket_and_the_slide_address(lesson: Lesson) -> None:
    page = lesson.client("student_a1").get(lesson.url("lesson-room")).content.decode()
    assert f'"socket": "/ws/lessons/{lesson.lesson.pk}/"' in page
    assert f'"slide": "/live-lessons/{lesson.lesson.pk}/slides/{{position}}/"' in page
    assert 'role="status"' in page
    # the pupil's room has no controls of the teacher's
    assert "lesson-start" not in page
    assert "slides-form" not in page


def test_the_facilitator_and_the_observer_see_the_projector_view(lesson: Lesson) -> None:
    facilitator = lesson.client("facilitator_a2").get(lesson.url("lesson-room"))
    observer = lesson.client("school_admin_a1").get(lesson.url("lesson-room"))
    facilitator_page, observer_page = facilitator.content.decode(), observer.content.decode()
    assert 'id="codes"' in facilitator_page
    assert 'id="relay-form"' in facilitator_page
    assert 'id="chat-form"' in facilitator_page
    # the observer watches: no code, no relaying, no writing in the chat
    assert 'id="codes"' not in observer_page
    assert 'id="relay-form"' not in observer_page
    assert 'id="chat-form"' not in observer_page


def test_a_cancelled_lesson_s_room_says_so_and_opens_no_socket(lesson: Lesson) -> None:
    from classrooms.lessons import live_lesson_cancel

    live_lesson_cancel(
        lesson=lesson.lesson, by=lesson.rooms.classes.person("class_teacher"), reason="Ill"
    )
    page = lesson.client("student_a1").get(lesson.url("lesson-room")).content.decode()
    assert "This lesson was cancelled." in page
    assert "lesson-client.js" not in page


def test_the_lesson_page_links_the_room_and_the_attendance(lesson: Lesson) -> None:
    detail = lesson.url("live-lesson-detail")
    room, attendance = lesson.url("lesson-room"), lesson.url("lesson-attendance")
    observed = {}
    for name in ("class_teacher", "student_a1", "facilitator_a2", "school_admin_a1"):
        page = lesson.client(name).get(detail).content.decode()
        observed[name] = (f'href="{room}"' in page, f'href="{attendance}"' in page)
    assert observed == {
        "class_teacher": (True, True),
        "student_a1": (True, False),
        "facilitator_a2": (True, False),
        "school_admin_a1": (True, True),
    }


def test_a_facilitator_finds_the_lesson_on_the_home_page(lesson: Lesson) -> None:
    page = lesson.client("facilitator_a2").get(reverse("frontend:home")).content.decode()
    assert f'href="{lesson.url("lesson-room")}"' in page
    other = lesson.client("facilitator").get(reverse("frontend:home")).content.decode()
    assert lesson.url("lesson-room") not in other


# --- the slide deck ---------------------------------------------------------------------------
def test_who_may_open_and_send_the_upload_form(lesson: Lesson) -> None:
    observed, expected = {}, {}
    for name in PARTS:
        client = lesson.client(name)
        shown = _answer(client.get(lesson.url("lesson-slides-upload")))
        sent = _answer(client.post(lesson.url("lesson-slides-upload"), {"files": [pdf(1)]}))
        wrote = LessonSlide.objects.filter(lesson=lesson.lesson).exists()
        LessonSlide.objects.filter(lesson=lesson.lesson).delete()
        observed[name] = (shown, sent, wrote)
        if name == "anonymous":
            expected[name] = (SIGN_IN, SIGN_IN, False)
        elif name in UPLOADS:
            expected[name] = (200, 302, True)
        else:
            expected[name] = (404, 404, False)
    assert observed == expected


def test_an_uploaded_pdf_becomes_the_deck_and_its_slides_are_shown_to_the_lesson(
    lesson: Lesson,
) -> None:
    teacher = lesson.client("class_teacher")
    response = teacher.post(lesson.url("lesson-slides-upload"), {"files": [pdf(2)]})
    assert response.status_code == 302
    assert response["Location"] == lesson.url("lesson-room")
    room = teacher.get(response["Location"]).content.decode()
    assert "The deck was uploaded: 2 slides." in room
    assert LessonSlide.objects.filter(lesson=lesson.lesson).count() == 2
    # a pupil of the class reads the second slide, a WebP picture; others find nothing
    slide = lesson.client("student_a1").get(lesson.url("lesson-slide", 1))
    assert slide.status_code == 200
    assert slide["Content-Type"] == "image/webp"
    assert b"".join(slide.streaming_content)[8:12] == b"WEBP"  # type: ignore[attr-defined]
    assert lesson.client("facilitator_a2").get(lesson.url("lesson-slide", 0)).status_code == 200
    assert lesson.client("student_a1").get(lesson.url("lesson-slide", 2)).status_code == 404
    assert lesson.client("student_b1").get(lesson.url("lesson-slide", 1)).status_code == 404
    assert lesson.client("anonymous").get(lesson.url("lesson-slide", 1)).status_code == 302


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (list, "Choose a PDF file or pictures."),
        (
            lambda: [SimpleUploadedFile("notes.pdf", b"just text", "application/pdf")],
            "Slides are a PDF file or PNG, JPEG, WebP or GIF pictures.",
        ),
        (
            lambda: [SimpleUploadedFile("x.pdf", b"%PDF-1.4 broken", "application/pdf")],
            "The PDF file cannot be read.",
        ),
    ],
)
def test_a_bad_upload_shows_the_error_at_the_field_and_keeps_the_deck(
    lesson: Lesson, files: Callable[[], list[SimpleUploadedFile]], message: str
) -> None:
    teacher = lesson.client("class_teacher")
    teacher.post(lesson.url("lesson-slides-upload"), {"files": [pdf(1)]})
    # as a page
    response = teacher.post(lesson.url("lesson-slides-upload"), {"files": files()})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'class="field invalid"' in page
    assert "<html" in page
    # in place, in the console (the form alone)
    response = teacher.post(
        lesson.url("lesson-slides-upload"), {"files": files()}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    fragment = response.content.decode()
    assert message in fragment
    assert fragment.startswith('<form id="slides-form"')
    assert LessonSlide.objects.filter(lesson=lesson.lesson).count() == 1


def test_the_console_s_upload_answers_with_the_form_and_the_count(lesson: Lesson) -> None:
    response = lesson.client("class_teacher").post(
        lesson.url("lesson-slides-upload"), {"files": [pdf(3)]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<form id="slides-form"')
    assert 'data-count="3"' in fragment
    assert "The deck has 3 slides." in fragment


def test_no_upload_once_the_lesson_is_over(
    lesson: Lesson,
    clock: Callable[[datetime], None],  # noqa: F811
) -> None:
    teacher = lesson.person("class_teacher")
    clock(START)
    live.lesson_start(lesson=lesson.lesson, by=teacher)  # type: ignore[arg-type]
    live.lesson_end(lesson=lesson.lesson, by=teacher)  # type: ignore[arg-type]
    response = lesson.client("class_teacher").post(
        lesson.url("lesson-slides-upload"), {"files": [pdf(1)]}
    )
    assert response.status_code == 400
    assert "This lesson has ended or was cancelled." in response.content.decode()
    assert not LessonSlide.objects.filter(lesson=lesson.lesson).exists()


# --- attendance -------------------------------------------------------------------------------
def test_who_may_read_the_attendance(lesson: Lesson) -> None:
    observed, expected = {}, {}
    for name in PARTS:
        client = lesson.client(name)
        observed[name] = (
            _answer(client.get(lesson.url("lesson-attendance"))),
            _answer(client.get(lesson.url("lesson-attendance-csv"))),
            _answer(client.get(lesson.url("lesson-attendance", lesson_id=MISSING_ID))),
        )
        if name == "anonymous":
            expected[name] = (SIGN_IN, SIGN_IN, SIGN_IN)
        elif name in SEES_ATTENDANCE:
            expected[name] = (200, 200, 404)
        else:
            expected[name] = (404, 404, 404)
    assert observed == expected


def test_before_the_start_the_attendance_is_not_counted_yet(lesson: Lesson) -> None:
    page = lesson.client("class_teacher").get(lesson.url("lesson-attendance")).content.decode()
    assert "The lesson has not started yet." in page
    response = lesson.client("class_teacher").get(lesson.url("lesson-attendance-csv"))
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines == [
        [
            "student_id",
            "name",
            "room",
            "status",
            "minutes",
            "first_seen",
            "last_seen",
            "late",
            "left_early",
        ]
    ]


def test_the_attendance_of_a_whole_lesson_as_a_page_and_as_csv(
    lesson: Lesson,
    clock: Callable[[datetime], None],  # noqa: F811
) -> None:
    # given a pupil at home who left early, a pupil checked in to the Tüp room by its
    # facilitator, and a pupil who never came
    classes = lesson.rooms.classes
    world = classes.courses.world
    teacher, facilitator = classes.person("class_teacher"), lesson.rooms.facilitator_a2
    home = classes.person("student_a1")
    in_room = make_person(Role.STUDENT, school=world.school_a2)
    away = make_person(Role.STUDENT, school=world.school_a1)
    for pupil in (in_room, away):
        EnrolmentFactory(cohort=classes.cohorts["a1"], student=pupil)
    at = lambda minute: START + timedelta(minutes=minute)  # noqa: E731
    clock(at(0))
    live.lesson_start(lesson=lesson.lesson, by=teacher)
    at_home = live.presence_open(lesson=lesson.lesson, user=home)
    room = live.presence_open(lesson=lesson.lesson, user=facilitator)
    clock(at(2))
    live.check_in(lesson=lesson.lesson, by=facilitator, student_id=in_room.pk)
    clock(at(30))
    live.presence_close(presence_id=at_home.pk)
    clock(at(45))
    live.presence_close(presence_id=room.pk)
    live.lesson_end(lesson=lesson.lesson, by=teacher)

    # when the teacher reads the attendance page
    page = lesson.client("class_teacher").get(lesson.url("lesson-attendance")).content.decode()

    # then each pupil's row says where they were and for how long
    def row(pupil: User) -> str:
        start = page.index(f'data-student="{pupil.pk}"')
        return page[start : page.index("</tr>", start)]

    assert "remote" in row(home)
    assert ">30<" in row(home)
    assert "left early" in row(home)
    assert "Tüp room" in row(in_room)
    assert ">43<" in row(in_room)
    assert "present" in row(in_room)
    assert "absent" in row(away)
    assert "2 of 3 pupils were there." in page
    # and the totals per classroom: the Tüp room, then the remote pupils (and the absent)
    totals = page[page.index('id="attendance-rooms"') :]
    assert totals.index("Tüp room") < totals.index("Remote, or in no classroom")

    # and the CSV file holds the same
    response = lesson.client("school_admin_a1").get(lesson.url("lesson-attendance-csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="attendance-{lesson.lesson.pk}.csv"' in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_id = {line[0]: line for line in lines[1:]}
    assert by_id[str(home.pk)][2:5] == ["", "left_early", "30"]
    assert by_id[str(in_room.pk)][2:5] == ["Tüp room", "present", "43"]
    assert by_id[str(away.pk)][2:5] == ["", "absent", "0"]
    assert by_id[str(in_room.pk)][7:] == ["no", "no"]


# --- every route of the room is tried here ----------------------------------------------------
ROUTES = {
    "lesson-room",
    "lesson-slides-upload",
    "lesson-slide",
    "lesson-attendance",
    "lesson-attendance-csv",
}


def test_every_route_of_the_room_pages_is_tried_here() -> None:
    routes = set()
    for pattern in frontend_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), pattern
        if pattern.callback.__module__ == "frontend.lesson_room_pages":
            routes.add(pattern.name)
    assert routes == ROUTES, "try the new route in this file, then add it to ROUTES"

"""The room of a live lesson, one address for everyone in it: the teacher's console, the
projector view of a spoke classroom's facilitator (also what an observer who runs the school
sees, without its controls) and the pupil's room, chosen by the person's part in the lesson
(``policies.lesson_role``). What happens in the lesson travels on its socket
(``static/js/lesson-client.js``); the pages here are what works without it: the slide deck's
upload form, the slide pictures, the attendance and its CSV file. Anyone not in the lesson
gets a 404, as for a lesson that does not exist."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from classrooms import attendance, policies, selectors, slides
from classrooms.models import LessonSlide, LiveLesson, LiveLessonState
from classrooms.policies import LessonRole
from courses.uploads import stored_file_response
from lms.accounts.models import User
from lms.errors import ApplicationError
from lms.exports import csv_response
from realtime.protocol import REACTIONS

TEMPLATES = {
    LessonRole.TEACHER: "frontend/lesson_room_teacher.html",
    LessonRole.FACILITATOR: "frontend/lesson_room_facilitator.html",
    LessonRole.OBSERVER: "frontend/lesson_room_facilitator.html",
    LessonRole.STUDENT: "frontend/lesson_room_student.html",
}
PEN_COLOURS = (
    ("#1d2330", gettext_lazy("Black")),
    ("#c62828", gettext_lazy("Red")),
    ("#1565c0", gettext_lazy("Blue")),
    ("#2e7d32", gettext_lazy("Green")),
)
POLL_OPTIONS = 10  # the most answers a poll has (classrooms.models.MAX_POLL_OPTIONS)
POLL_OPTIONS_SHOWN = 4
POSITION_MARK = 987_654_321  # reversed into the slide address, then swapped by the script

# What the room's scripts write on the page, in the reader's language. ``%(name)s`` is filled in
# by the script.
ROOM_TEXT: dict[str, Promise] = {
    # the link to the lesson
    "connecting": gettext_lazy("Connecting…"),
    "live": gettext_lazy("Connected"),
    "reconnecting": gettext_lazy("Connection lost. Trying again in %(seconds)s s…"),
    "offline": gettext_lazy("Offline: waiting for the network…"),
    "stopped_4401": gettext_lazy("You are signed out. Sign in again to rejoin the lesson."),
    "stopped_4403": gettext_lazy(
        "You are not (or no longer) in this lesson, or you signed out. Reload the page to try "
        "again."
    ),
    "stopped_4404": gettext_lazy("This lesson does not exist."),
    "stopped_4410": gettext_lazy("This lesson was cancelled."),
    # the lesson
    "state_scheduled": gettext_lazy("Not started yet"),
    "state_live": gettext_lazy("On now"),
    "state_ended": gettext_lazy("Ended"),
    "state_cancelled": gettext_lazy("Cancelled"),
    "present": gettext_lazy("Pupils present: %(count)s"),
    "slide_none": gettext_lazy("No slide is shown."),
    "slide_of": gettext_lazy("Slide %(number)s of %(count)s"),
    "slides_count": gettext_lazy("Slides in the deck: %(count)s"),
    "slide_alt": gettext_lazy("Slide %(number)s"),
    # chat, hands, people
    "teacher": gettext_lazy("teacher"),
    "from_room": gettext_lazy("from %(room)s"),
    "delete": gettext_lazy("Delete"),
    "take": gettext_lazy("Take"),
    "mute": gettext_lazy("Mute"),
    "unmute": gettext_lazy("Unmute"),
    "muted": gettext_lazy("muted"),
    "online": gettext_lazy("connected"),
    "not_online": gettext_lazy("not connected"),
    "at_home": gettext_lazy("remote"),
    "hand_up": gettext_lazy("hand up"),
    "check_in": gettext_lazy("Check in"),
    "here": gettext_lazy("here"),
    "no_hands": gettext_lazy("No hands are up."),
    "no_messages": gettext_lazy("No messages yet."),
    "raise_hand": gettext_lazy("Raise my hand"),
    "lower_hand": gettext_lazy("Lower my hand"),
    "your_hand_up": gettext_lazy("Your hand is up."),
    "you_are_muted": gettext_lazy("The teacher has muted you in this chat."),
    "checked_in": gettext_lazy("Checked in: %(room)s"),
    # polls
    "answered": gettext_lazy("Answered: %(count)s"),
    "poll_closed": gettext_lazy("The poll is closed."),
    "poll_shared": gettext_lazy("The results are shown to everyone."),
    "answer_sent": gettext_lazy("Your answer was sent. You can change it while the poll is open."),
    # answers of the server, by code (the server's own message when there is none here)
    "error": gettext_lazy("Not done: %(message)s"),
    "error_not_live": gettext_lazy("The lesson is not on now."),
    "error_muted": gettext_lazy("The teacher has muted you in this chat."),
    "error_wrong_code": gettext_lazy("That is not the code of a classroom of this lesson."),
    "error_poll_closed": gettext_lazy("This poll is closed."),
    "error_poll_open": gettext_lazy("Close the open poll first."),
    "error_rate_limited": gettext_lazy("Too many messages; slow down."),
    "error_forbidden": gettext_lazy("You may not do that in this lesson."),
    "error_stopped": gettext_lazy("The lesson's connection is closed."),
    "confirm_end": gettext_lazy("End the lesson for everyone?"),
    "confirm_clear": gettext_lazy("Clear the whiteboard for everyone?"),
    "uploading": gettext_lazy("Uploading and preparing the slides…"),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _visible_lesson(request: HttpRequest, lesson_id: int) -> LiveLesson:
    lesson = selectors.live_lesson_visible(user=request.user, lesson_id=lesson_id)
    if lesson is None:
        raise Http404
    return lesson


def _room_lesson(request: HttpRequest, lesson_id: int) -> tuple[LiveLesson, LessonRole]:
    """The lesson and the reader's part in it; not found for anyone who is not in it."""
    lesson = _visible_lesson(request, lesson_id)
    role = policies.lesson_role(request.user, lesson)
    if role is None:
        raise Http404
    return lesson, role


def _deck(lesson: LiveLesson) -> str:
    """A token that changes when the deck is replaced (a slide's address carries it, so that a
    browser never shows a picture of the old deck from its cache)."""
    first = LessonSlide.objects.filter(lesson=lesson).order_by("pk").values_list("pk", flat=True)
    return f"d{first.first() or 0}"


def _config(lesson: LiveLesson, role: LessonRole, user: User) -> dict[str, Any]:
    slide = reverse("frontend:lesson-slide", args=[lesson.pk, POSITION_MARK])
    return {
        "lesson": lesson.pk,
        "role": str(role),
        "me": user.pk,
        "socket": f"/ws/lessons/{lesson.pk}/",
        "slide": slide.replace(str(POSITION_MARK), "{position}"),
        "deck": _deck(lesson),
        "text": {key: str(value) for key, value in ROOM_TEXT.items()},
    }


@login_required
def lesson_room(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The room, as the reader's part in the lesson has it."""
    lesson, role = _room_lesson(request, lesson_id)
    user = _user(request)
    return render(
        request,
        TEMPLATES[role],
        {
            "lesson": lesson,
            "role": str(role),
            "config": _config(lesson, role, user),
            "cancelled": lesson.state == LiveLessonState.CANCELLED,
            "sees_attendance": policies.can_view_attendance(user, lesson),
            # what the person may do (the socket's services decide)
            "chats": role != LessonRole.OBSERVER,
            # the teacher's console
            "pen_colours": PEN_COLOURS,
            "option_rows": range(POLL_OPTIONS),
            "options_shown": POLL_OPTIONS_SHOWN,
            "slide_count": LessonSlide.objects.filter(lesson=lesson).count(),
            "errors": [],
            "uploaded": None,
            # the pupil's room
            "reactions": REACTIONS,
        },
    )


def _errors(error: ApplicationError) -> list[str]:
    return [message for messages_ in error.fields.values() for message in messages_] or [
        error.message
    ]


@login_required
def slides_upload(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The slide deck's upload form, for the class's teachers: a page of its own, and the same
    form in the teacher's console (whose script sends it without leaving the room and shows
    the answer in place)."""
    lesson = _visible_lesson(request, lesson_id)
    user = _user(request)
    if not policies.can_schedule(user, lesson.cohort):
        raise Http404
    partial = bool(getattr(request, "htmx", False))
    errors: list[str] = []
    uploaded: int | None = None
    if request.method == "POST":
        try:
            uploaded = slides.slides_upload(
                lesson=lesson, by=user, files=request.FILES.getlist("files")
            )
        except ApplicationError as error:
            errors = _errors(error)
        else:
            if not partial:
                done = ngettext(
                    "The deck was uploaded: %(count)s slide.",
                    "The deck was uploaded: %(count)s slides.",
                    uploaded,
                ) % {"count": uploaded}
                messages.success(request, done)
                return redirect("frontend:lesson-room", lesson_id=lesson.pk)
    return render(
        request,
        "frontend/lesson_room_slides_form.html" if partial else "frontend/lesson_room_slides.html",
        {
            "lesson": lesson,
            "errors": errors,
            "uploaded": uploaded,
            "slide_count": LessonSlide.objects.filter(lesson=lesson).count(),
        },
        status=400 if errors else 200,
    )


@login_required
@require_safe
def slide_image(request: HttpRequest, lesson_id: int, position: int) -> HttpResponseBase:
    """One slide of the deck as a picture, for those in the lesson."""
    slide = slides.slide_visible(user=request.user, lesson_id=lesson_id, position=position)
    if slide is None:
        raise Http404
    return stored_file_response(
        request, slide.image, content_type=slide.content_type, name=f"slide-{position + 1}.webp"
    )


def _attendance_lesson(request: HttpRequest, lesson_id: int) -> LiveLesson:
    lesson = _visible_lesson(request, lesson_id)
    if not policies.can_view_attendance(request.user, lesson):
        raise Http404
    return lesson


@login_required
def lesson_attendance(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """Who was there: each pupil in a spoke classroom or remote, minutes, late, left early,
    absent; and the totals per classroom."""
    lesson = _attendance_lesson(request, lesson_id)
    rows = attendance.attendance_for_lesson(lesson=lesson)
    return render(
        request,
        "frontend/lesson_room_attendance.html",
        {
            "lesson": lesson,
            "rows": rows,
            "rooms": attendance.attendance_by_room(rows) if rows is not None else [],
            "present": sum(1 for row in rows or [] if not row.absent),
        },
    )


@login_required
@require_safe
def lesson_attendance_csv(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _attendance_lesson(request, lesson_id)
    header, lines = attendance.attendance_table(
        attendance.attendance_for_lesson(lesson=lesson) or []
    )
    return csv_response(f"attendance-{lesson.pk}.csv", header, lines)

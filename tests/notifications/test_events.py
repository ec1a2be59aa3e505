"""What notifies, wired into the apps that decide: enrolment, live lessons scheduled, moved,
cancelled and starting soon, work due within a day, grades published, the teachers' digest,
an import finished. Each notice reaches whom it concerns, once."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from classrooms import notices as lesson_notices
from classrooms.lessons import live_lesson_cancel, live_lesson_schedule, live_lesson_update
from classrooms.models import LiveLesson
from courses import imports
from courses.assessments import notices as assessment_notices
from courses.assessments import services as assessments
from courses.services import cohort_join, enrolment_create
from lms.accounts.models import Role, User
from lms.notifications.models import Dispatch, Notification
from tests.assessments.builders import DUE, essay_assignment, handed_in_by_new_pupils
from tests.assessments.conftest import Bank
from tests.classrooms.conftest import Rooms
from tests.courses.csv_samples import csv_bytes, pupil_rows
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Any:
    """Runs a use case as if its transaction committed: the fan-out runs."""

    def call(function: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return call


def told(kind: str) -> dict[int, int]:
    """How many notices of ``kind`` each person got."""
    counts: dict[int, int] = {}
    for person in Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True):
        counts[person] = counts.get(person, 0) + 1
    return counts


def test_a_pupil_enrolled_by_an_administrator_is_told(rooms: Rooms, committed: Any) -> None:
    classes = rooms.classes
    pupil = make_person(Role.STUDENT, school=classes.courses.world.school_a1)
    committed(
        enrolment_create,
        cohort=classes.cohorts["a1"],
        student=pupil,
        by=classes.person("school_admin_a1"),
    )
    assert told("enrolled") == {pupil.pk: 1}
    # enrolling again changes nothing, and tells nobody again
    committed(
        enrolment_create,
        cohort=classes.cohorts["a1"],
        student=pupil,
        by=classes.person("school_admin_a1"),
    )
    assert told("enrolled") == {pupil.pk: 1}


def test_a_pupil_joining_with_the_code_is_told(rooms: Rooms, committed: Any) -> None:
    pupil = make_person(Role.STUDENT, school=rooms.classes.courses.world.school_a1)
    committed(cohort_join, student=pupil, code="A1CODE7")
    note = Notification.objects.get(recipient=pupil)
    assert note.dispatch.params["link"] == f"/classes/{rooms.classes.cohorts['a1'].pk}/"


def test_an_import_tells_each_pupil_and_the_administrator(rooms: Rooms, committed: Any) -> None:
    classes = rooms.classes
    world = classes.courses.world
    admin = classes.person("school_admin_a1")
    data = csv_bytes([*pupil_rows(3, school=world.school_a1.code)])
    report = committed(
        imports.enrolment_import, cohort=classes.cohorts["a1"], by=admin, data=data, apply=True
    )
    assert report.applied
    new = User.objects.filter(enrolments__cohort=classes.cohorts["a1"]).exclude(
        pk=world.student_a1.pk
    )
    assert told("enrolled") == {person.pk: 1 for person in new}
    (finished,) = Dispatch.objects.filter(kind="import_finished")
    assert finished.recipient_ids == [admin.pk]
    assert (finished.params["created"], finished.params["enrolled"]) == (3, 3)
    # a dry run tells nobody
    committed(imports.enrolment_import, cohort=classes.cohorts["a1"], by=admin, data=data)
    assert Dispatch.objects.filter(kind="import_finished").count() == 1


def _lesson(rooms: Rooms, committed: Any, starts_in: timedelta) -> LiveLesson:
    classes = rooms.classes
    lesson: LiveLesson = committed(
        live_lesson_schedule,
        cohort=classes.cohorts["a1"],
        by=classes.person("class_teacher"),
        title="Fractions",
        starts_at=timezone.now() + starts_in,
        duration_minutes=45,
        hub=rooms.smart_a1,
        spokes=[{"classroom": rooms.room_a2, "facilitator": rooms.facilitator_a2}],
    )
    return lesson


def test_a_scheduled_lesson_is_told_to_its_class_and_facilitators(
    rooms: Rooms, committed: Any
) -> None:
    _lesson(rooms, committed, timedelta(days=1))
    world = rooms.classes.courses.world
    # the pupil and the spoke's facilitator; not the teacher who scheduled it
    assert told("lesson_scheduled") == {world.student_a1.pk: 1, rooms.facilitator_a2.pk: 1}


def test_a_moved_lesson_is_told_each_time_and_a_cancelled_one_once(
    rooms: Rooms, committed: Any
) -> None:
    lesson = _lesson(rooms, committed, timedelta(days=1))
    admin = rooms.classes.person("platform_admin")
    pupil = rooms.classes.courses.world.student_a1
    # a change of title alone tells nobody
    committed(live_lesson_update, lesson=lesson, by=admin, data={"title": "Fractions II"})
    assert told("lesson_moved") == {}
    first = lesson.starts_at
    for hours in (2, -2):  # moved, then moved back
        committed(
            live_lesson_update,
            lesson=lesson,
            by=admin,
            data={"starts_at": first + timedelta(hours=hours)},
        )
        lesson.refresh_from_db()
    moved = told("lesson_moved")
    # the platform administrator moved it: the teacher hears of it too
    assert moved[pupil.pk] == 2
    assert moved[rooms.classes.person("class_teacher").pk] == 2
    note = Notification.objects.filter(recipient=pupil, kind="lesson_moved").first()
    assert note is not None
    committed(live_lesson_cancel, lesson=lesson, by=admin, reason="The teacher is ill")
    assert told("lesson_cancelled")[pupil.pk] == 1
    assert Dispatch.objects.get(kind="lesson_cancelled").params["reason"] == "The teacher is ill"


def test_the_reminder_goes_once_in_the_quarter_hour_before_the_start(
    rooms: Rooms, committed: Any
) -> None:
    lesson = _lesson(rooms, committed, timedelta(minutes=40))
    pupil = rooms.classes.courses.world.student_a1
    # 40 minutes before: nothing
    assert committed(lesson_notices.reminders_send) == 0
    # 14 minutes before, the job runs twice (two beats)
    with time_machine.travel(lesson.starts_at - timedelta(minutes=14), tick=False):
        assert committed(lesson_notices.reminders_send) == 1
        assert committed(lesson_notices.reminders_send) == 0
    with time_machine.travel(lesson.starts_at - timedelta(minutes=1), tick=False):
        assert committed(lesson_notices.reminders_send) == 0
    reminded = told("lesson_starting")
    assert reminded[pupil.pk] == 1
    assert reminded[rooms.classes.person("class_teacher").pk] == 1
    assert set(reminded.values()) == {1}


def test_a_cancelled_lesson_is_not_reminded(rooms: Rooms, committed: Any) -> None:
    lesson = _lesson(rooms, committed, timedelta(minutes=10))
    committed(
        live_lesson_cancel, lesson=lesson, by=rooms.classes.person("class_teacher"), reason="No"
    )
    assert committed(lesson_notices.reminders_send) == 0


def test_work_due_within_a_day_is_told_to_those_who_have_not_handed_it_in(
    bank: Bank, committed: Any
) -> None:
    assignment = handed_in_by_new_pupils(bank, 2)  # two new pupils handed it in
    waiting = bank.classes.courses.world.student_a1
    handed_in = set(
        assignment.attempts.values_list("student_id", flat=True)  # type: ignore[attr-defined]
    )
    with time_machine.travel(DUE - timedelta(hours=30), tick=False):
        assert committed(assessment_notices.due_soon_send) == 0
    with time_machine.travel(DUE - timedelta(hours=20), tick=False):
        assert committed(assessment_notices.due_soon_send) == 1
        assert committed(assessment_notices.due_soon_send) == 0  # a second beat
    due = told("due_soon")
    assert due == {waiting.pk: 1}
    assert not handed_in & set(due)


def test_publishing_grades_tells_each_pupil_graded(bank: Bank, committed: Any) -> None:
    assignment = essay_assignment(bank)
    teacher = bank.classes.person("class_teacher")
    pupil = bank.classes.courses.world.student_a1
    assessments.grade_override(
        assessment=assignment, student=pupil, by=teacher, points=Decimal(7), reason="Marked"
    )
    assert committed(assessments.grades_publish, assessment=assignment, by=teacher) == 1
    assert told("grade_published") == {pupil.pk: 1}
    # publishing again publishes nothing new and tells nobody again
    assert committed(assessments.grades_publish, assessment=assignment, by=teacher) == 0
    assert told("grade_published") == {pupil.pk: 1}


def test_teachers_get_a_morning_digest_of_work_to_mark_once_a_day(
    bank: Bank, committed: Any, settings: Any
) -> None:
    settings.GRADING_DIGEST_HOUR = 7
    handed_in_by_new_pupils(bank, 3)
    teacher = bank.classes.person("class_teacher")
    teacher.time_zone = "Asia/Ulaanbaatar"
    teacher.save(update_fields=["time_zone"])
    # 06:30 in Ulaanbaatar (22:30 UTC): not yet
    with time_machine.travel(datetime(2026, 11, 25, 22, 30, tzinfo=UTC), tick=False):
        assert committed(assessment_notices.grading_digests_send) == 0
    # 07:10 there, twice
    with time_machine.travel(datetime(2026, 11, 25, 23, 10, tzinfo=UTC), tick=False):
        assert committed(assessment_notices.grading_digests_send) == 1
        assert committed(assessment_notices.grading_digests_send) == 0
    (digest,) = Dispatch.objects.filter(kind="grading_digest")
    assert digest.recipient_ids == [teacher.pk]
    assert digest.params["count"] == 3
    assert digest.params["classes"] == [{"class": "7A", "count": 3}]
    # the next morning, again
    with time_machine.travel(datetime(2026, 11, 26, 23, 10, tzinfo=UTC), tick=False):
        assert committed(assessment_notices.grading_digests_send) == 1


def test_a_grade_marked_again_and_published_again_is_told_again(bank: Bank, committed: Any) -> None:
    assignment = essay_assignment(bank)
    teacher = bank.classes.person("class_teacher")
    pupil = bank.classes.courses.world.student_a1
    for points in (Decimal(7), Decimal(9)):
        assessments.grade_override(
            assessment=assignment, student=pupil, by=teacher, points=points, reason="Marked"
        )
        from courses.assessments.models import Grade, GradeState

        Grade.objects.filter(assessment=assignment, student=pupil).update(state=GradeState.DRAFT)
        committed(assessments.grades_publish, assessment=assignment, by=teacher)
    assert told("grade_published") == {pupil.pk: 2}


def test_work_not_yet_open_is_not_announced_as_due(bank: Bank, committed: Any) -> None:
    essay_assignment(bank, opens_at=DUE - timedelta(hours=2))
    with time_machine.travel(DUE - timedelta(hours=20), tick=False):
        assert committed(assessment_notices.due_soon_send) == 0
    with time_machine.travel(DUE - timedelta(hours=1), tick=False):
        assert committed(assessment_notices.due_soon_send) == 1

"""Notices end to end in real browsers: a pupil has a page open on a phone; the teacher
schedules a live lesson of the pupil's class; the notice appears on the pupil's page at once
(its badge counts it), leads to the lesson's room, and is in the pupil's list, read. The pupil
then chooses e-mail and SMS for lesson notices and quiet hours, and sees them kept."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from lms.accounts.demo import DEMO_PEOPLE
from tests.e2e.live_site import Site
from tests.e2e.test_quiz_flow import PHONE, new_context, open_the_class, sign_in

pytestmark = pytest.mark.browser

PEOPLE = {person.username: person for person in DEMO_PEOPLE}
TEACHER = PEOPLE["demo-teacher"]
PUPIL = PEOPLE["demo-student"]
WAIT_MS = 20_000  # the fan-out runs on the Celery worker (or in the request, eagerly)


def test_a_pupil_sees_a_new_live_lesson_at_once_and_finds_it_in_the_list(
    browser: Browser, e2e_site: Site
) -> None:
    pupil_context = new_context(browser, e2e_site, viewport=PHONE)
    teacher_context = new_context(browser, e2e_site, viewport={"width": 1280, "height": 900})
    try:
        # Given the pupil with their home page open
        pupil = pupil_context.new_page()
        sign_in(pupil, e2e_site, PUPIL.username)
        badge = pupil.locator("#unread-count")
        expect(badge).to_have_attribute("data-unread", re.compile(r"^\d+$"))
        unread = int(badge.get_attribute("data-unread") or 0)

        # When the teacher schedules a live lesson of the pupil's class
        title = f"Notice check {datetime.now(UTC):%H%M%S}"
        teacher = teacher_context.new_page()
        sign_in(teacher, e2e_site, TEACHER.username)
        open_the_class(teacher, "Classes")
        teacher.locator("#class-links").get_by_role("link", name="Live lessons").click()
        teacher.get_by_label("Title").fill(title)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        teacher.get_by_label("Starts").fill(f"{tomorrow:%Y-%m-%d}T10:00")
        teacher.get_by_role("button", name="Schedule").click()
        expect(teacher.locator("main ul.messages li")).to_contain_text("scheduled")
        lesson = re.search(r"/live-lessons/(\d+)/$", teacher.url)
        assert lesson, teacher.url

        # Then the notice appears on the pupil's open page, without a reload, and is counted
        notice = pupil.locator("#live-notices a", has_text=title)
        expect(notice).to_be_visible(timeout=WAIT_MS)
        expect(badge).to_have_attribute("data-unread", str(unread + 1))
        expect(badge).to_have_text(str(unread + 1))

        # and it leads to the lesson's room, and counts as read
        notice.click()
        expect(pupil).to_have_url(re.compile(rf"/live-lessons/{lesson.group(1)}/room/$"))
        pupil.goto("/notifications/")
        item = pupil.locator("li.notice", has_text=title)
        expect(item).to_have_count(1)
        expect(item).not_to_have_class(re.compile(r"\bunread\b"))
        expect(badge).to_have_attribute("data-unread", str(unread))

        # When the pupil chooses e-mail and SMS for scheduled lessons, and quiet hours
        pupil.get_by_role("link", name="Choose which notices reach you, and how").click()
        row = pupil.locator("tr", has_text="Live lesson scheduled")
        for box in row.locator("input[type=checkbox]").all():
            box.check()
        pupil.get_by_label("Quiet from").fill("22:00")
        pupil.get_by_label("Quiet until").fill("07:00")
        pupil.get_by_role("button", name="Save").click()

        # Then the choices are kept
        expect(pupil.locator("main ul.messages li")).to_be_visible()
        pupil.reload()
        row = pupil.locator("tr", has_text="Live lesson scheduled")
        for box in row.locator("input[type=checkbox]").all():
            expect(box).to_be_checked()
        expect(pupil.get_by_label("Quiet from")).to_have_value("22:00")
        expect(pupil.get_by_label("Quiet until")).to_have_value("07:00")
    finally:
        pupil_context.close()
        teacher_context.close()

"""One facilitator, two rooms of one lesson, in Chromium: the region's administrator registers
two rooms in the Tüp school, the teacher schedules a lesson with both (the same facilitator in
each), and the facilitator, on the projector page, says which room they are in before checking
pupils in."""

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Locator, Page, expect

from lms.accounts.demo import DEMO_PEOPLE
from tests.e2e.live_site import Site
from tests.e2e.test_quiz_flow import new_context, open_the_class, sign_in

PEOPLE = {person.username: person for person in DEMO_PEOPLE}
TUP_SCHOOL = "Түп айылындагы №3 орто мектеби"
HALL, ANNEXE = "Tüp hall", "Tüp annexe"
PUPIL = PEOPLE["demo-student-tup"]


def register_room(page: Page, name: str) -> None:
    page.goto("/classrooms/")
    page.get_by_label("School").select_option(label=TUP_SCHOOL)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Seats").fill("20")
    page.get_by_label("Projector").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main ul.messages li")).to_contain_text("The classroom was registered.")


def choose(page: Page, select: str, containing: str) -> None:
    """Pick the option of a select whose text holds ``containing``, as a person reads it."""
    texts = page.locator(f"{select} option").all_inner_texts()
    [label] = [text for text in texts if containing in text]
    page.locator(select).select_option(label=label)


def schedule_with_both_rooms(page: Page, title: str) -> int:
    open_the_class(page, "Classes")
    page.locator("#class-links").get_by_role("link", name="Live lessons").click()
    page.get_by_label("Title").fill(title)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    page.get_by_label("Starts").fill(f"{tomorrow:%Y-%m-%d}T10:00")
    for row, room in enumerate((HALL, ANNEXE)):
        choose(page, f"#id_spoke_{row}_classroom", room)
        choose(page, f"#id_spoke_{row}_facilitator", PEOPLE["demo-facilitator"].last_name)
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("main ul.messages li")).to_contain_text("The live lesson was scheduled.")
    match = re.search(r"/live-lessons/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def pupil_row(page: Page) -> Locator:
    return page.locator("#roster tbody tr", has_text=f"{PUPIL.first_name} {PUPIL.last_name}")


def test_a_facilitator_of_two_rooms_checks_pupils_into_the_room_they_are_in(
    browser: Browser, e2e_site: Site
) -> None:
    admin = new_context(browser, e2e_site).new_page()
    sign_in(admin, e2e_site, "demo-region-admin")
    register_room(admin, HALL)
    register_room(admin, ANNEXE)

    teacher = new_context(browser, e2e_site).new_page()
    sign_in(teacher, e2e_site, "demo-teacher")
    lesson_id = schedule_with_both_rooms(teacher, "Two rooms, one facilitator")

    # The facilitator's projector page shows both rooms' codes and asks which room this is
    facilitator = new_context(browser, e2e_site, viewport={"width": 1280, "height": 900})
    projector = facilitator.new_page()
    sign_in(projector, e2e_site, "demo-facilitator")
    projector.goto(f"/live-lessons/{lesson_id}/room/")
    expect(projector.locator("#link-state")).to_have_attribute("data-state", "live")
    expect(projector.locator("#codes .room-code")).to_have_count(2)
    choice = projector.get_by_label("The classroom you are in now")
    expect(choice).to_be_visible()
    expect(choice.locator("option")).to_have_text([HALL, ANNEXE])

    # When they are in the annexe and check a pupil in, the pupil is in the annexe
    choice.select_option(label=ANNEXE)
    row = pupil_row(projector)
    row.get_by_role("button", name="Check in").click()
    expect(row.locator(".col-room")).to_have_text(ANNEXE)
    expect(row).to_contain_text("here")

    # Seen from the hall, the pupil is elsewhere: they could be checked in here instead
    choice.select_option(label=HALL)
    expect(row.get_by_role("button", name="Check in")).to_be_visible()

    # The teacher's console says where the pupil is
    teacher.goto(f"/live-lessons/{lesson_id}/room/")
    expect(teacher.locator("#link-state")).to_have_attribute("data-state", "live")
    expect(pupil_row(teacher).locator(".col-room")).to_have_text(ANNEXE)

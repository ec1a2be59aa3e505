"""End-to-end quiz flow in a real browser, on the demo class: the teacher builds a quiz from the
course's bank and publishes it; a pupil takes it on a phone-sized screen (answers saved as they
go, without reloading the page, and still there after a reload), hands it in and reads the
result the quiz's reveal policy allows; the teacher finds the grade in the gradebook, overrides
it with a reason, reads its history and publishes it; the pupil sees the published grade.
"""

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from courses.demo import DEMO_CLASS_NAME
from lms.accounts.demo import DEMO_PASSWORD, DEMO_PEOPLE
from tests.e2e.conftest import ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS
from tests.e2e.live_site import Site

pytestmark = pytest.mark.browser

PEOPLE = {person.username: person for person in DEMO_PEOPLE}
TEACHER = PEOPLE["demo-teacher"]
PUPIL = PEOPLE["demo-student"]
PHONE = {"width": 390, "height": 844}
GRADING_TIMEOUT_MS = 60_000  # a Celery worker grades the attempt (or the request, eagerly)
NO_RELOAD_FLAG = "__mektepQuizNoReload"

# Questions of the demo bank (courses/demo.py), and the right answers the pupil gives.
SINGLE = "Бөлчөктөрдү кошуу"
SHORT = "Алымы"
NUMERIC = "20нын 10%"


def new_context(browser: Browser, site: Site, **options: Any) -> BrowserContext:
    site.check_running()
    context = browser.new_context(base_url=site.base_url, locale="en-US", **options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context


def sign_in(page: Page, site: Site, username: str) -> None:
    page.goto("/sign-in/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("#id_password").press("Enter")  # the header's first button switches language
    expect(page).to_have_url(f"{site.base_url}/")


def expect_message(page: Page, text: str) -> None:
    expect(page.locator("main ul.messages li")).to_contain_text(text)


def open_the_class(page: Page, link: str) -> None:
    """From the home page to the demo class's page, as a person clicks."""
    page.locator("header nav").get_by_role("link", name=link, exact=True).click()
    page.locator("main table").get_by_role("link", name=DEMO_CLASS_NAME, exact=True).click()
    expect(page.get_by_role("heading", name=DEMO_CLASS_NAME, level=1)).to_be_visible()


# --- the steps ------------------------------------------------------------------------------
def teacher_builds_and_publishes(page: Page, site: Site, title: str) -> int:
    """Returns the quiz's id (from its page's address)."""
    sign_in(page, site, TEACHER.username)
    open_the_class(page, "Classes")
    page.locator("#class-links").get_by_role("link", name="Quizzes and assignments").click()
    page.get_by_role("link", name="New quiz", exact=True).click()
    expect(page.get_by_role("heading", name="New quiz", level=1)).to_be_visible()
    page.get_by_label("Title", exact=True).fill(title)
    for name in (SINGLE, SHORT, NUMERIC):
        page.locator("table.pick").get_by_label(name, exact=True).check()
    due = datetime.now(ZoneInfo("Asia/Bishkek")) + timedelta(days=2)  # the teacher's zone
    page.get_by_label("Due", exact=True).fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Show the right answers").select_option("after_submit")
    page.get_by_label("Time limit (minutes)").fill("30")
    page.get_by_role("button", name="Save the draft").click()
    expect_message(page, "The draft was saved.")
    expect(page.get_by_role("heading", name=re.compile(re.escape(title)), level=1)).to_be_visible()
    expect(page.locator("main ol li")).to_have_count(3)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect_message(page, "Published")
    expect(page.get_by_role("button", name="Unpublish", exact=True)).to_be_visible()
    match = re.search(r"/assessments/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def pupil_takes_the_quiz(page: Page, site: Site, title: str) -> None:
    sign_in(page, site, PUPIL.username)
    open_the_class(page, "My classes")
    page.locator("#class-links").get_by_role("link", name="Quizzes and assignments").click()
    page.locator("main table").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.locator("fieldset.question")).to_have_count(3)
    expect(page.locator("#clock .left-value")).to_have_text(re.compile(r"^(29|30):\d\d$"))
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the quiz page scrolls sideways on a 390 px screen"

    single = page.locator("fieldset.question").filter(has_text="1/5 + 2/5")
    short = page.locator("fieldset.question").filter(has_text="сызыктын")
    numeric = page.locator("fieldset.question").filter(has_text="10%")

    # answers are saved as the pupil goes, without the page being loaded again
    page.evaluate(f"window.{NO_RELOAD_FLAG} = true")
    single.get_by_label("3/5", exact=True).check()
    expect(single.locator(".status")).to_contain_text("Saved at")
    short.locator("input[type=text]").fill("Алымы")
    expect(short.locator(".status")).to_contain_text("Saved at")
    assert page.evaluate(f"window.{NO_RELOAD_FLAG}") is True

    # reloaded mid-way: the answers are still there
    page.reload()
    expect(page.locator("fieldset.question")).to_have_count(3)
    expect(single.get_by_label("3/5", exact=True)).to_be_checked()
    expect(short.locator("input[type=text]")).to_have_value("Алымы")
    numeric.locator("input[type=text]").fill("2")
    expect(numeric.locator(".status")).to_contain_text("Saved at")

    # hand in, after the confirmation
    page.get_by_role("button", name="Hand in…").click()
    expect(page.get_by_role("heading", name="Hand in your answers?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("you answered 3 of 3 questions")
    page.get_by_role("button", name="Hand in", exact=True).click()

    # the result, as the policy "after submitting" allows: score, feedback, right answers
    expect(page.locator("#score")).to_have_text(
        "Your score: 3.00 of 3.00 points.", timeout=GRADING_TIMEOUT_MS
    )
    expect(page.locator("section.question p.right")).to_have_count(3)
    expect(page.locator("main")).to_contain_text(
        "Туура: алымдарын кошобуз, бөлүмү ошол бойдон калат."
    )


def teacher_overrides_and_publishes(page: Page, quiz_id: int) -> None:
    page.goto("/")
    open_the_class(page, "Classes")
    page.locator("#class-links").get_by_role("link", name="Gradebook").click()
    expect(page.get_by_role("heading", name="Gradebook", level=1)).to_be_visible()
    row = page.locator("table.gradebook tbody tr").filter(
        has=page.locator("small", has_text=re.compile(rf"^{PUPIL.username}$"))
    )
    cell = row.locator(f'a[href^="/assessments/{quiz_id}/grades/"]')
    expect(cell).to_have_text("3")

    # override with a reason, then read the history
    cell.click()
    page.get_by_label("Points", exact=True).fill("2,5")
    page.get_by_label("Why the grade is changed").fill("The second answer was copied.")
    page.get_by_role("button", name="Save the grade").click()
    expect_message(page, "The grade was changed.")
    expect(page.locator("#current")).to_contain_text("2.50 of 3 points")
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Automatic grading")
    expect(history.nth(1)).to_contain_text("An override")
    expect(history.nth(1)).to_contain_text(TEACHER.last_name)
    expect(history.nth(1).locator("td").nth(3)).to_have_text("3")
    expect(history.nth(1).locator("td").nth(4)).to_have_text("2.50")
    expect(history.nth(1)).to_contain_text("The second answer was copied.")

    # publish the quiz's grades from the gradebook
    page.get_by_role("link", name="Gradebook").first.click()
    page.locator(f'form[action="/assessments/{quiz_id}/grades/publish/"] button').click()
    expect_message(page, "1 grade was published")
    expect(page.locator(f'form[action="/assessments/{quiz_id}/grades/publish/"]')).to_have_count(0)


def pupil_sees_the_published_grade(page: Page, title: str) -> None:
    page.goto("/")
    open_the_class(page, "My classes")
    page.locator("#class-links").get_by_role("link", name="My grades").click()
    row = page.locator("table.my-grades tbody tr").filter(has_text=title)
    expect(row.locator("td.grade")).to_have_text("2.50 of 3")
    expect(row.get_by_role("link", name="Attempt 1")).to_be_visible()


# --- the test -------------------------------------------------------------------------------
def test_a_quiz_from_the_bank_to_the_published_grade(
    page: Page, browser: Browser, e2e_site: Site
) -> None:
    title = f"Бөлчөктөр {secrets.token_hex(3)}"

    # Given a teacher who builds a quiz from the bank and publishes it
    quiz_id = teacher_builds_and_publishes(page, e2e_site, title)

    # When a pupil takes it on a phone and hands it in
    phone = new_context(browser, e2e_site, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        pupil = phone.new_page()
        pupil_takes_the_quiz(pupil, e2e_site, title)

        # Then the teacher overrides the grade with a reason and publishes it
        teacher_overrides_and_publishes(page, quiz_id)

        # And the pupil sees the published grade
        pupil_sees_the_published_grade(pupil, title)
    finally:
        phone.close()

"""End-to-end course flow in a real browser: a teacher writes a course, a school administrator
opens a class for it, a pupil of another school joins with the class code and completes the
lesson, and the teacher sees the progress in the roster.

Everything goes through the pages, as people would click it, on the demo data; the names get a
random suffix so the test can run after others on the same site.
"""

import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from lms.accounts.demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_REGION, DEMO_SCHOOLS
from tests.e2e.conftest import ACTION_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS
from tests.e2e.live_site import Site

pytestmark = pytest.mark.browser

PEOPLE = {person.username: person for person in DEMO_PEOPLE}
SCHOOL_NAMES = {school["code"]: school["name"] for school in DEMO_SCHOOLS}
TEACHER = PEOPLE["demo-teacher"]
SCHOOL_ADMIN = PEOPLE["demo-school-admin"]
PUPIL = PEOPLE["demo-student-tup"]  # a pupil of the rural school, not of the course's school

XSS_FLAG = "__mektepE2eXss"
LESSON_MARKDOWN = (
    "Water boils at **one hundred degrees** at sea level.\n\n"
    f"<script>window.{XSS_FLAG} = true</script>\n\n"
    f'<img src="x" onerror="window.{XSS_FLAG} = true">\n'
)


def full_name(username: str) -> str:
    person = PEOPLE[username]
    return f"{person.first_name} {person.last_name}"


def new_context(browser: Browser, site: Site) -> BrowserContext:
    """A second browser context, set up like the ``context`` fixture's."""
    site.check_running()
    context = browser.new_context(base_url=site.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    return context


def sign_in(page: Page, site: Site, username: str) -> None:
    page.goto("/sign-in/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{site.base_url}/")
    expect(page.locator("p.role")).to_have_attribute("data-role", PEOPLE[username].role)


def nav_link(page: Page, name: str) -> None:
    page.locator("header nav").get_by_role("link", name=name, exact=True).click()


def expect_message(page: Page, text: str) -> None:
    expect(page.locator("main ul.messages li.success")).to_have_text(text)


def section_of(page: Page, heading: str) -> Locator:
    return page.locator("section.card").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )


# --- the steps ------------------------------------------------------------------------------
def teacher_writes_a_course(page: Page, site: Site, course: str, module: str, lesson: str) -> None:
    sign_in(page, site, TEACHER.username)

    # Courses -> New course
    nav_link(page, "Courses")
    expect(page.get_by_role("heading", name="Courses", exact=True)).to_be_visible()
    page.get_by_role("link", name="New course", exact=True).click()
    expect(page.get_by_role("heading", name="New course", exact=True)).to_be_visible()
    page.get_by_label("Title", exact=True).fill(course)
    page.get_by_label("Subject", exact=True).fill("Physics")
    page.get_by_label("Grade", exact=True).fill("8")
    page.get_by_label("Language of the course").select_option("ky")
    page.get_by_label("For", exact=True).select_option("students")
    page.get_by_label("Description", exact=True).fill("A course written by the browser test.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect_message(page, "The course was saved.")
    expect(page.get_by_role("heading", name=course, level=1)).to_be_visible()

    # A module, then published
    page.get_by_placeholder("New module").fill(module)
    page.get_by_role("button", name="Add a module", exact=True).click()
    module_card = page.locator("section.module").filter(
        has=page.get_by_role("heading", name=re.compile(re.escape(module)))
    )
    expect(module_card.locator("small.draft")).to_have_text("Draft")
    module_card.get_by_role("button", name="Publish", exact=True).click()
    expect(module_card.get_by_role("button", name="Unpublish", exact=True)).to_be_visible()
    expect(module_card.locator("small.draft")).to_have_count(0)

    # A lesson in it, written in Markdown and published
    module_card.get_by_placeholder("New lesson").fill(lesson)
    module_card.get_by_role("button", name="Add a lesson", exact=True).click()
    expect(page.get_by_role("heading", name=lesson, level=1)).to_be_visible()
    page.get_by_label("Text", exact=True).fill(LESSON_MARKDOWN)
    page.get_by_label("Published", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()

    # The lesson page: bold rendered, no script run or left in the page, the data cost shown
    expect_message(page, "The lesson was saved.")
    expect(page.get_by_role("heading", name=lesson, level=1)).to_have_text(lesson)
    body = page.locator("article.lesson-body")
    expect(body.locator("strong")).to_have_text("one hundred degrees")
    assert body.locator("script").count() == 0
    assert page.locator("script:not([src])").filter(has_text=XSS_FLAG).count() == 0
    expect(body.locator("img[onerror]")).to_have_count(0)
    assert page.evaluate(f"typeof window.{XSS_FLAG}") == "undefined"
    expect(page.locator("p.cost")).to_have_text(
        re.compile(r"^Opening this lesson costs [\d.,]+\s(bytes|KB)\sof data\.$")
    )


def admin_opens_a_class(page: Page, site: Site, course: str, term: str, cohort: str) -> str:
    """Adds a term and a class with self-enrolment; returns the class code shown."""
    sign_in(page, site, SCHOOL_ADMIN.username)
    school = SCHOOL_NAMES[str(SCHOOL_ADMIN.school)]

    # Classes -> Terms: a term for the urban school
    nav_link(page, "Classes")
    page.locator("main").get_by_role("link", name="Terms", exact=True).click()
    expect(page.get_by_role("heading", name="Terms", exact=True)).to_be_visible()
    today = datetime.now(ZoneInfo(DEMO_REGION["time_zone"])).date()  # the school's day
    page.get_by_label("School", exact=True).select_option(label=school)
    page.get_by_label("Name", exact=True).fill(term)
    page.get_by_label("Starts on", exact=True).fill((today - timedelta(days=7)).isoformat())
    page.get_by_label("Ends on", exact=True).fill((today + timedelta(days=120)).isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    expect_message(page, "The term was added.")
    term_row = page.locator("main table tbody tr").filter(has_text=term)
    expect(term_row.locator("td").nth(1)).to_have_text(school)

    # Classes -> Add a class, for the teacher's course, joining by code allowed
    nav_link(page, "Classes")
    page.locator("main").get_by_role("link", name="Add a class", exact=True).click()
    expect(page.get_by_role("heading", name="Add a class", exact=True)).to_be_visible()
    page.get_by_label("Term", exact=True).select_option(label=term)
    page.get_by_label("Course", exact=True).select_option(label=course)
    page.get_by_label("Name of the class", exact=True).fill(cohort)
    page.get_by_label(full_name(TEACHER.username), exact=True).check()
    page.get_by_label("Students may join with the class code", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()

    # The class page shows the code, and the roster is still empty
    expect_message(page, "The class was added.")
    expect(page.get_by_role("heading", name=cohort, level=1)).to_be_visible()
    code = page.locator("code.code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4,20}$"))
    expect(page.locator("main table tbody")).to_contain_text("No students yet.")
    return code.inner_text().strip()


def pupil_joins_and_completes(page: Page, site: Site, code: str, course: str, lesson: str) -> None:
    sign_in(page, site, PUPIL.username)

    # Join a class with the code, typed in lower case
    my_courses = section_of(page, "My courses")
    my_courses.get_by_placeholder("Class code").fill(code.lower())
    my_courses.get_by_role("button", name="Join a class", exact=True).click()

    # They land on the course page, and open the lesson
    expect(page.get_by_role("heading", name=course, level=1)).to_be_visible()
    expect(page.locator("main ul.messages li.success")).to_contain_text("You joined")
    page.locator("ol.lessons").get_by_role("link", name=lesson, exact=True).click()
    expect(page.get_by_role("heading", name=lesson, level=1)).to_have_text(lesson)
    expect(page.locator("article.lesson-body strong")).to_have_text("one hundred degrees")
    assert page.locator("article.lesson-body script").count() == 0
    assert page.evaluate(f"typeof window.{XSS_FLAG}") == "undefined"

    # Mark as complete: the page confirms it
    page.get_by_role("button", name="Mark as complete", exact=True).click()
    expect(page.locator("main form p")).to_have_text("✓ You completed this lesson.")
    expect(page.get_by_role("button", name="Mark as not done", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Mark as complete", exact=True)).to_have_count(0)

    # The home page counts it
    nav_link(page, "Home")
    course_item = (
        section_of(page, "My courses")
        .locator("li")
        .filter(has=page.get_by_role("link", name=course, exact=True))
    )
    expect(course_item.locator("small")).to_have_text("1 of 1 lessons")


def teacher_sees_the_pupil(page: Page, cohort: str) -> None:
    page.goto("/")
    my_classes = section_of(page, "My classes")
    my_classes.get_by_role("link", name=cohort, exact=True).click()
    expect(page.get_by_role("heading", name=cohort, level=1)).to_be_visible()
    row = page.locator("main table tbody tr").filter(has_text=PUPIL.username)
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_contain_text(f"{PUPIL.last_name} {PUPIL.first_name}")
    expect(row.locator("td").nth(1)).to_have_text(SCHOOL_NAMES[str(PUPIL.school)])
    expect(row.locator("td").nth(2)).to_have_text("1/1")
    expect(row.locator("progress")).to_have_attribute("value", "1")


# --- the test -------------------------------------------------------------------------------
def test_teacher_course_admin_class_pupil_joins_and_completes(
    page: Page, browser: Browser, e2e_site: Site
) -> None:
    suffix = secrets.token_hex(3)
    course = f"Boiling water {suffix}"
    module = f"Heat {suffix}"
    lesson = f"When water boils {suffix}"
    term = f"Autumn term {suffix}"
    cohort = f"8A physics {suffix}"

    # Given a teacher who writes a course with one published lesson
    teacher_writes_a_course(page, e2e_site, course, module, lesson)

    # And a school administrator who opens a class for it, joinable with a code
    admin_context = new_context(browser, e2e_site)
    try:
        code = admin_opens_a_class(admin_context.new_page(), e2e_site, course, term, cohort)
    finally:
        admin_context.close()

    # When a pupil of another school joins with the code and completes the lesson
    pupil_context = new_context(browser, e2e_site)
    try:
        pupil_joins_and_completes(pupil_context.new_page(), e2e_site, code, course, lesson)
    finally:
        pupil_context.close()

    # Then the teacher sees the pupil in the class roster with the lesson done
    teacher_sees_the_pupil(page, cohort)

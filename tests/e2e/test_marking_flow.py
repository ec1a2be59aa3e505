"""End-to-end marking in a real browser, on the demo class: a pupil on a phone hands in the
demo assignment with a photo of their notebook (a file that is not what it claims is refused
first); the teacher finds it under "To mark", marks it on the rubric with a decimal comma and
feedback, and publishes the grade from the gradebook; the pupil then reads the marks."""

import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from courses.demo import DEMO_ASSIGNMENT_TITLE, DEMO_CLASS_NAME
from lms.accounts.demo import DEMO_PEOPLE
from tests.e2e.live_site import Site
from tests.e2e.test_quiz_flow import PHONE, expect_message, new_context, sign_in

pytestmark = pytest.mark.browser

PEOPLE = {person.username: person for person in DEMO_PEOPLE}
TEACHER = PEOPLE["demo-teacher"]
PUPIL = PEOPLE["demo-student-tup"]  # the quiz flow uses the other pupil of the class
FEEDBACK = "Жакшы иш, бирок экинчи эсепти текшергиле."


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def pupil_hands_in(page: Page, site: Site, files: Path) -> int:
    """Returns the assignment's id (from the page's address)."""
    sign_in(page, site, PUPIL.username)
    page.locator("header nav").get_by_role("link", name="My classes", exact=True).click()
    page.get_by_role("link", name=DEMO_CLASS_NAME, exact=True).click()
    page.locator("#class-links").get_by_role("link", name="Quizzes and assignments").click()
    page.get_by_role("link", name=DEMO_ASSIGNMENT_TITLE, exact=True).click()
    page.get_by_role("link", name="Hand in your work").click()
    # a web page named .pdf is refused, with a message, and nothing is handed in
    fake = files / "homework.pdf"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    page.locator("#hand-in-files").set_input_files(fake)
    page.locator("#hand-in").get_by_role("button", name="Hand in").click()
    expect(page.locator("#hand-in [role=alert]")).to_contain_text("homework.pdf cannot be")
    expect(page.locator("section.submission")).to_have_count(0)
    photo = files / "notebook.png"
    photo.write_bytes(_png())
    page.locator("#hand-in-text").fill("100 сом − 15% = 85 сом")
    page.locator("#hand-in-files").set_input_files(photo)
    page.locator("#hand-in").get_by_role("button", name="Hand in").click()
    expect_message(page, "Handed in. Your teacher will mark it.")
    expect(page.locator("section.submission")).to_contain_text("Waiting to be marked")
    expect(page.locator("section.submission")).to_contain_text("notebook.png")
    return int(page.url.rstrip("/").split("/")[-2])


def teacher_marks_and_publishes(page: Page, site: Site, assignment_id: int) -> None:
    sign_in(page, site, TEACHER.username)
    page.locator("header nav").get_by_role("link", name="To mark", exact=True).click()
    row = page.locator("main tr", has_text=DEMO_ASSIGNMENT_TITLE)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Mark").click()
    expect(page.locator("main")).to_contain_text("100 сом − 15% = 85 сом")
    points = page.locator("input[name$='-points']")
    expect(points).to_have_count(2)
    points.nth(0).fill("5,5")
    points.nth(1).fill("4")
    page.get_by_label("Feedback for the pupil").fill(FEEDBACK)
    page.get_by_role("button", name="Save", exact=True).click()
    expect_message(page, "Marked. The grade is a draft until you publish it.")
    expect(page.locator("main")).to_contain_text("Nothing is waiting to be marked.")
    page.get_by_role("link", name=DEMO_CLASS_NAME).click()
    page.locator("#class-links").get_by_role("link", name="Gradebook").click()
    publish = page.locator(f'form[action="/assessments/{assignment_id}/grades/publish/"]')
    expect(publish).to_contain_text("Publish 1 grade")
    publish.get_by_role("button").click()
    expect_message(page, "1 grade was published")


def test_an_assignment_from_hand_in_to_published_marks(
    browser: Browser, e2e_site: Site, tmp_path: Path
) -> None:
    pupil_context = new_context(browser, e2e_site, viewport=PHONE)
    teacher_context = new_context(browser, e2e_site)
    try:
        pupil = pupil_context.new_page()
        # Given a pupil who hands in the assignment from a phone
        assignment_id = pupil_hands_in(pupil, e2e_site, tmp_path)
        # When the teacher marks it and publishes the grade
        teacher_marks_and_publishes(teacher_context.new_page(), e2e_site, assignment_id)
        # Then the pupil reads the marks per criterion and the feedback
        pupil.reload()
        submission = pupil.locator("section.submission")
        expect(submission).to_contain_text("9.50 of 10.00 points")
        expect(submission).to_contain_text(FEEDBACK)
        expect(submission.locator("tbody tr")).to_have_count(2)
    finally:
        pupil_context.close()
        teacher_context.close()

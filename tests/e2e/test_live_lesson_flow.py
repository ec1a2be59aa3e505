"""A live lesson end to end in real browsers, on the demo class and its lesson (taught from the
Karakol smart classroom with the Tüp and Barskoon rooms as spokes): the teacher opens the room,
uploads a two-page PDF and starts; the two facilitators put the lesson on their projectors; a
pupil at home follows on a phone, and a second pupil who joins late sees the slide on show at
once. The Barskoon facilitator checks in a pupil who has no phone, the late pupil checks in to
the Tüp room with its code; a hand is raised and taken; a poll is answered and its results
shared; a chat message the teacher deletes disappears for the pupils. The pupil at home loses
the network while the teacher writes twice (and writes something themself): back online, each
message is there once and the link is live again. The teacher ends the lesson, and the
attendance page tells the pupils in the classrooms from the pupil at home."""

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocketRoute, expect

from courses.demo import DEMO_CLASS_NAME
from lms.accounts.demo import DEMO_PEOPLE
from tests.e2e.live_site import Site
from tests.e2e.network import NetworkMeter
from tests.e2e.test_quiz_flow import PHONE, new_context, open_the_class, sign_in
from tests.e2e.test_smoke import PAGE_BUDGET

pytestmark = pytest.mark.browser

PEOPLE = {person.username: person for person in DEMO_PEOPLE}
TEACHER = PEOPLE["demo-teacher"]
FACILITATOR_TUP = PEOPLE["demo-facilitator"]
FACILITATOR_BARSKOON = PEOPLE["demo-facilitator-2"]
AT_HOME = PEOPLE["demo-student"]  # follows from home on a phone
LATE = PEOPLE["demo-student-tup"]  # joins late on a phone, checks in to the Tüp room
NO_PHONE = PEOPLE["demo-student-barskoon"]  # sits in the Barskoon room, checked in for them
HUB = "Акылдуу класс 204"
TUP_ROOM = "7-класс бөлмөсү"
BARSKOON_ROOM = "Информатика кабинети"
DESKTOP = {"width": 1280, "height": 900}
WAIT_SECONDS = 15


def name(person: Any) -> str:
    return f"{person.first_name} {person.last_name}"


def deck(path: Path) -> Path:
    """A two-page PDF: a blue page and an orange one."""
    pages = []
    for colour in ((30, 90, 160), (200, 90, 30)):
        page = Image.new("RGB", (1600, 900), colour)
        ImageDraw.Draw(page).rectangle((80, 80, 1520, 820), outline=(255, 255, 255), width=16)
        pages.append(page)
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    return path


def link_state(page: Page) -> Locator:
    return page.locator("#link-state[role=status]")


def expect_live(page: Page) -> None:
    expect(link_state(page)).to_have_attribute("data-state", "live")


def chat(page: Page, text: str) -> Locator:
    return page.locator("#chat li", has_text=text)


def say(page: Page, text: str) -> None:
    page.locator("#chat-text").fill(text)
    page.locator("#chat-text").press("Enter")


def roster_row(page: Page, person: Any) -> Locator:
    return page.locator("#roster tbody tr", has_text=name(person))


def expect_ink(page: Page, drawn: bool) -> None:
    test = "> 0" if drawn else "=== 0"
    page.wait_for_function(
        """test => {
            const canvas = document.getElementById("board");
            const data = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let drawn = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i]) { drawn += 1; } }
            return test === "> 0" ? drawn > 0 : drawn === 0;
        }""",
        arg=test,
    )


def draw(page: Page) -> None:
    box = page.locator("#board").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(box["x"] + 40 + step * 12, box["y"] + 40 + step * 6)
    page.mouse.up()


def wait_until(page: Page, condition: Callable[[], bool], what: str) -> None:
    """Wait for something the test sees from outside the page (the page's events are handled
    meanwhile)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS} s for {what}"
        page.wait_for_timeout(100)


class LoseOneAck:
    """Passes a lesson socket's frames both ways, except the acknowledgement of the first
    message that holds ``marker``: that one is lost, and the link cut (a bus going into a
    tunnel just as the server applied the message). The ids the page sent it with are kept."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.ids: list[str] = []
        self.lost = False

    def __call__(self, page_side: WebSocketRoute) -> None:
        server = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and self.marker in message:
                self.ids.append(json.loads(message)["id"])
            server.send(message)

        def from_server(message: str | bytes) -> None:
            if not self.lost and isinstance(message, str) and self.ids:
                frame = json.loads(message)
                if frame.get("type") == "ack" and frame.get("id") == self.ids[0]:
                    self.lost = True
                    page_side.close(code=4000, reason="lost")
                    server.close()
                    return
            page_side.send(message)

        page_side.on_message(from_page)
        server.on_message(from_server)


# --- the steps ------------------------------------------------------------------------------
def class_code(page: Page) -> str:
    """The teacher reads the demo class's join code on its page."""
    code = page.locator("main code.code").first.inner_text()
    assert re.fullmatch(r"[A-Z0-9]+", code), code
    return code


def pupil_joins_the_class(page: Page, site: Site, code: str) -> None:
    sign_in(page, site, NO_PHONE.username)
    page.locator("#join-code").fill(code)
    page.get_by_role("button", name="Join a class").click()
    expect(page.locator("main ul.messages li")).to_contain_text(DEMO_CLASS_NAME)


def lesson_to_run(page: Page) -> tuple[int, str]:
    """The demo's lesson of the class, with both rural rooms (the demo schedules it a few
    minutes after loading). Returns its id and title."""
    page.locator("#class-links").get_by_role("link", name="Live lessons").click()
    ready = page.locator("main table tbody tr").filter(has_text="Scheduled")
    ready = ready.filter(has_text=TUP_ROOM).filter(has_text=BARSKOON_ROOM)
    expect(ready).to_have_count(1)
    link = ready.first.locator("a").first
    title = link.inner_text()
    link.click()
    match = re.search(r"/live-lessons/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1)), title


def facilitator_opens_the_room(page: Page, site: Site, username: str, title: str) -> None:
    """From the facilitator's home page, which lists the lessons of their room."""
    sign_in(page, site, username)
    page.locator("#live-lessons").get_by_role("link", name=title).click()
    expect_live(page)
    expect(page.locator("#codes .code-big")).to_have_count(1)


def pupil_opens_the_room(page: Page, site: Site, username: str, title: str) -> None:
    """From the class page, as a pupil clicks: the class's live lessons, the lesson, the room."""
    sign_in(page, site, username)
    open_the_class(page, "My classes")
    page.locator("#class-links").get_by_role("link", name="Live lessons").click()
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("link", name="Join the lesson").click()
    expect_live(page)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the pupil's room scrolls sideways on a 390 px screen"


def expect_slide(page: Page, position: int, count: int) -> None:
    image = page.locator("#slide-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src", re.compile(rf"/slides/{position}/\?v="))
    expect(page.locator("#slide-caption")).to_have_text(f"Slide {position + 1} of {count}")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("image => image.naturalWidth") == 1280


# --- the test -------------------------------------------------------------------------------
class Contexts:
    """A browser context per person (their own cookies and cache), all closed at the end."""

    def __init__(self, browser: Browser, site: Site) -> None:
        self.browser, self.site = browser, site
        self.opened: list[BrowserContext] = []

    def open(self, **options: Any) -> BrowserContext:
        context = new_context(self.browser, self.site, **options)
        self.opened.append(context)
        return context


@pytest.fixture
def contexts(browser: Browser, e2e_site: Site) -> Iterator[Contexts]:
    people = Contexts(browser, e2e_site)
    try:
        yield people
    finally:
        for context in people.opened:
            context.close()


def test_a_live_lesson_from_scheduling_to_attendance(
    contexts: Contexts, e2e_site: Site, tmp_path: Path
) -> None:
    open_context = contexts.open

    # Given the demo class, which the pupil without a phone joins with its code
    teacher = open_context(viewport=DESKTOP).new_page()
    sign_in(teacher, e2e_site, TEACHER.username)
    open_the_class(teacher, "Classes")
    code = class_code(teacher)
    pupil_joins_the_class(open_context().new_page(), e2e_site, code)

    # When the teacher opens the room of the class's lesson with both rural rooms
    lesson_id, title = lesson_to_run(teacher)
    teacher.get_by_role("link", name="Open the lesson room").click()
    expect_live(teacher)
    expect(teacher.locator("#lesson-state")).to_have_attribute("data-state", "scheduled")

    # and uploads a two-page PDF, then starts the lesson
    teacher.locator("#slides-files").set_input_files(deck(tmp_path / "deck.pdf"))
    teacher.locator("#slides-form").get_by_role("button", name="Upload the deck").click()
    expect(teacher.locator("#slides-form [data-count]")).to_have_attribute("data-count", "2")
    expect(teacher.locator("#slides-count")).to_have_text("Slides in the deck: 2")
    teacher.get_by_role("button", name="Start the lesson").click()
    expect(teacher.locator("#lesson-state")).to_have_attribute("data-state", "live")

    # Then both facilitators put the lesson on their projectors, each with their room's code
    tup = open_context(viewport=DESKTOP).new_page()
    facilitator_opens_the_room(tup, e2e_site, FACILITATOR_TUP.username, title)
    barskoon = open_context(viewport=DESKTOP).new_page()
    facilitator_opens_the_room(barskoon, e2e_site, FACILITATOR_BARSKOON.username, title)
    expect(tup.locator("#codes .room-code")).to_contain_text(TUP_ROOM)
    tup_code = tup.locator("#codes .code-big").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4,}", tup_code), tup_code

    # and the pupil at home follows on a phone
    home_context = open_context(viewport=PHONE, has_touch=True, is_mobile=True)
    home = home_context.new_page()
    pupil_opens_the_room(home, e2e_site, AT_HOME.username, title)
    expect(home.locator("#slide-caption")).to_have_text("No slide is shown.")

    # When the teacher shows the second slide, everyone sees it
    teacher.get_by_role("button", name="Next slide").click()
    expect(teacher.locator("#slide-caption")).to_have_text("Slide 1 of 2")
    teacher.get_by_role("button", name="Next slide").click()
    expect_slide(teacher, 1, 2)
    for page in (home, tup, barskoon):
        expect_slide(page, 1, 2)

    # When the teacher draws on the whiteboard, the pupil sees the drawing
    expect_ink(home, False)
    draw(teacher)
    expect_ink(home, True)

    # and a pupil who comes late sees the slide and the drawing at once (their room fits the
    # page budget)
    late_context = open_context(viewport=PHONE, has_touch=True, is_mobile=True)
    tunnel = LoseOneAck("Менин сурообуз бар")
    late_context.route_web_socket(re.compile(r"/ws/lessons/\d+/"), tunnel)
    late = late_context.new_page()
    sign_in(late, e2e_site, LATE.username)
    meter = NetworkMeter(late_context, late)
    meter.clear_browser_cache()
    weight = meter.measure(late, f"/live-lessons/{lesson_id}/room/", "a pupil's lesson room")
    print(f"\n{weight.report()}")
    expect_slide(late, 1, 2)
    expect_live(late)
    expect_ink(late, True)
    assert weight.total <= PAGE_BUDGET, weight.report()

    # When the Barskoon facilitator checks in the pupil without a phone
    roster_row(barskoon, NO_PHONE).get_by_role("button", name="Check in").click()
    expect(roster_row(barskoon, NO_PHONE)).to_contain_text("here")
    expect(roster_row(teacher, NO_PHONE).locator(".col-room")).to_have_text(BARSKOON_ROOM)

    # and the late pupil checks in to the Tüp room with the code on its screen
    late.locator("#checkin-code").fill(tup_code.lower())
    late.get_by_role("button", name="Check in").click()
    expect(late.locator("#checked-in")).to_have_text(f"Checked in: {TUP_ROOM}")
    expect(roster_row(tup, LATE)).to_contain_text("here")
    expect(roster_row(teacher, LATE).locator(".col-room")).to_have_text(TUP_ROOM)
    expect(roster_row(teacher, AT_HOME).locator(".col-room")).to_have_text("remote")

    # When the pupil at home raises a hand, the teacher sees it and takes it
    home.get_by_role("button", name="Raise my hand").click()
    expect(home.locator("#hand-note")).to_have_text("Your hand is up.")
    hand = teacher.locator("#hands li", has_text=name(AT_HOME))
    expect(hand).to_have_count(1)
    expect(roster_row(teacher, AT_HOME).locator(".col-hand")).to_have_text("hand up")
    hand.get_by_role("button", name="Take").click()
    expect(teacher.locator("#hands li", has_text=name(AT_HOME))).to_have_count(0)
    expect(home.get_by_role("button", name="Raise my hand")).to_be_visible()
    expect(home.locator("#hand-note")).to_have_text("")

    # When the teacher opens a poll, the pupils answer and the teacher shares the results
    teacher.get_by_label("Question", exact=True).fill("Кайсынысы чоң?")
    for index, option in enumerate(("1/2", "2/3", "3/4")):
        teacher.locator("#poll-form input[name=option]").nth(index).fill(option)
    teacher.get_by_role("button", name="Open the poll").click()
    expect(teacher.locator("#poll-shown")).to_have_text("Кайсынысы чоң?")
    for page, answer in ((home, "3/4"), (late, "2/3")):
        expect(page.locator("#poll-question")).to_have_text("Кайсынысы чоң?")
        page.locator("#poll-options").get_by_label(answer, exact=True).check()
        page.get_by_role("button", name="Send my answer").click()
        expect(page.locator("#poll-note")).to_contain_text("Your answer was sent.")
    expect(teacher.locator("#poll-answered")).to_have_text("Answered: 2")
    expect(teacher.locator("#poll-bars .count")).to_have_text(["0", "1", "1"])
    expect(home.locator("#poll-bars")).to_be_hidden()
    teacher.get_by_role("button", name="Show the results to everyone").click()
    for page in (home, late):
        expect(page.locator("#poll-bars .count")).to_have_text(["0", "1", "1"])
        expect(page.locator("#poll-answered")).to_have_text("Answered: 2")
    teacher.get_by_role("button", name="Close the poll").click()
    expect(home.locator("#poll-note")).to_have_text("The poll is closed.")

    # When the teacher deletes a chat message, it disappears for the pupils
    say(home, "Салам баарыңарга!")
    expect(chat(teacher, "Салам баарыңарга!")).to_have_count(1)
    say(teacher, "Бул жаңылыш жазылды")
    for page in (home, late, tup):
        expect(chat(page, "Бул жаңылыш жазылды")).to_have_count(1)
    chat(teacher, "Бул жаңылыш жазылды").get_by_role("button", name="Delete").click()
    for page in (teacher, home, late, tup):
        expect(chat(page, "Бул жаңылыш жазылды")).to_have_count(0)
    expect(chat(home, "Салам баарыңарга!")).to_have_count(1)

    # When the Tüp facilitator passes on a question from the room, the teacher sees where from
    tup.locator("#relay-text").fill("Бөлүмү нөл болсочу?")
    tup.get_by_role("button", name="Pass it on").click()
    expect(chat(teacher, "Бөлүмү нөл болсочу?")).to_contain_text(f"from {TUP_ROOM}")

    # When the late pupil writes just as their link drops, before the acknowledgement came
    say(late, "Менин сурообуз бар")
    wait_until(late, lambda: tunnel.lost, "the acknowledgement to be lost")
    # Then the page sends it again with the same id once back, and it is there once
    wait_until(late, lambda: len(tunnel.ids) == 2, "the message to be sent again")
    assert tunnel.ids[0] == tunnel.ids[1], tunnel.ids
    expect_live(late)
    for page in (teacher, late, home):
        expect(chat(page, "Менин сурообуз бар")).to_have_count(1)
    expect(late.locator("#chat-text")).to_have_value("")

    # When the teacher mutes the late pupil, they cannot write until unmuted
    roster_row(teacher, LATE).get_by_role("button", name="Mute").click()
    expect(late.locator("#muted-note")).to_be_visible()
    expect(late.locator("#chat-text")).to_be_disabled()
    roster_row(teacher, LATE).get_by_role("button", name="Unmute").click()
    expect(late.locator("#chat-text")).to_be_enabled()
    expect(late.locator("#muted-note")).to_be_hidden()

    # When a pupil reacts, the teacher sees it
    home.get_by_role("button", name="👏").click()
    expect(teacher.locator("#reactions")).to_contain_text("👏 1")

    # When the pupil at home loses the network while the teacher writes twice (and writes
    # something themself meanwhile)
    home_sockets: list[tuple[str, list[str]]] = []  # from now on: address, frames received

    def home_socket(socket: Any) -> None:
        frames: list[str] = []
        home_sockets.append((socket.url, frames))
        socket.on("framereceived", lambda payload: frames.append(payload))

    home.on("websocket", home_socket)
    home_context.set_offline(True)
    expect(link_state(home)).to_have_attribute("data-state", "offline")
    say(teacher, "Биринчи эскертүү")
    say(teacher, "Экинчи эскертүү")
    expect(chat(late, "Экинчи эскертүү")).to_have_count(1)
    say(home, "Мен кайра келдим")
    expect(chat(home, "Биринчи эскертүү")).to_have_count(0)

    # Then, back online, they have each message once and the link is live again: what they
    # missed was replayed after their last event, which the server found to be the log's
    home_context.set_offline(False)
    expect_live(home)
    address, frames = home_sockets[-1]
    assert re.search(r"\?since=\d+&at=\d{4}-", address), address
    kinds = [json.loads(frame)["type"] for frame in frames]
    assert "synced" in kinds, kinds
    assert "snapshot" not in kinds, kinds
    for text in ("Биринчи эскертүү", "Экинчи эскертүү", "Салам баарыңарга!"):
        expect(chat(home, text)).to_have_count(1)
    expect(chat(teacher, "Мен кайра келдим")).to_have_count(1)
    texts = home.locator("#chat li .text").all_inner_texts()
    assert texts.index("Биринчи эскертүү") < texts.index("Экинчи эскертүү"), texts
    expect_slide(home, 1, 2)

    # When the teacher clears the whiteboard, it is clear for everyone
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="Clear the whiteboard").click()
    for page in (teacher, home, late, barskoon):
        expect_ink(page, False)

    # When the teacher ends the lesson
    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.get_by_role("button", name="End the lesson").click()
    for page in (teacher, home, late, tup, barskoon):
        expect(page.locator("#lesson-state")).to_have_attribute("data-state", "ended")

    # Then the attendance tells the pupils in the classrooms from the pupil at home
    teacher.get_by_role("link", name="Attendance").first.click()
    expect(teacher.get_by_role("heading", level=1)).to_contain_text("Attendance")
    rows = teacher.locator("#attendance tbody tr")
    for pupil, where in ((AT_HOME, "remote"), (LATE, TUP_ROOM), (NO_PHONE, BARSKOON_ROOM)):
        row = rows.filter(has_text=name(pupil))
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(1)).to_have_text(where)
        expect(row.locator("td").nth(5)).to_have_text("present")
    totals = teacher.locator("#attendance-rooms tbody tr")
    expect(totals.filter(has_text=TUP_ROOM).locator("td").nth(1)).to_have_text("1")
    expect(totals.filter(has_text=BARSKOON_ROOM).locator("td").nth(1)).to_have_text("1")
    csv_link = teacher.get_by_role("link", name="Download as CSV")
    expect(csv_link).to_have_attribute("href", f"/live-lessons/{lesson_id}/attendance.csv")

    # When the late pupil signs out in another tab, their room stops following the lesson,
    # says why and does not try again
    other_tab = late_context.new_page()
    other_tab.goto("/")
    other_tab.locator('header form[action="/sign-out/"] button[type=submit]').click()
    expect(link_state(late)).to_have_attribute("data-state", "stopped")
    expect(link_state(late)).to_contain_text("signed out")
    late.wait_for_timeout(2000)
    expect(link_state(late)).to_have_attribute("data-state", "stopped")

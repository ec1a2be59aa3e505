"""A lesson video in a real browser: the teacher uploads it on the lesson's page, a pupil opens
the lesson, plays it and jumps ahead. The browser asks for the video in parts (``Range``) and
the site answers each with that part (206), as a phone on a slow link needs: it can jump ahead
without downloading what it skips, and a dropped download resumes instead of starting over.

The video (``media/clip.webm``) is a 12-second VP8 test pattern, 64 by 48 pixels, 31 KB, made with
ffmpeg's ``testsrc`` source."""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Response, expect

from tests.e2e.live_site import Site
from tests.e2e.test_courses_flow import new_context, sign_in

pytestmark = pytest.mark.browser

CLIP = Path(__file__).parent / "media" / "clip.webm"
COURSE = "Математика, 7-класс"
LESSON = "Пайыз деген эмне?"
TEACHER = "demo-teacher"
PUPIL = "demo-student"  # in the demo class of the course


def open_lesson(page: Page) -> str:
    page.goto("/courses/")
    page.get_by_role("link", name=COURSE, exact=True).first.click()
    page.get_by_role("link", name=LESSON, exact=True).first.click()
    expect(page.get_by_role("heading", name=LESSON, level=1)).to_be_visible()
    return page.url


def teacher_uploads_the_video(page: Page, site: Site) -> str:
    sign_in(page, site, TEACHER)
    url = open_lesson(page)
    page.get_by_role("link", name="Edit the lesson", exact=True).click()
    page.locator("#file-kind").select_option("video")
    page.locator("input[type=file][name=file]").set_input_files(str(CLIP))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("main ul.messages li.success")).to_have_text("The file was added.")
    return url


def test_a_pupil_jumps_ahead_in_a_lesson_video(browser: Browser, e2e_site: Site) -> None:
    teacher = new_context(browser, e2e_site)
    try:
        lesson_url = teacher_uploads_the_video(teacher.new_page(), e2e_site)
    finally:
        teacher.close()

    pupil = new_context(browser, e2e_site)
    try:
        page = pupil.new_page()
        sign_in(page, e2e_site, PUPIL)
        parts: list[dict[str, Any]] = []

        def seen(response: Response) -> None:
            if re.search(r"/api/v1/lesson-files/\d+/download/", response.url):
                parts.append(
                    {
                        "asked": response.request.headers.get("range"),
                        "status": response.status,
                        "range": response.headers.get("content-range"),
                        "encoding": response.headers.get("content-encoding"),
                    }
                )

        page.on("response", seen)
        page.goto(lesson_url)
        video = page.locator("video.video")
        expect(video).to_have_attribute("preload", "none")  # nothing loads before play
        assert parts == []

        # Play (muted: the browser lets a page start a muted video), then jump to 9.5 s.
        page.evaluate(
            "() => { const v = document.querySelector('video.video'); "
            "v.muted = true; return v.play(); }"
        )
        page.wait_for_function("() => document.querySelector('video.video').currentTime > 0.3")
        page.evaluate(
            "() => new Promise((done) => { const v = document.querySelector('video.video'); "
            "v.addEventListener('seeked', () => done(), {once: true}); v.currentTime = 9.5; })"
        )
        page.wait_for_function("() => document.querySelector('video.video').currentTime > 9.8")
        state = page.evaluate(
            "() => { const v = document.querySelector('video.video'); return {"
            "error: v.error && v.error.code, duration: v.duration, paused: v.paused,"
            "seekable: v.seekable.length ? [v.seekable.start(0), v.seekable.end(0)] : null}; }"
        )
        assert state["error"] is None
        assert state["paused"] is False
        assert state["duration"] == pytest.approx(12, abs=0.2)
        assert state["seekable"] == [0, pytest.approx(12, abs=0.2)]

        # Every request for the video asked for a part and got that part, not compressed.
        assert parts, "the video was never requested"
        for part in parts:
            assert (part["asked"] or "").startswith("bytes="), part
            assert part["status"] == 206, part
            assert re.fullmatch(r"bytes \d+-\d+/\d+", part["range"] or ""), part
            assert part["encoding"] is None, part
    finally:
        pupil.close()

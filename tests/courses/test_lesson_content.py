"""Lesson text is stored as sanitised HTML: whatever Markdown (or raw HTML inside it) an author
writes, no script, event handler, dangerous URL or embedding tag reaches a reader. Titles are
data, returned as JSON text. And what a lesson costs to open is its HTML's size in bytes.

The HTML is checked with the standard library's parser, on the actual tags and attributes,
against an allow-list written here by hand (not imported from the app).
"""

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt
from rest_framework.test import APIClient

from courses import content
from courses.models import Course, Lesson, Module
from lms.accounts.models import User
from tests.courses.factories import CourseFactory, LessonFactory, ModuleFactory

SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "img": {"src", "alt", "title"},
    "td": {"style"},
    "th": {"style"},
    "ol": {"start"},
}
NEVER_TAGS = {"script", "iframe", "object", "embed", "svg", "style", "math", "form", "base"}
SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "background"}
SAFE_STYLE = re.compile(r"^\s*text-align\s*:\s*(left|right|center)\s*;?\s*$")
# What a browser ignores in a URL before it reads the scheme: ASCII tab and newlines anywhere,
# C0 controls and spaces at the ends.
_IGNORED_IN_URL = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "[click me](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    '<a href="jav&#x09;ascript:alert(1)">tab in the scheme</a>',
    "[tab in the scheme](jav&#x09;ascript:alert(1))",
    "[entity](&#106;avascript:alert(1))",
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">padded entities</a>',
    '<p style="background:url(javascript:alert(1))">url in style</p>',
    '<div style="width: expression(alert(1))">expression</div>',
    "<style>body { background: url(javascript:alert(1)) }</style>",
    "<!-- <script>alert(1)</script> -->",
    "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1);//<</script>",
    '<img src="x" alt="a"onerror="alert(1)"',
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    '<div onmouseover="alert(1)">hover</div><details open ontoggle=alert(1)>',
    '<a href="https://ok.example/" onclick="alert(1)">click</a>',
    '[break out](https://ok.example/"onmouseover="alert(1))',
    '![x"onerror="alert(1)](https://ok.example/a.png)',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    '<base href="javascript:/"><meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |",
    "> <script>alert(1)</script>\n\n- <svg/onload=alert(1)>\n\n    <script>alert(1)</script>",
]


class Elements(HTMLParser):
    """Every start tag with its attributes, and every comment or declaration."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment: {data}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration: {decl}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"declaration: {data}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction: {data}")


def url_scheme(url: str) -> str | None:
    """The scheme a browser would read from ``url`` (``None``: a relative URL)."""
    url = _IGNORED_IN_URL.sub("", url).strip(_C0_AND_SPACE)
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


def assert_safe_html(html: str) -> Elements:
    """The HTML can run nothing: only allowed tags and attributes, no event handler, no URL
    with a scheme other than http(s)/mailto, no style but text alignment, no comments."""
    lowered = html.lower()
    assert "<script" not in lowered, html
    for tag in NEVER_TAGS:
        assert f"<{tag}" not in lowered, (tag, html)
    parser = Elements()
    parser.feed(html)
    parser.close()
    assert parser.other == [], html
    for tag, attrs in parser.tags:
        assert tag in SAFE_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert name in SAFE_ATTRIBUTES.get(tag, set()), (tag, name, html)
            if name in URL_ATTRIBUTES and value is not None:
                assert url_scheme(value) in {None, *SAFE_SCHEMES}, (tag, name, value, html)
            if name == "style":
                assert value is not None
                assert SAFE_STYLE.match(value), (tag, value, html)
    return parser


@pytest.fixture
def module(author: User) -> Module:
    return ModuleFactory(course=CourseFactory(school=author.school, teachers=[author]))


def test_the_checker_catches_what_it_is_meant_to_catch() -> None:
    # given HTML that is unsafe in each way the checker looks for; when / then it fails
    unsafe = [
        "<script>alert(1)</script>",
        '<p onclick="alert(1)">x</p>',
        '<a href="jav\tascript:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        '<img src="data:image/svg+xml,x">',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<td style="background:url(x)">x</td>',
        "<iframe></iframe>",
        "<!-- x -->",
        '<p class="x">x</p>',
    ]
    for html in unsafe:
        with pytest.raises(AssertionError):
            assert_safe_html(html)
    # and passes what is fine
    assert_safe_html('<p><a href="https://ok.example/" rel="nofollow">x</a> &lt;script&gt;</p>')
    assert_safe_html('<a href="jav%09ascript:alert(1)">a relative link</a>')


@pytest.mark.parametrize("payload", PAYLOADS)
def test_lesson_markdown_cannot_carry_a_script(
    client: APIClient, module: Module, payload: str
) -> None:
    # given a lesson text written to attack its readers
    # when the author saves it
    response = client.post(
        f"/api/v1/modules/{module.pk}/lessons/", {"title": "XSS", "body_markdown": payload}
    )
    # then the HTML stored and returned can run nothing, and the source is kept as written
    assert response.status_code == 201, response.content
    lesson = Lesson.objects.get(pk=response.json()["id"])
    assert lesson.body_markdown == payload
    assert lesson.body_html.strip()  # the text was rendered, not thrown away
    assert response.json()["body_html"] == lesson.body_html
    assert_safe_html(lesson.body_html)


def test_editing_a_lesson_renders_its_text_again_safely(client: APIClient, module: Module) -> None:
    # given a harmless lesson
    lesson = LessonFactory(module=module, body_markdown="Harmless.")
    # when the author replaces its text with every payload at once
    body = "\n\n".join(PAYLOADS)
    response = client.patch(f"/api/v1/lessons/{lesson.pk}/", {"body_markdown": body})
    # then the new HTML replaces the old and is safe
    assert response.status_code == 200, response.content
    lesson.refresh_from_db()
    assert "Harmless" not in lesson.body_html
    assert response.json()["body_html"] == lesson.body_html
    assert_safe_html(lesson.body_html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitiser_alone_stops_raw_html(monkeypatch: pytest.MonkeyPatch, payload: str) -> None:
    """Defence in depth: Markdown is configured to show raw HTML as text; even if that changed,
    the sanitiser must stop every payload on its own."""
    # given a Markdown renderer that passes raw HTML through
    monkeypatch.setattr(content, "_markdown", MarkdownIt("commonmark", {"html": True}))
    # when the payload is rendered / then what comes out is safe
    assert_safe_html(content.markdown_to_safe_html(payload))


def test_ordinary_markdown_still_renders(client: APIClient, module: Module) -> None:
    # given a lesson using the Markdown a teacher writes
    source = (
        "# Fractions\n\n"
        "Read [the book](https://books.example/fractions) or write to "
        "<mailto:teacher@school.example>.\n\n"
        "![A pie cut in halves](https://img.example/pie.png)\n\n"
        "| part | value |\n|:-----|------:|\n| half | 1/2 |\n\n"
        "1. one\n2. two\n\n`code` and **bold** and ~~struck~~ text."
    )
    # when the author saves it
    response = client.post(
        f"/api/v1/modules/{module.pk}/lessons/", {"title": "Fractions", "body_markdown": source}
    )
    # then the HTML keeps headings, links, images, tables and emphasis
    assert response.status_code == 201, response.content
    parser = assert_safe_html(response.json()["body_html"])
    tags = {tag for tag, _attrs in parser.tags}
    assert {"h1", "a", "img", "table", "th", "td", "ol", "code", "strong", "s"} <= tags
    links = [dict(attrs) for tag, attrs in parser.tags if tag == "a"]
    assert [link["href"] for link in links] == [
        "https://books.example/fractions",
        "mailto:teacher@school.example",
    ]
    assert all("noopener" in (link.get("rel") or "") for link in links)
    images = [dict(attrs) for tag, attrs in parser.tags if tag == "img"]
    assert images == [{"src": "https://img.example/pie.png", "alt": "A pie cut in halves"}]
    styles = {dict(attrs).get("style") for tag, attrs in parser.tags if tag in {"th", "td"}}
    assert styles == {"text-align:left", "text-align:right"}


# --- titles are data --------------------------------------------------------------------------
SCRIPT_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_a_title_with_a_script_comes_back_unchanged_as_json(client: APIClient) -> None:
    # given a course, a module and a lesson titled with a script
    created = client.post(
        "/api/v1/courses/", {"title": SCRIPT_TITLE, "subject": SCRIPT_TITLE, "language": "ky"}
    )
    course_id = created.json()["id"]
    module = client.post(f"/api/v1/courses/{course_id}/modules/", {"title": SCRIPT_TITLE})
    lesson = client.post(f"/api/v1/modules/{module.json()['id']}/lessons/", {"title": SCRIPT_TITLE})
    # when they are read back
    detail = client.get(f"/api/v1/courses/{course_id}/")
    listed = client.get("/api/v1/courses/")
    lesson_detail = client.get(f"/api/v1/lessons/{lesson.json()['id']}/")
    # then every answer is JSON and carries the title as the same raw string (the page that
    # shows it escapes it); nothing was stripped or HTML-escaped on the way
    for response in (created, module, lesson, detail, listed, lesson_detail):
        assert response.status_code in {200, 201}, response.content
        assert response["Content-Type"].startswith("application/json")
    assert created.json()["title"] == SCRIPT_TITLE
    assert created.json()["subject"] == SCRIPT_TITLE
    assert detail.json()["title"] == SCRIPT_TITLE
    assert listed.json()["results"][0]["title"] == SCRIPT_TITLE
    assert detail.json()["modules"][0]["title"] == SCRIPT_TITLE
    assert detail.json()["modules"][0]["lessons"][0]["title"] == SCRIPT_TITLE
    assert lesson_detail.json()["title"] == SCRIPT_TITLE
    assert Course.objects.get(pk=course_id).title == SCRIPT_TITLE


# --- what a lesson costs to open ------------------------------------------------------------
KYRGYZ_AND_MONGOLIAN = "# Бөлчөктөр\n\nЖарым — ½, үчтөн бир — ⅓. Монгол: Бутархай тоо."


def data_costs(client: APIClient, lesson: Lesson) -> list[dict[str, Any]]:
    """The lesson's data cost as its page and its course's outline give it."""
    detail = client.get(f"/api/v1/lessons/{lesson.pk}/").json()
    outline = client.get(f"/api/v1/courses/{lesson.module.course_id}/").json()
    summary = next(
        item for m in outline["modules"] for item in m["lessons"] if item["id"] == lesson.pk
    )
    return [detail["data_cost"], summary["data_cost"]]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("", id="empty"),
        pytest.param("Plain ASCII text.", id="ascii"),
        pytest.param(KYRGYZ_AND_MONGOLIAN, id="kyrgyz-and-mongolian"),
        pytest.param("Emoji 🍰🍕 and CJK 分数 and an [a link](https://x.example/é)", id="4-byte"),
        pytest.param("ы" * 150_000, id="a-long-cyrillic-text"),
    ],
)
def test_the_data_cost_is_the_utf8_size_of_the_html(
    client: APIClient, module: Module, source: str
) -> None:
    # given a lesson with text in one of the platform's scripts
    response = client.post(
        f"/api/v1/modules/{module.pk}/lessons/", {"title": "Cost", "body_markdown": source}
    )
    lesson = Lesson.objects.get(pk=response.json()["id"])
    size = len(lesson.body_html.encode("utf-8"))
    # when it is read / then its cost is the HTML's size in bytes, not in characters
    for cost in [response.json()["data_cost"], *data_costs(client, lesson)]:
        assert cost == {
            "bytes": size,
            "megabytes": round(size / 1_000_000, 2),
            "external_video": False,
        }
    if source and not source.isascii():
        assert size > len(lesson.body_html)


def test_the_data_cost_follows_edits(client: APIClient, module: Module) -> None:
    # given a short lesson
    lesson = LessonFactory(module=module, body_markdown="Short.")
    # when the author makes it longer
    response = client.patch(f"/api/v1/lessons/{lesson.pk}/", {"body_markdown": "Длинный " * 500})
    # then the cost is that of the new HTML
    lesson.refresh_from_db()
    size = len(lesson.body_html.encode("utf-8"))
    assert size > 7000
    assert response.json()["data_cost"]["bytes"] == size
    assert [cost["bytes"] for cost in data_costs(client, lesson)] == [size, size]


def test_an_external_video_is_flagged_and_not_counted(client: APIClient, module: Module) -> None:
    # given a lesson without a video
    lesson = LessonFactory(module=module, body_markdown="Watch this.")
    size = len(lesson.body_html.encode("utf-8"))
    assert [cost["external_video"] for cost in data_costs(client, lesson)] == [False, False]
    # when the author links a video
    url = "https://video.example.org/watch?v=1"
    response = client.patch(f"/api/v1/lessons/{lesson.pk}/", {"video_url": url})
    # then the lesson flags it, its size unknown and not added to the bytes
    assert response.json()["video_url"] == url
    assert response.json()["data_cost"]["external_video"] is True
    costs = data_costs(client, lesson)
    assert [cost["external_video"] for cost in costs] == [True, True]
    assert [cost["bytes"] for cost in costs] == [size, size]
    # and when the author removes it again, the flag goes
    client.patch(f"/api/v1/lessons/{lesson.pk}/", {"video_url": ""})
    assert [cost["external_video"] for cost in data_costs(client, lesson)] == [False, False]

"""A batch's e-mails share their text's rendering (senders.SharedText): each message, written
out, is byte for byte what Django writes for the same message built whole."""

import contextlib
import copy
import email
from collections.abc import Callable, Iterator
from email import generator, policy
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail import message as django_message
from django.core.mail.message import SafeMIMEText
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.notifications import senders

REFERENCE = "12345"
DATE = "Tue, 24 Nov 2026 20:52:05 -0000"
LONG_HOST = "lms-worker-7d9f8b6c5d-x2k4p.lms.svc.cluster.local"


@contextlib.contextmanager
def _stamps_pinned(host: str = "example.kg") -> Iterator[None]:
    """The Date and Message-ID that Django and ours write, fixed alike (the rest compared)."""

    def msgid(domain: Any = None) -> str:
        return f"<179555352505.13148.5724411275035327044@{domain}>"

    with contextlib.ExitStack() as stack:
        for module in (senders, django_message):
            stack.enter_context(mock.patch.object(module, "DNS_NAME", host))
            stack.enter_context(mock.patch.object(module, "make_msgid", msgid))
            stack.enter_context(mock.patch.object(module, "formatdate", return_value=DATE))
        yield


def _as_django_writes_it(message: senders.OneOfMany, linesep: str) -> bytes:
    """The same message built whole by Django."""
    whole = EmailMessage(
        subject=message.subject, body=message.body, to=message.to, headers=message.extra_headers
    )
    built: Any = whole.message()  # a SafeMIMEText in Django 5.2 (the stubs are Django 6's)
    return bytes(built.as_bytes(linesep=linesep))


def _stamped(subject: str, body: str, to: str, reference: str = REFERENCE) -> senders.OneOfMany:
    shared = senders.SharedText(subject, body)
    return senders.OneOfMany(shared, to=to, headers={"X-Mektep-Delivery": reference})


def _outcome(write: Callable[[], bytes]) -> bytes | type[BaseException]:
    try:
        return write()
    except Exception as error:
        return type(error)


@pytest.mark.parametrize("linesep", ["\r\n", "\n"])
@pytest.mark.parametrize(
    ("subject", "body", "to"),
    [
        ("Live lesson: Fractions, 25.11.2026 10:00", "See you there.\n", "pupil@example.kg"),
        ("Онлайн сабак: Бөлчөктөр, 25.11.2026 10:00", "Сабак 7А үчүн.\n\n--\nТандаңыз", "a@b.kg"),
        ("Шууд хичээл: Бутархай тоо, 2026.11.25 10:00", "Хичээл эхэлнэ.", "b@mektep.mn"),
        # a subject folded over several lines, a body line longer than SMTP allows
        ("Оценка опубликована: " + "Алгебра и начала анализа " * 6, "х" * 1200, "c@d.kg"),
        # an address of a domain in Cyrillic (sent in punycode)
        ("Grade published", "Body", "pupil@мектеп.кг"),
        # a To line longer than a header line may be, and a name in Cyrillic: both folded
        ("Grade published", "Body", "a" * 70 + "@example.kg"),
        ("Grade published", "Body", "Айгүл Токтосунова <aigul@example.kg>"),
        # a character the e-mail package takes for a line break, in a quoted local part
        ("Grade published", "Body", '"a\x0bb"@example.kg'),
    ],
)
def test_each_message_is_what_django_writes_for_it(
    subject: str, body: str, to: str, linesep: str
) -> None:
    message = _stamped(subject, body, to)
    with _stamps_pinned():
        assert message.message().as_bytes(linesep=linesep) == _as_django_writes_it(message, linesep)


def test_a_long_host_name_folds_the_message_id_as_django_does() -> None:
    # given a worker whose host name makes the Message-ID line longer than a line may be
    message = _stamped("Онлайн-урок: Дроби", "Урок начнётся в 10:00.", "pupil@example.kg")
    with _stamps_pinned(host=LONG_HOST):
        written = message.message().as_bytes(linesep="\r\n")
        assert written == _as_django_writes_it(message, "\r\n")
    assert f"\r\n <179555352505.13148.5724411275035327044@{LONG_HOST}>".encode() in written


@settings(max_examples=200, deadline=None)
@given(
    subject=st.text(st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=120),
    body=st.text(st.characters(exclude_categories=["Cs"]), max_size=400),
    to=st.text(st.characters(codec="ascii", exclude_characters="\r\n"), min_size=1, max_size=90)
    | st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,70}@example\.kg", fullmatch=True),
    reference=st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n")),
)
def test_any_message_is_written_as_django_writes_it(
    subject: str, body: str, to: str, reference: str
) -> None:
    # given any text and any own headers Django takes; when both write the message, then
    # both write the same bytes, or both refuse it alike
    message = _stamped(subject, body, to, reference)
    with _stamps_pinned():
        ours = _outcome(lambda: message.message().as_bytes(linesep="\r\n"))
        theirs = _outcome(lambda: _as_django_writes_it(message, "\r\n"))
    assert ours == theirs


def test_messages_of_one_text_differ_only_in_their_own_headers() -> None:
    shared = senders.SharedText("Онлайн-урок: Дроби", "Урок начнётся в 10:00.")
    one, two = (
        email.message_from_bytes(
            senders.OneOfMany(shared, to=to, headers={"X-Mektep-Delivery": reference})
            .message()
            .as_bytes(linesep="\r\n"),
            policy=policy.default,
        )
        for to, reference in (("one@example.kg", "1"), ("two@example.kg", "2"))
    )
    assert (one["To"], one["X-Mektep-Delivery"]) == ("one@example.kg", "1")
    assert (two["To"], two["X-Mektep-Delivery"]) == ("two@example.kg", "2")
    assert one["Message-ID"] != two["Message-ID"]
    assert one["Subject"] == two["Subject"] == "Онлайн-урок: Дроби"
    assert one.get_content() == two.get_content() == "Урок начнётся в 10:00."


def test_a_header_with_a_line_break_is_refused_as_django_refuses_it() -> None:
    shared = senders.SharedText("Subject", "Body")
    message = senders.OneOfMany(
        shared, to="pupil@example.kg", headers={"X-Mektep-Delivery": "1\nBcc: x@evil.example"}
    )
    with pytest.raises(mail.BadHeaderError):
        message.message()


def test_a_message_changed_after_it_was_built_is_written_whole() -> None:
    # given messages of one text, each changed by a backend before it is written
    shared = senders.SharedText("Онлайн-урок: Дроби", "Урок начнётся в 10:00.")
    renamed, rewritten, stamped, injected = (
        senders.OneOfMany(shared, to="one@example.kg", headers={"X-Mektep-Delivery": "1"}).message()
        for _n in range(4)
    )
    renamed.replace_header("Subject", "Another subject")
    rewritten.set_payload("Another body")
    del stamped["X-Mektep-Delivery"]
    injected.replace_header("X-Mektep-Delivery", "1\r\nBcc: evil@example.kg")  # past Django
    # then each is written as the e-mail package writes it, the change included
    for message in (renamed, rewritten, stamped):
        assert message.as_bytes() == SafeMIMEText.as_bytes(message)
    assert b"Subject: Another subject" in renamed.as_bytes()
    assert rewritten.as_bytes().endswith(b"\n\nAnother body")
    assert b"X-Mektep-Delivery" not in stamped.as_bytes()
    # and a header line smuggled in is refused, as the package refuses it
    with pytest.raises(email.errors.HeaderParseError):
        injected.as_bytes()


@pytest.mark.parametrize(
    "change",
    [
        lambda m: setattr(m, "cc", ["teacher@example.kg"]),
        lambda m: setattr(m, "reply_to", ["teacher@example.kg"]),
        lambda m: setattr(m, "subject", "Another subject"),
        lambda m: setattr(m, "body", "Another body"),
        lambda m: setattr(m, "from_email", "School <school@example.kg>"),
        lambda m: m.extra_headers.update({"From": "School <school@example.kg>"}),
    ],
)
def test_a_message_given_more_than_its_text_is_built_whole_by_django(
    change: Callable[[senders.OneOfMany], None],
) -> None:
    message = _stamped("Онлайн-урок: Дроби", "Урок начнётся в 10:00.", "one@example.kg")
    message.extra_headers.update(
        {"Date": "Tue, 24 Nov 2026 20:52:05 -0000", "Message-ID": "<1.2.3@example.kg>"}
    )
    change(message)
    built = message.message()
    assert not isinstance(built, senders.StampedMIMEText)
    assert built.as_bytes() == EmailMessage.message(message).as_bytes()


def test_a_message_with_an_attachment_is_built_whole_by_django() -> None:
    message = _stamped("Онлайн-урок: Дроби", "Урок начнётся в 10:00.", "one@example.kg")
    message.attach("note.txt", "a note", "text/plain")
    built = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    assert built.is_multipart()
    assert [part.get_filename() for part in built.iter_attachments()] == ["note.txt"]


def test_a_text_is_written_once_for_all_its_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the e-mail package's writer, counted
    written = []
    flatten = generator.BytesGenerator.flatten

    def counted(self: generator.BytesGenerator, *args: Any, **kwargs: Any) -> None:
        written.append(1)
        flatten(self, *args, **kwargs)

    monkeypatch.setattr(generator.BytesGenerator, "flatten", counted)
    # when 20 people get one text, then the text was written once, not once for each
    shared = senders.SharedText("Онлайн-урок: Дроби", "Урок начнётся в 10:00.")
    for n in range(20):
        message = senders.OneOfMany(shared, to=f"p{n}@example.kg", headers={})
        assert f"To: p{n}@example.kg".encode() in message.message().as_bytes(linesep="\r\n")
    assert len(written) == 1


def test_a_copied_message_shares_its_text() -> None:
    # the locmem backend keeps a deep copy of every message: not of the shared text each time
    message = _stamped("Онлайн-урок: Дроби", "Урок начнётся в 10:00.", "one@example.kg")
    assert copy.deepcopy(message).shared is message.shared

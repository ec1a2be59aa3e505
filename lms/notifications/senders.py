"""The outside channels: e-mail through Django's e-mail backends, SMS through a gateway backend.

A sender raises :class:`SendFailed` when a message did not go out; ``retry`` says whether trying
again later may help (a server down, a timeout, a 4xx SMTP reply, a 5xx or 429 from the
gateway) or not (an address refused, a 4xx from the gateway).
"""

import contextlib
import itertools
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import smsutil
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.message import SafeMIMEText
from django.core.mail.utils import DNS_NAME
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)
MAX_LINE = 78  # a header line longer is folded by the e-mail package (RFC 5322's limit)


class SendFailed(Exception):
    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


# --- e-mail -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    reference: str  # the delivery's id, as a header: bounces and support can find it


class SharedText:
    """A subject and body that many messages share, rendered once by Django's MIME classes.

    A batch of notices is a few texts (one per language and time zone) sent to many people:
    rendering each message whole, its encoded subject folded again every time, was most of the
    cost of sending one (0.56 ms of CPU). Each message's own headers differ: To, Date,
    Message-ID and the delivery's reference. docs/decisions/0017."""

    def __init__(self, subject: str, body: str) -> None:
        self.subject, self.body = subject, body
        whole = EmailMessage(subject=subject, body=body)
        self.from_email = whole.from_email
        template: Any = whole.message()
        del template["Date"], template["Message-ID"]  # each message's own
        self.template = template
        self._rendered: dict[str, tuple[bytes, bytes, Any]] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> "SharedText":
        return self  # shared, and never changed: a copied message (locmem's outbox) shares it

    def rendered(self, linesep: str) -> tuple[bytes, bytes, Any]:
        """The shared header lines, each ending with ``linesep``, the body after the blank
        line, as Django's SMTP backend writes them, and the policy that wrote them."""
        if linesep not in self._rendered:
            whole: bytes = self.template.as_bytes(linesep=linesep)
            end = whole.index((linesep * 2).encode()) + len(linesep)
            policy = self.template.policy.clone(linesep=linesep)  # as the package's writer does
            self._rendered[linesep] = whole[:end], whole[end + len(linesep) :], policy
        return self._rendered[linesep]


class StampedMIMEText(SafeMIMEText):
    """A copy of a shared text's message with one message's own headers. Written out, it is
    the shared rendering with its own header lines added: byte for byte what the e-mail
    package writes for the whole message (tests/notifications/test_senders.py). An own header
    that is short, ASCII and one line is written as it is; any other is folded as the package
    folds it. A message changed after it was copied, or written with a Unix From line, is
    written whole by the package."""

    shared: SharedText

    @classmethod
    def copy_of(cls, shared: SharedText) -> "StampedMIMEText":
        message = cls.__new__(cls)
        message.__dict__.update(shared.template.__dict__)  # the payload and charset, shared
        message._headers = list(shared.template._headers)  # type: ignore[attr-defined]
        message.shared = shared
        return message

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:  # type: ignore[override]
        headers: list[tuple[str, str]] = self._headers  # type: ignore[attr-defined]
        common: list[tuple[str, str]] = self.shared.template._headers
        if (
            unixfrom
            or headers[: len(common)] != common  # changed since it was copied
            or self._payload is not self.shared.template._payload  # type: ignore[attr-defined]
            or self.policy is not self.shared.template.policy
        ):
            return bytes(super().as_bytes(unixfrom=unixfrom, linesep=linesep))
        head, body, policy = self.shared.rendered(linesep)
        own = []
        for name, value in headers[len(common) :]:
            line = f"{name}: {value}"
            if isinstance(value, str) and _one_short_ascii_line(line):
                own.append((line + linesep).encode())
            else:
                own.append(policy.fold_binary(name, value))
        return head + b"".join(own) + linesep.encode() + body


def _one_short_ascii_line(line: str) -> bool:
    """A header line the e-mail package writes as it is: no folding, no encoding, and no
    character it would take for a line break (it splits as ``str.splitlines`` does)."""
    return len(line) <= MAX_LINE and line.isascii() and line.splitlines() == [line]


class OneOfMany(EmailMessage):
    """A plain text e-mail whose subject and body are a :class:`SharedText`'s. Anything more
    (copies, a reply address, attachments, another sender or charset, its own subject or
    body) and Django builds it whole."""

    def __init__(self, shared: SharedText, *, to: str, headers: dict[str, str]) -> None:
        super().__init__(subject=shared.subject, body=shared.body, to=[to], headers=headers)
        self.shared = shared

    def message(self) -> SafeMIMEText:  # type: ignore[override]  # the stubs are Django 6's
        """What ``EmailMessage.message`` (Django 5.2) builds for a plain text message, the
        shared part copied rather than built again; the own headers go through Django's
        checks, as there."""
        names = {name.lower() for name in self.extra_headers}
        if (
            (self.subject, self.body) != (self.shared.subject, self.shared.body)
            or self.from_email != self.shared.from_email
            or self.cc
            or self.reply_to
            or self.attachments
            or self.encoding
            or self.content_subtype != "plain"
            or names & {"from", "to", "cc", "reply-to"}
        ):
            return super().message()  # type: ignore[return-value]
        message = StampedMIMEText.copy_of(self.shared)
        message["To"] = ", ".join(self.to)
        if "date" not in names:
            message["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        if "message-id" not in names:
            message["Message-ID"] = make_msgid(domain=DNS_NAME)
        for name, value in self.extra_headers.items():
            message[name] = value
        return message


class EmailSession:
    """One connection for a batch of messages; each message succeeds or fails alone."""

    def __enter__(self) -> "EmailSession":
        self.connection = get_connection(fail_silently=False)
        self.opened = False
        self.texts: dict[tuple[str, str], SharedText] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        if self.opened:
            try:
                self.connection.close()
            except Exception:  # the server went away: the messages were already answered
                log.warning("closing the e-mail connection failed", exc_info=True)

    def send(self, email: Email) -> None:
        subject = " ".join(email.subject.split())  # a header holds no line breaks
        shared = self.texts.get((subject, email.body))
        if shared is None:
            shared = self.texts[subject, email.body] = SharedText(subject, email.body)
        message = OneOfMany(shared, to=email.to, headers={"X-Mektep-Delivery": email.reference})
        try:
            if not self.opened:
                self.connection.open()
                self.opened = True
            if self.connection.send_messages([message]) != 1:
                raise SendFailed("the e-mail backend did not send the message", retry=True)
        except smtplib.SMTPRecipientsRefused as error:
            raise SendFailed(f"address refused: {error.recipients}", retry=False) from error
        except smtplib.SMTPResponseException as error:
            self._drop()
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            raise SendFailed(text, retry=not 500 <= error.smtp_code < 600) from error
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise SendFailed(f"{type(error).__name__}: {error}", retry=True) from error

    def _drop(self) -> None:
        """After a failure the connection may be unusable: the next message opens another."""
        if self.opened:
            with contextlib.suppress(Exception):  # already broken; a new one comes next
                self.connection.close()
            self.opened = False


# --- SMS --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sms:
    to: str
    parts: list[str]
    encoding: str  # "gsm7" or "ucs2"
    reference: str


def sms_compose(text: str, *, max_parts: int | None = None) -> tuple[str, list[str]]:
    """Split a text into SMS parts: 160 GSM-7 characters in one message (153 a part when
    split; the extension table's characters count twice and are never cut), otherwise UCS-2,
    70 (67 a part; a character outside the BMP takes two units and is never cut). Beyond
    ``max_parts`` (``SMS_MAX_PARTS``) the text is shortened, ending with an ellipsis."""
    limit = max_parts or settings.SMS_MAX_PARTS
    text = " ".join(text.split())
    split = smsutil.split(text)
    if len(split.parts) > limit:
        kept = "".join(part.content for part in split.parts[:limit])
        while True:
            kept = kept[:-1].rstrip()
            split = smsutil.split(kept + "…")
            if len(split.parts) <= limit:
                break
    encoding = "gsm7" if split.encoding == "gsm0338" else "ucs2"
    return encoding, [part.content for part in split.parts]


class SmsBackend(Protocol):
    def send(self, sms: Sms) -> str:
        """Hand the message to the gateway; return the gateway's id for it."""
        ...


class HttpSmsBackend:
    """A gateway over HTTP with JSON.

    ``POST SMS_GATEWAY_URL`` with ``Authorization: Bearer SMS_GATEWAY_TOKEN`` and
    ``{"to", "parts", "encoding", "reference"}``; a 2xx answer ``{"id": ...}`` means accepted.
    The gateway reports the outcome later to ``/api/v1/notifications/sms-status/``
    (``{"id", "status": "delivered" | "failed", "error"}``, the same token in
    ``SMS_CALLBACK_TOKEN``).
    """

    def send(self, sms: Sms) -> str:
        body = json.dumps(
            {"to": sms.to, "parts": sms.parts, "encoding": sms.encoding, "reference": sms.reference}
        ).encode()
        request = urllib.request.Request(  # noqa: S310  (the URL is the operator's setting)
            settings.SMS_GATEWAY_URL,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.SMS_GATEWAY_TIMEOUT
            ) as response:
                answer: Any = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            retry = error.code >= 500 or error.code in (408, 429)
            detail = error.read()[:200].decode(errors="replace")
            raise SendFailed(f"gateway HTTP {error.code}: {detail}", retry=retry) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise SendFailed(f"gateway unreachable: {error}", retry=True) from error
        except ValueError as error:
            raise SendFailed("the gateway's answer is not JSON", retry=True) from error
        provider_id = answer.get("id") if isinstance(answer, dict) else None
        if not provider_id:
            raise SendFailed("the gateway's answer has no id", retry=True)
        return str(provider_id)


class ConsoleSmsBackend:
    """The embedded default: the message is written to the log, as e-mail goes to the console."""

    counter = itertools.count(1)

    def send(self, sms: Sms) -> str:
        log.info("SMS to %s (%s, %s parts): %s", sms.to, sms.encoding, len(sms.parts), sms.parts)
        return f"console-{next(self.counter)}"


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend

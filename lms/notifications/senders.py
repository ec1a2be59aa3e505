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
from typing import Any, Protocol

import smsutil
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


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


class EmailSession:
    """One connection for a batch of messages; each message succeeds or fails alone."""

    def __enter__(self) -> "EmailSession":
        self.connection = get_connection(fail_silently=False)
        self.opened = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self.opened:
            try:
                self.connection.close()
            except Exception:  # the server went away: the messages were already answered
                log.warning("closing the e-mail connection failed", exc_info=True)

    def send(self, email: Email) -> None:
        message = EmailMessage(
            subject=" ".join(email.subject.split()),  # a header holds no line breaks
            body=email.body,
            to=[email.to],
            headers={"X-Mektep-Delivery": email.reference},
        )
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

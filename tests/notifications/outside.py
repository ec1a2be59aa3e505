"""Local stand-ins for what lies outside Mektep: a real SMTP server (aiosmtpd) and an SMS
gateway speaking HTTP, each on a free port of this machine, each told how to misbehave."""

import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import free_port


def _wait(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- SMTP -------------------------------------------------------------------------------------
@dataclass
class MailServer:
    """Accepts mail; ``refuse_next(n, code)`` answers the next n messages with an error."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        with self.lock:
            self.refusals = [reply] * count

    def refuse_always(self, reply: str = "451 4.3.0 Try again later") -> None:
        with self.lock:
            self.refusals = [reply] * 10_000

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.attempts += 1
            if self.refusals:
                return self.refusals.pop()
            raw = envelope.original_content or envelope.content or b""
            message = email.message_from_bytes(
                raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default
            )
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        _wait(lambda: len(self.messages) >= count, timeout, f"{count} e-mails")
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@contextmanager
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    server.port = controller.port
    try:
        yield server
    finally:
        controller.stop()


# --- the SMS gateway --------------------------------------------------------------------------
@dataclass
class SmsGateway:
    """The HTTP contract of ``lms.notifications.senders.HttpSmsBackend``: POST JSON with a
    bearer token, answer ``{"id": ...}``. ``fail_next(n, status)`` answers the next n with an
    error status; ``received`` holds every accepted message."""

    token: str
    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self.failures = [status] * count

    def fail_always(self, status: int = 503) -> None:
        with self.lock:
            self.failures = [status] * 10_000

    def answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.attempts += 1
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, {"error": "bad token"}
            if self.failures:
                return self.failures.pop(), {"error": "gateway trouble"}
            message = json.loads(body)
            self.received.append(message)
            return 202, {"id": f"gw-{len(self.received)}", "status": "accepted"}

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        _wait(lambda: len(self.received) >= count, timeout, f"{count} SMS")
        return list(self.received)


@contextmanager
def sms_gateway(token: str = "gateway-token") -> Iterator[SmsGateway]:  # noqa: S107
    gateway = SmsGateway(token=token)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, answer = gateway.answer(self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    gateway.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()

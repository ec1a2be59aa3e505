"""Page weight as Chromium's network stack sees it, through the DevTools protocol."""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page

COMPRESSED = {"gzip", "br"}


@dataclass
class Fetch:
    """One request and the bytes it cost on the wire (headers and body, as received)."""

    url: str
    resource_type: str
    status: int = 0
    content_encoding: str = ""
    from_cache: bool = False
    encoded_bytes: int = 0

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class PageWeight:
    label: str
    fetches: list[Fetch] = field(default_factory=list)
    redirect_bytes: int = 0

    @property
    def total(self) -> int:
        return self.redirect_bytes + sum(fetch.encoded_bytes for fetch in self.fetches)

    def of_type(self, *resource_types: str) -> list[Fetch]:
        return [fetch for fetch in self.fetches if fetch.resource_type in resource_types]

    def report(self) -> str:
        lines = [f"[page weight] {self.label}: {self.total} B ({self.total / 1024:.1f} KiB)"]
        lines += [
            f"    {fetch.encoded_bytes:>7} B  {fetch.resource_type:<10} "
            f"{fetch.content_encoding or 'identity':<8} {fetch.status} {fetch.path}"
            for fetch in self.fetches
        ]
        if self.redirect_bytes:
            lines.append(f"    {self.redirect_bytes:>7} B  redirects")
        return "\n".join(lines)


class NetworkMeter:
    """Sums ``encodedDataLength`` of every ``Network.loadingFinished`` event of one page."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self._cdp = context.new_cdp_session(page)
        self._fetches: dict[str, Fetch] = {}
        self._done: set[str] = set()
        self._failed: dict[str, str] = {}
        self._redirect_bytes = 0
        self._cdp.on("Network.requestWillBeSent", self._on_request)
        self._cdp.on("Network.requestServedFromCache", self._on_served_from_cache)
        self._cdp.on("Network.responseReceived", self._on_response)
        self._cdp.on("Network.loadingFinished", self._on_finished)
        self._cdp.on("Network.loadingFailed", self._on_failed)
        self._cdp.send("Network.enable")

    def clear_browser_cache(self) -> None:
        self._cdp.send("Network.clearBrowserCache")

    def measure(self, page: Page, url: str, label: str) -> PageWeight:
        """Navigate to ``url``, wait for the load event and network idle, and sum the bytes."""
        self._fetches, self._done, self._failed, self._redirect_bytes = {}, set(), {}, 0
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        # A round trip on the same session: every event sent before it has been dispatched.
        self._cdp.send("Runtime.evaluate", {"expression": "0"})
        unfinished = [fetch.url for key, fetch in self._fetches.items() if key not in self._done]
        if unfinished or self._failed:
            raise AssertionError(
                f"{label}: requests still open {unfinished} or failed {self._failed}"
            )
        return PageWeight(label, list(self._fetches.values()), self._redirect_bytes)

    # --- DevTools events ---
    def _on_request(self, event: dict[str, Any]) -> None:
        redirect = event.get("redirectResponse")
        if redirect is not None:  # the same request id continues after a redirect
            self._redirect_bytes += int(redirect.get("encodedDataLength", 0))
        self._fetches[event["requestId"]] = Fetch(
            url=event["request"]["url"], resource_type=event.get("type", "Other")
        )

    def _on_served_from_cache(self, event: dict[str, Any]) -> None:
        if event["requestId"] in self._fetches:
            self._fetches[event["requestId"]].from_cache = True

    def _on_response(self, event: dict[str, Any]) -> None:
        fetch = self._fetches.get(event["requestId"])
        if fetch is None:
            return
        response = event["response"]
        headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
        fetch.status = int(response.get("status", 0))
        fetch.content_encoding = headers.get("content-encoding", "").strip().lower()
        fetch.from_cache = fetch.from_cache or any(
            response.get(flag) for flag in ("fromDiskCache", "fromPrefetchCache")
        )
        fetch.resource_type = event.get("type", fetch.resource_type)

    def _on_finished(self, event: dict[str, Any]) -> None:
        fetch = self._fetches.get(event["requestId"])
        if fetch is not None:
            fetch.encoded_bytes = int(event.get("encodedDataLength", 0))
        self._done.add(event["requestId"])

    def _on_failed(self, event: dict[str, Any]) -> None:
        self._failed[event["requestId"]] = event.get("errorText", "failed")
        self._done.add(event["requestId"])

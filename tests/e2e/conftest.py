"""Fixtures for the browser tests: one real site per test session, one fresh browser context
(empty cache, no cookies) per test."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.live_site import Site, serve_site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAUNCH_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def e2e_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """uvicorn serving Mektep on its own fresh database, with the demo and a platform admin."""
    with serve_site(tmp_path_factory.mktemp("e2e-site")) as site:
        print(f"\n[e2e] site at {site.base_url}, database {site.database}")
        yield site


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=LAUNCH_TIMEOUT_MS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser, e2e_site: Site) -> Iterator[BrowserContext]:
    e2e_site.check_running()
    context = browser.new_context(base_url=e2e_site.base_url, locale="en-US")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()

"""End-to-end smoke tests: Debian's Chromium against a real uvicorn process serving Mektep.

Run with ``pytest tests/e2e -s`` to see the measured page weights.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import BrowserContext, Locator, Page, expect

from lms.accounts.demo import DEMO_PASSWORD, DEMO_PEOPLE, DEMO_USERNAMES
from lms.accounts.models import Role
from tests.e2e.live_site import PLATFORM_ADMIN, Site
from tests.e2e.network import COMPRESSED, NetworkMeter, PageWeight

pytestmark = pytest.mark.browser

PAGE_BUDGET = 60 * 1024  # bytes on the wire for one cold page load, everything included
DEMO_ROLES = {person.username: person.role for person in DEMO_PEOPLE}
ACCOUNTS = {  # username -> role value
    **{
        username: DEMO_ROLES[username]
        for username in (
            "demo-region-admin",
            "demo-school-admin",
            "demo-teacher",
            "demo-facilitator",
            "demo-student",
        )
    },
    PLATFORM_ADMIN: Role.PLATFORM_ADMIN.value,
}


def role_label(role: str) -> str:
    with translation.override("en"):
        return str(Role(role).label)


def password_for(site: Site, username: str) -> str:
    return site.admin_password if username == site.admin_username else DEMO_PASSWORD


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/sign-in/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()


def sign_out_button(page: Page) -> Locator:
    return page.locator('header form[action="/sign-out/"] button[type=submit]')


def sign_in_url(site: Site, query: str = "") -> re.Pattern[str]:
    return re.compile(re.escape(f"{site.base_url}/sign-in/{query}") + "$")


def expect_sent_to_sign_in(page: Page, site: Site) -> None:
    """GET / without a session answers with a redirect to the sign-in page."""
    response = page.goto("/")
    assert response is not None
    redirect = response.request.redirected_from
    assert redirect is not None, "GET / was not redirected"
    assert redirect.url == f"{site.base_url}/"
    redirect_response = redirect.response()
    assert redirect_response is not None
    assert redirect_response.status == 302
    expect(page).to_have_url(sign_in_url(site, "?next=/"))
    expect(page.locator("#id_username")).to_be_visible()


def expect_compressed(weight: PageWeight) -> None:
    """The HTML and the static CSS and JS came gzip- or brotli-compressed."""
    documents = weight.of_type("Document")
    static = [fetch for fetch in weight.of_type("Stylesheet", "Script") if "/static/" in fetch.url]
    assert len(documents) == 1, weight.report()
    assert {fetch.resource_type for fetch in static} == {"Stylesheet", "Script"}, weight.report()
    for fetch in [*documents, *static]:
        assert fetch.content_encoding in COMPRESSED, f"{fetch.url} uncompressed\n{weight.report()}"


def expect_cold_and_within_budget(weight: PageWeight) -> None:
    cached = [fetch.url for fetch in weight.fetches if fetch.from_cache]
    assert not cached, f"served from the browser cache: {cached}\n{weight.report()}"
    assert all(fetch.status == 200 for fetch in weight.fetches), weight.report()
    expect_compressed(weight)
    assert weight.total <= PAGE_BUDGET, f"over {PAGE_BUDGET} B\n{weight.report()}"


# --- signing in, switching language, signing out -------------------------------------------
@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_each_role_signs_in_switches_to_kyrgyz_and_signs_out(
    page: Page, e2e_site: Site, username: str
) -> None:
    role = ACCOUNTS[username]

    # Given the sign-in page, which lists the demo accounts
    page.goto("/sign-in/")
    expect(page.locator("section.demo table")).to_be_visible()
    expect(page.locator("section.demo tbody code")).to_have_text(DEMO_USERNAMES)

    # When the person signs in
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password_for(e2e_site, username))
    page.locator("main form button[type=submit]").click()

    # Then they land on the home page, which names their role
    expect(page).to_have_url(f"{e2e_site.base_url}/")
    role_line = page.locator("p.role")
    expect(role_line).to_have_attribute("data-role", role)
    expect(role_line).to_contain_text(role_label(role))

    # When they switch the interface to Kyrgyz with the header's language form
    page.locator("header form.lang select[name=language]").select_option("ky")
    page.locator("header form.lang button[type=submit]").click()

    # Then the page is in Kyrgyz
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    expect(page).to_have_url(f"{e2e_site.base_url}/")
    expect(sign_out_button(page)).to_have_text("Чыгуу")

    # When they sign out
    sign_out_button(page).click()

    # Then they are on the sign-in page, signed out, and the home page sends them back to it
    expect(page).to_have_url(sign_in_url(e2e_site))
    expect(page.locator("#id_username")).to_be_visible()
    expect(sign_out_button(page)).to_have_count(0)
    expect_sent_to_sign_in(page, e2e_site)


def test_failed_sign_in_shows_an_error_and_does_not_sign_in(
    page: Page, context: BrowserContext, e2e_site: Site
) -> None:
    # Given the sign-in page
    page.goto("/sign-in/")

    # When someone signs in with a wrong password
    page.locator("#id_username").fill("demo-student-barskoon")
    page.locator("#id_password").fill("not-the-demo-password")
    page.locator("main form button[type=submit]").click()

    # Then the page shows an error and they stay on the sign-in page, signed out
    error = page.locator("main form .error[role=alert]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("password")
    expect(page).to_have_url(sign_in_url(e2e_site))
    expect(page.locator("#id_username")).to_have_value("demo-student-barskoon")
    expect(sign_out_button(page)).to_have_count(0)
    assert "sessionid" not in {cookie["name"] for cookie in context.cookies()}
    expect_sent_to_sign_in(page, e2e_site)


# --- page weight ----------------------------------------------------------------------------
def test_sign_in_page_fits_the_budget_on_a_cold_load(
    page: Page, context: BrowserContext, e2e_site: Site
) -> None:
    # Given a fresh browser context (empty cache) whose network is metered
    meter = NetworkMeter(context, page)

    # When the sign-in page loads
    weight = meter.measure(page, "/sign-in/", "sign-in page")
    print(f"\n{weight.report()}")

    # Then it is the sign-in page, it came compressed and it weighs at most the budget
    expect(page.locator("#id_username")).to_be_visible()
    expect_cold_and_within_budget(weight)


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_home_page_fits_the_budget_on_a_cold_load(
    page: Page, context: BrowserContext, e2e_site: Site, username: str
) -> None:
    # Given a person signed in, with the browser's cache emptied afterwards
    sign_in(page, username, password_for(e2e_site, username))
    expect(page).to_have_url(f"{e2e_site.base_url}/")
    meter = NetworkMeter(context, page)
    meter.clear_browser_cache()

    # When their home page loads
    weight = meter.measure(page, "/", f"home page of {username}")
    print(f"\n{weight.report()}")

    # Then it is their home page, it came compressed and it weighs at most the budget
    expect(page).to_have_url(f"{e2e_site.base_url}/")
    expect(page.locator("p.role")).to_have_attribute("data-role", ACCOUNTS[username])
    assert weight.redirect_bytes == 0, weight.report()
    expect_cold_and_within_budget(weight)

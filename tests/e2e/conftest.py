"""Real parts: the app runs as its own process on a free port with its own SQLite file, and
headless Debian Chromium drives it through Playwright (sync API, module-scoped)."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from tests.support.app_process import ROOT, App

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "e2e password 123"
# The sign-in page, maybe saying why the session ended (?ended=signed_out...).
SIGN_IN = re.compile(r"/login(\?ended=\w+)?$")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    app = App(tmp_path_factory.mktemp("e2e-data"))
    for email, name, role in (
        ("anna@example.com", "Anna Employee", "employee"),
        ("ben@example.com", "Ben Employee", "employee"),
        ("tom@example.com", "Tom Technician", "technician"),
        ("ada@example.com", "Ada Admin", "technician --admin"),
    ):
        role_args = role.split()
        app.helpdesk(
            "create-user", "--email", email, "--name", name, "--role", *role_args, "--password-stdin", stdin=PASSWORD
        )
    app.start()
    yield app
    app.stop()
    assert app.server_errors() == [], app.log.read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def sign_in(browser: Browser, app: App, email: str, locale: str = "en-US") -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = context.new_page()
    page.goto(app.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app.url + "/")
    return page


def box_of(locator: Locator, timeout: float = 5.0) -> dict[str, float]:
    """The element's box once it holds still: a list that reloads (a tab, a live update) replaces
    its rows, and a row read in between has no box."""
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        box = locator.bounding_box()
        if box is not None and box == previous:
            return box
        previous = box
        time.sleep(0.1)
    raise AssertionError(f"{locator} has no settled box after {timeout} s")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def report_problem(page: Page, title: str, description: str) -> str:
    """The employee's way in: the dashboard's button, the form, then the new ticket's page URL."""
    page.get_by_role("button", name="Report a problem").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    return page.url

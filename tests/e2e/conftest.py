"""Real parts: the app runs as its own process on a free port with its own SQLite file, and
headless Debian Chromium drives it through Playwright (sync API, module-scoped)."""

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from helpdesk.core import i18n
from tests.support.app_process import ROOT, App

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
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


def sign_in(browser: Browser, app: App, email: str, locale: str = "en-US", **options: Any) -> Page:
    """A new browser context (a person's browser: `options` as Playwright's new_context takes
    them) signed in through the sign-in form, in the locale's words."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, "locale": locale, **options})
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(app.url + "/login")
    sign_in_here(page, email, locale)
    try:
        page.wait_for_url(app.url + "/")
    except PlaywrightTimeoutError:
        # Seen once in CI and never here: say what the person would have seen.
        screenshot(page, f"sign-in-failed-{email.split('@')[0]}")
        notes = page.locator(".q-notification").all_inner_texts()
        seen = f"at {page.url}, notifications {notes}, console {console}"
        raise AssertionError(f"{email} not signed in: {seen}") from None
    return page


def sign_in_here(page: Page, email: str, locale: str = "en-US") -> None:
    language = locale.split("-")[0]
    page.get_by_label(i18n.gettext(language, "Email"), exact=True).fill(email)
    page.get_by_label(i18n.gettext(language, "Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=i18n.gettext(language, "Sign in"), exact=True).click()


def axe_violations(page: Page) -> list[str]:
    """What axe-core (npm, pinned) finds against WCAG 2.0/2.1 A and AA on the page as it is now,
    serious or critical only, one line per rule with up to four of its nodes. The context needs
    `bypass_csp=True`: the app's CSP lets no unknown script run, axe included."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(400)  # Quasar's fades: a half-faded element has the wrong contrast
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE)
    return page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
          return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v =>
            `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(' | ')}`);
        }""",
        WCAG,
    )


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


def send(page: Page, text: str) -> None:
    page.get_by_placeholder("Write a message…").fill(text)
    page.get_by_placeholder("Write a message…").press("Enter")


def bubbles(page: Page, text: str) -> Locator:
    return page.locator(".q-message-text-content").filter(has_text=text)


def report_problem(page: Page, title: str, description: str) -> str:
    """The employee's way in: the dashboard's button, the form, then the new ticket's page URL."""
    page.get_by_role("button", name="Report a problem").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    return page.url

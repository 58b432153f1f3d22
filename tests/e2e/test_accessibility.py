"""Every screen against WCAG 2 A/AA with axe-core, in English and French, light and dark.

The browser's colour scheme is set as a device's would be: a user who has not chosen a theme on
/profile gets the device's. The kiosk is dark whatever the device says, in its display's language.
"""

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from helpdesk.core import i18n
from tests.e2e.conftest import PASSWORD, App, axe_violations, screenshot, sign_in

LOCALES = {"en": "en-US", "fr": "fr-FR"}
COMBINATIONS = [(language, scheme) for language in LOCALES for scheme in ("light", "dark")]


@pytest.fixture(scope="module")
def ticket_id(app: App) -> int:
    """A ticket with a conversation both ways and an internal note, as both sides see it."""
    api = httpx.Client(base_url=app.api_url, timeout=30)

    def token(email: str) -> dict[str, str]:
        answer = api.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    anna, tom = token("anna@example.com"), token("tom@example.com")
    ticket = {
        "title": "The VPN drops every ten minutes",
        "description": "Since Monday, see https://intranet.example.com/vpn for the client version.",
        "priority": "high",
        "category": "network",
    }
    ticket_id = api.post("/api/v1/tickets", json=ticket, headers=anna).json()["id"]
    api.post(f"/api/v1/tickets/{ticket_id}/take", headers=tom).raise_for_status()
    for who, body, internal in (
        (tom, "Which Wi-Fi network are you on?", False),
        (anna, "The office one, on the third floor.", False),
        (tom, "Same access point as last week's complaint.", True),
    ):
        answer = api.post(
            f"/api/v1/tickets/{ticket_id}/messages", json={"body": body, "internal": internal}, headers=who
        )
        answer.raise_for_status()
    return ticket_id


def _page(browser: Browser, language: str, scheme: str) -> Page:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale=LOCALES[language], color_scheme=scheme, bypass_csp=True
    )
    return context.new_page()


class Findings:
    """Each screen's serious and critical violations, and a screenshot of it."""

    def __init__(self, language: str, scheme: str) -> None:
        self.suffix = f"{language}-{scheme}"
        self.scheme = scheme
        self.found: dict[str, list[str]] = {}

    def check(self, page: Page, screen: str) -> None:
        dark = page.evaluate("document.body.classList.contains('body--dark')")
        assert dark == (self.scheme == "dark" or screen == "kiosk"), (
            f"{screen}: dark={dark} with a {self.scheme} device"
        )
        assert page.evaluate("document.documentElement.lang")  # the page says its language
        self.found[screen] = axe_violations(page)
        screenshot(page, f"axe-{screen}-{self.suffix}")

    def assert_clean(self) -> None:
        failures = {screen: found for screen, found in self.found.items() if found}
        assert not failures, "\n".join(f"{screen}:\n  " + "\n  ".join(found) for screen, found in failures.items())


@pytest.mark.parametrize(("language", "scheme"), COMBINATIONS)
def test_every_screen_passes_axe(app: App, browser: Browser, ticket_id: int, language: str, scheme: str) -> None:
    findings = Findings(language, scheme)
    t: Callable[[str], str] = lambda text: i18n.gettext(language, text)  # noqa: E731
    visitor = _page(browser, language, scheme)
    visitor.goto(app.url + "/login")
    findings.check(visitor, "sign-in")
    visitor.goto(app.url + "/no-such-page")
    findings.check(visitor, "404")
    visitor.context.close()

    employee = sign_in(browser, app, "anna@example.com", LOCALES[language], color_scheme=scheme, bypass_csp=True)
    findings.check(employee, "employee-list")
    for screen, path in (
        ("new-ticket", "/tickets/new"),
        ("ticket-employee", f"/tickets/{ticket_id}"),
        ("profile", "/profile"),
    ):
        employee.goto(app.url + path)
        findings.check(employee, screen)
    employee.context.close()

    admin = sign_in(browser, app, "ada@example.com", LOCALES[language], color_scheme=scheme, bypass_csp=True)
    admin.goto(app.url + "/?view=open")
    expect(admin.locator("tbody tr").first).to_be_visible()
    findings.check(admin, "queue")
    for screen, path in (
        ("ticket-technician", f"/tickets/{ticket_id}"),
        ("admin-users", "/admin/users"),
        ("admin-email", "/admin/email"),
        ("admin-displays", "/admin/displays"),  # last: the display made below is made there
    ):
        admin.goto(app.url + path)
        findings.check(admin, screen)
    admin.get_by_role("button", name=t("New display")).click()
    admin.get_by_label(t("Name"), exact=True).fill(f"TV {language} {scheme}")
    admin.get_by_role("button", name=t("Create")).click()
    link = admin.get_by_label(t("Pairing link"), exact=True).input_value()
    admin.context.close()

    tv = _page(browser, language, scheme)
    tv.set_viewport_size({"width": 1920, "height": 1080})
    tv.goto(link)
    expect(tv.locator(".kiosk")).to_be_visible()
    findings.check(tv, "kiosk")
    tv.context.close()
    findings.assert_clean()


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """An install nobody has set up yet: /setup is its only page."""
    with App(tmp_path_factory.mktemp("e2e-empty")) as app:
        yield app


@pytest.mark.parametrize(("language", "scheme"), COMBINATIONS)
def test_set_up_passes_axe(empty_app: App, browser: Browser, language: str, scheme: str) -> None:
    findings = Findings(language, scheme)
    page = _page(browser, language, scheme)
    link = re.search(r"/setup\?token=\S+", empty_app.log.read_text())
    assert link, "the set-up link is printed on the console"
    page.goto(empty_app.url + link.group())
    expect(page.get_by_label(i18n.gettext(language, "Name"), exact=True)).to_be_visible()
    findings.check(page, "set-up")
    page.context.close()
    findings.assert_clean()


def test_a_chosen_theme_overrides_the_device(app: App, browser: Browser) -> None:
    page = sign_in(browser, app, "ben@example.com", color_scheme="light")
    page.goto(app.url + "/profile")
    page.get_by_label("Appearance").click()
    page.get_by_role("option", name="Dark").click()
    expect(page.locator("body")).to_have_class(re.compile("body--dark"))
    page.goto(app.url + "/")  # every page, not only the one where it was chosen
    expect(page.locator("body")).to_have_class(re.compile("body--dark"))
    screenshot(page, "dark-employee-list")
    # On a phone, by keyboard: back to light.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(app.url + "/profile")
    appearance = page.get_by_label("Appearance")
    appearance.focus()
    page.keyboard.press("Enter")
    light = page.get_by_role("option", name="Light")
    expect(light).to_be_visible()
    for _ in range(3):  # the arrow keys move the highlight; Enter takes the highlighted option
        page.keyboard.press("ArrowDown")
        if "q-manual-focusable--focused" in (light.get_attribute("class") or ""):
            break
    page.keyboard.press("Enter")
    expect(page.locator("body")).not_to_have_class(re.compile("body--dark"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()

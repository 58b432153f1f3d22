"""An employee and a technician in two real browsers: every change shows up on the other
side without a reload; another employee is refused the ticket."""

import re
import time

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PASSWORD, SIGN_IN, App, screenshot, sign_in


def mark_no_reload(page: Page) -> None:
    page.evaluate("window.__still_the_same_page = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__still_the_same_page === true"), "the page was reloaded"


def test_ticket_lifecycle_is_live_on_both_sides(app: App, browser: Browser) -> None:
    employee = sign_in(browser, app, "anna@example.com")
    technician = sign_in(browser, app, "tom@example.com")
    expect(technician.get_by_text("Ticket queue").first).to_be_visible()
    expect(technician.get_by_text("No tickets here.")).to_be_visible()
    mark_no_reload(technician)

    # The employee reports a problem; a bad submission first gets a clear message.
    employee.get_by_role("button", name="Report a problem").click()
    employee.get_by_label("Title").fill("Printer on floor 2 jams")
    employee.get_by_role("button", name="Create ticket").click()
    expect(employee.get_by_text("Describe the problem.")).to_be_visible()
    employee.get_by_label("Description").fill("Every print job jams after the first page.")
    screenshot(employee, "new-ticket")
    created_at = time.monotonic()
    employee.get_by_role("button", name="Create ticket").click()
    employee.wait_for_url(re.compile(r"/tickets/\d+$"))
    ticket_url = employee.url

    # The technician's queue shows it without a reload.
    row = technician.get_by_role("row").filter(has_text="Printer on floor 2 jams")
    expect(row).to_be_visible(timeout=3000)
    appeared = time.monotonic() - created_at
    print(f"\nnew ticket reached the technician's queue {appeared * 1000:.0f} ms after the click")
    assert_not_reloaded(technician)
    screenshot(technician, "technician-queue")

    mark_no_reload(employee)
    status = employee.locator(".badge").first
    expect(status).to_have_text("Open")

    row.click()
    technician.wait_for_url(ticket_url)
    technician.get_by_role("button", name="Take").click()
    expect(employee.get_by_text("Tom Technician took the ticket")).to_be_visible(timeout=3000)
    technician.get_by_role("button", name="Start work").click()
    expect(status).to_have_text("In progress", timeout=3000)
    screenshot(technician, "technician-ticket")
    technician.get_by_role("button", name="Resolve").click()
    expect(status).to_have_text("Resolved", timeout=3000)
    expect(employee.get_by_text("changed the status from In progress to Resolved")).to_be_visible()
    assert_not_reloaded(employee)
    screenshot(employee, "employee-ticket")

    employee.goto(app.url + "/")
    expect(employee.get_by_role("row").filter(has_text="Printer on floor 2 jams")).to_contain_text("Resolved")
    screenshot(employee, "employee-dashboard")

    # Another employee opening that URL is refused, as if it did not exist.
    other = sign_in(browser, app, "ben@example.com")
    other.goto(ticket_url)
    expect(other.get_by_text("This ticket does not exist.")).to_be_visible()
    expect(other.get_by_text("Printer on floor 2 jams")).to_have_count(0)


def test_login_refuses_bad_credentials_with_a_message(app: App, browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(app.url + "/login")
    screenshot(page, "login")
    page.get_by_label("E-mail").fill("anna@example.com")
    page.get_by_label("Mot de passe").fill("wrong password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("E-mail ou mot de passe incorrect.")).to_be_visible()
    # The session cookie is out of reach of page scripts.
    page.get_by_label("Mot de passe").fill("e2e password 123")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(app.url + "/")
    assert "helpdesk_session" not in page.evaluate("document.cookie")
    cookie = next(c for c in context.cookies() if c["name"] == "helpdesk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    context.close()


def test_admin_creates_an_account_that_can_sign_in(app: App, browser: Browser) -> None:
    admin = sign_in(browser, app, "ada@example.com")
    admin.get_by_role("link", name="Users").click()
    admin.wait_for_url(app.url + "/admin/users")
    admin.get_by_role("button", name="New user").click()
    dialog = admin.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Zoé Nouvelle")
    dialog.get_by_label("Email").fill("zoe@example.com")
    dialog.get_by_label("Password").fill("zoe password 1")
    dialog.get_by_role("button", name="Create").click()
    expect(admin.get_by_text("Account created for zoe@example.com.")).to_be_visible()
    expect(admin.get_by_role("row").filter(has_text="zoe@example.com")).to_be_visible()
    admin.wait_for_timeout(300)
    screenshot(admin, "admin-users")
    context = browser.new_context()
    page = context.new_page()
    page.goto(app.url + "/login")
    page.get_by_label("Email").fill("zoe@example.com")
    page.get_by_label("Password").fill("zoe password 1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("My tickets").first).to_be_visible()
    context.close()


def test_sign_out_link_ends_the_session(app: App, browser: Browser) -> None:
    page = sign_in(browser, app, "ben@example.com")
    cookie = next(c for c in page.context.cookies() if c["name"] == "helpdesk_session")["value"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(SIGN_IN)
    # The old token is refused by the server, not merely forgotten by the browser.
    page.context.add_cookies([{"name": "helpdesk_session", "value": cookie, "url": app.url}])
    page.goto(app.url + "/")
    page.wait_for_url(SIGN_IN)


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_ticket_of_a_long_list_is_reachable_with_the_paging_controls(
    app: App, browser: Browser, size: str
) -> None:
    api = httpx.Client(base_url=app.api_url, timeout=30)
    ben = api.post("/api/v1/auth/token", json={"email": "ben@example.com", "password": PASSWORD}).json()
    for i in range(60):
        api.post(
            "/api/v1/tickets",
            json={"title": f"Paging {size} {i}", "description": "d", "priority": "low", "category": "other"},
            headers={"Authorization": f"Bearer {ben['access_token']}"},
        ).raise_for_status()
    page = sign_in(browser, app, "ben@example.com")  # his own list: 60 tickets and more
    page.set_viewport_size(VIEWPORTS[size])
    table = page.locator(".q-table__container")
    expect(table.locator(".q-table__bottom")).to_be_visible()
    links = table.locator("a.ticket-link")  # rows on a desktop, cards on a phone: a link each
    expect(links).to_have_count(25)
    seen: set[str] = set()
    next_page = table.locator(".q-table__bottom button", has_text="chevron_right")  # its icon's name
    for shown in ("26-", "51-"):
        seen |= set(links.all_inner_texts())
        next_page.scroll_into_view_if_needed()
        next_page.click()  # the next-page control
        page.wait_for_function(f"document.querySelector('.q-table__bottom').innerText.includes('{shown}')")
    seen |= set(links.all_inner_texts())
    # The oldest of the 60 is on the third page, reached only through the control.
    assert {f"Paging {size} {i}" for i in range(60)} <= seen
    page.get_by_role("link", name=f"Paging {size} 0", exact=True).click()
    expect(page.get_by_role("heading", name=f"Paging {size} 0")).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_sign_out_by_keyboard(app: App, browser: Browser, size: str) -> None:
    page = sign_in(browser, app, "anna@example.com")
    page.set_viewport_size(VIEWPORTS[size])
    for _ in range(20):  # Tab through the header until the sign-out button has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == "Sign out":
            break
    expect(page.get_by_role("button", name="Sign out")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)  # the form's answer and the server's own redirect both lead to sign-in
    expect(page).to_have_url(SIGN_IN)
    assert not any(c["name"] == "helpdesk_session" for c in page.context.cookies())
    page.context.close()

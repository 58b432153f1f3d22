"""The screens people live in, used as people use them: by keyboard, and on a phone."""

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PASSWORD, App, screenshot, sign_in

PHONE = {"width": 390, "height": 844}
LONG_TITLE = "The second-floor printer prints every page twice and then jams on the third copy"


def create(app: App, email: str, title: str, priority: str = "normal") -> int:
    api = httpx.Client(base_url=app.api_url, timeout=30)
    token = api.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
    answer = api.post(
        "/api/v1/tickets",
        json={"title": title, "description": "Seen this morning.", "priority": priority, "category": "hardware"},
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    return answer.json()["id"]


def test_tab_then_enter_opens_a_ticket_and_sorting_works_by_keyboard(app: App, browser: Browser) -> None:
    ticket_id = create(app, "anna@example.com", "Keyboard only: the dock does not charge")
    page = sign_in(browser, app, "tom@example.com")
    page.get_by_role("tab", name=re.compile("All")).first.click()
    link = page.get_by_role("link", name="Keyboard only: the dock does not charge")
    expect(link).to_be_visible()
    # A sort header is a button in the tab order.
    title_sort = page.get_by_role("button", name="Title", exact=True)
    title_sort.focus()
    page.keyboard.press("Enter")
    expect(page.locator("th[aria-sort]").filter(has=title_sort)).to_have_attribute("aria-sort", re.compile("ending"))
    # Tab reaches the ticket's link; Enter opens it.
    page.locator("body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Keyboard only: the dock does not charge":
            break
    expect(link).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus ring
    assert link.get_attribute("href") == f"/tickets/{ticket_id}"  # a real link: a middle click opens a tab
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/tickets/{ticket_id}")
    page.context.close()


def test_on_a_phone_lists_are_cards_and_the_status_is_on_screen(app: App, browser: Browser) -> None:
    create(app, "anna@example.com", LONG_TITLE, "urgent")
    for email in ("anna@example.com", "tom@example.com"):
        page = sign_in(browser, app, email)
        page.set_viewport_size(PHONE)
        if email == "tom@example.com":
            page.get_by_role("tab", name=re.compile("All")).first.click()
        card = page.locator("tbody tr").filter(has=page.get_by_role("link", name=LONG_TITLE))
        expect(card).to_be_visible()
        status = card.locator(".badge").filter(has_text="Open")
        expect(status).to_be_visible()
        box = status.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
        screenshot(page, f"phone-list-{email.split('@')[0]}")
        page.context.close()

"""The screens people live in, used as people use them: by keyboard, and on a phone."""

import re

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import PASSWORD, App, box_of, screenshot, sign_in

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
            page.wait_for_url(re.compile(r"view=open"))
        card = page.locator("tbody tr").filter(has=page.get_by_role("link", name=LONG_TITLE))
        expect(card).to_be_visible()
        status = card.locator(".badge").filter(has_text="Open")
        expect(status).to_be_visible()
        box = box_of(status)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
        screenshot(page, f"phone-list-{email.split('@')[0]}")
        page.context.close()


def test_filters_live_in_the_address_survive_reload_and_back_and_save_as_a_view(app: App, browser: Browser) -> None:
    urgent = create(app, "anna@example.com", "Filters: the badge reader is dead", "urgent")
    create(app, "ben@example.com", "Filters: a new mouse, please", "low")
    page = sign_in(browser, app, "tom@example.com")
    page.get_by_role("tab", name="All", exact=True).click()
    page.wait_for_url(re.compile(r"view=all"))
    page.get_by_role("button", name="Filter by Priority").click()
    page.get_by_role("menuitem", name="Urgent").click()
    page.wait_for_url(re.compile(r"view=all&priority=urgent"))
    chip = page.locator(".filter-chip").filter(has_text="Priority: Urgent")
    expect(chip).to_be_visible()
    expect(page.get_by_role("link", name="Filters: the badge reader is dead")).to_be_visible()
    expect(page.get_by_role("link", name="Filters: a new mouse, please")).to_have_count(0)
    page.reload()  # the address restores the view and the filter
    expect(page.locator(".filter-chip").filter(has_text="Priority: Urgent")).to_be_visible()
    expect(page.get_by_role("link", name="Filters: a new mouse, please")).to_have_count(0)
    expect(page.get_by_role("tab", name="All", exact=True)).to_have_attribute("aria-selected", "true")
    page.go_back()  # one step back: the view without the filter
    page.wait_for_url(re.compile(r"/\?view=all$"))
    expect(page.get_by_role("link", name="Filters: a new mouse, please")).to_be_visible()
    expect(page.locator(".filter-chip")).to_have_count(0)
    page.go_forward()
    expect(page.locator(".filter-chip").filter(has_text="Priority: Urgent")).to_be_visible()
    # Saved as a named view of Tom's own, then opened from the Views menu on a fresh queue.
    page.get_by_role("button", name="Views").click()
    page.get_by_role("menuitem", name=re.compile("Save these filters")).click()
    page.get_by_label("Name").fill("Urgent everywhere")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("View “Urgent everywhere” saved.")).to_be_visible()
    screenshot(page, "queue-filters")
    page.goto(app.url + "/")
    expect(page.locator(".filter-chip")).to_have_count(0)
    page.get_by_role("button", name="Views").click()
    page.get_by_text("Urgent everywhere").click()
    page.wait_for_url(re.compile(r"priority=urgent"))
    expect(page.get_by_role("link", name="Filters: the badge reader is dead")).to_be_visible()
    # Removing the chip by keyboard clears the filter.
    page.locator(".filter-chip .q-chip__icon--remove").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".filter-chip")).to_have_count(0)
    expect(page.get_by_role("link", name="Filters: a new mouse, please")).to_be_visible()
    assert f"/tickets/{urgent}" in page.get_by_role("link", name="Filters: the badge reader is dead").get_attribute(
        "href"
    )
    page.context.close()


def test_search_covers_people_and_messages_and_a_number_jumps_to_its_ticket(app: App, browser: Browser) -> None:
    ticket_id = create(app, "ben@example.com", "Search: the projector flickers")
    page = sign_in(browser, app, "tom@example.com")
    search = page.get_by_label("Search the queue")
    search.fill("ben@example")  # the requester's email: found from any tab
    expect(page.get_by_role("link", name="Search: the projector flickers")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("badge reader"))).to_have_count(0)
    search.fill(f"#{ticket_id}")
    search.press("Enter")
    page.wait_for_url(f"**/tickets/{ticket_id}")
    page.context.close()


def test_shortcuts_and_bulk_actions_by_keyboard(app: App, browser: Browser) -> None:
    first = create(app, "anna@example.com", "Bulk: the dock is loose")
    second = create(app, "anna@example.com", "Bulk: the webcam is upside down")
    page = sign_in(browser, app, "tom@example.com")
    page.locator("body").press("?")
    shortcuts = page.get_by_role("dialog")
    expect(shortcuts.get_by_text("Search the queue")).to_be_visible()
    page.keyboard.press("Escape")
    expect(shortcuts).to_have_count(0)
    page.locator("body").press("/")
    expect(page.get_by_label("Search the queue")).to_be_focused()
    page.keyboard.type("Bulk:")
    expect(page.locator("tbody tr")).to_have_count(2)
    for title in ("Bulk: the dock is loose", "Bulk: the webcam is upside down"):
        row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=title))
        row.get_by_role("checkbox").click()
    expect(page.get_by_text("Selected: 2")).to_be_visible()
    page.get_by_role("button", name="Take").click()
    expect(page.get_by_text("Tickets changed: 2.")).to_be_visible()
    expect(page.locator("[data-testid=bulk], .bulk-bar").first).to_be_hidden()
    page.get_by_role("tab", name=re.compile("Mine")).first.click()
    expect(page.get_by_role("link", name="Bulk: the dock is loose")).to_be_visible()
    expect(page.get_by_role("link", name="Bulk: the webcam is upside down")).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")  # the first ticket's link takes the focus; Enter opens it
    expect(page.locator("a.ticket-link").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/tickets/({first}|{second})$"))
    page.locator("body").press("g")
    page.keyboard.press("q")
    page.wait_for_url(app.url + "/")
    page.context.close()


def test_on_a_phone_the_filters_work_by_keyboard_and_rows_stay_readable(app: App, browser: Browser) -> None:
    create(app, "ben@example.com", "Phone filters: the tablet will not charge", "high")
    page = sign_in(browser, app, "tom@example.com")
    page.set_viewport_size(PHONE)
    page.get_by_role("tab", name="All", exact=True).click()
    page.get_by_role("button", name="Filter by Priority").focus()
    page.keyboard.press("Enter")
    page.get_by_role("menuitem", name="High").click()
    page.wait_for_url(re.compile(r"priority=high"))
    chip = page.locator(".filter-chip").filter(has_text="Priority: High")
    expect(chip).to_be_visible()
    row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=re.compile("Phone filters")))
    checkbox, number = box_of(row.locator(".cell-select .q-checkbox")), box_of(row.locator(".cell-id"))
    assert checkbox and number and checkbox["x"] + checkbox["width"] <= number["x"]  # side by side, not on top
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-queue-filters")
    page.context.close()


def test_on_a_phone_the_technicians_actions_are_at_the_top_of_the_ticket(app: App, browser: Browser) -> None:
    ticket_id = create(app, "anna@example.com", "Phone actions: the scanner is offline", "high")
    page = sign_in(browser, app, "tom@example.com")
    page.set_viewport_size(PHONE)
    page.goto(f"{app.url}/tickets/{ticket_id}")
    take = page.get_by_role("button", name="Take")
    expect(take).to_be_visible()
    box = box_of(take)
    assert box["y"] + box["height"] <= PHONE["height"]  # on the first screen, no scrolling
    take.click()
    expect(page.locator(".badge").filter(has_text="Open").first).to_be_visible()
    start = page.get_by_role("button", name="Start work")
    box = box_of(start)
    assert box["y"] + box["height"] <= PHONE["height"]
    start.click()
    expect(page.locator(".badge").filter(has_text="In progress").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-ticket-technician")
    page.context.close()

"""The wall display in a real browser: pairing, live board, privacy, a server restart, revocation."""

import re
import time

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PASSWORD, App, screenshot, sign_in


def api_token(app: App, email: str) -> str:
    response = httpx.post(app.api_url + "/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return response.json()["access_token"]


def create_ticket(app: App, token: str, title: str, priority: str = "normal") -> dict:
    response = httpx.post(
        app.api_url + "/api/v1/tickets",
        json={"title": title, "description": "Reported through the API.", "priority": priority, "category": "other"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return response.json()


def counter(tv: Page, kind: str) -> str:
    return tv.locator(f'[data-counter="{kind}"] b').inner_text()


def no_scrolling(tv: Page) -> bool:
    tv.wait_for_timeout(300)  # one layout after a resize
    size = tv.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    viewport = tv.viewport_size
    assert viewport is not None
    assert size == [viewport["width"], viewport["height"]], size
    return True


def test_pair_watch_live_privacy_restart_and_revoke(app: App, browser: Browser) -> None:
    anna = api_token(app, "anna@example.com")
    for n, priority in enumerate(("urgent", "high", "normal", "low", "high", "normal")):
        create_ticket(app, anna, f"Existing problem {n + 1}", priority)

    # An administrator creates the display and gets its one-time link.
    admin = sign_in(browser, app, "ada@example.com")
    admin.goto(app.url + "/admin/displays")
    admin.get_by_role("button", name="New display").click()
    admin.get_by_label("Name").fill("IT office TV")
    admin.get_by_role("button", name="Create").click()
    link = admin.get_by_label("Pairing link", exact=True).input_value()
    assert re.search(r"/kiosk/pair\?code=[\w-]{40,}$", link)
    admin.wait_for_timeout(500)  # the dialog's opening animation
    screenshot(admin, "admin-displays")

    # The TV opens it and lands on the board; the link does not work twice.
    tv_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    tv = tv_context.new_page()
    tv.goto(link)
    tv.wait_for_url(app.url + "/kiosk")
    expect(tv.locator('[data-counter="open"] b')).to_have_text("6")
    other = browser.new_context().new_page()
    other.goto(link)
    expect(other.get_by_text("This pairing link was already used or has expired")).to_be_visible()
    other.context.close()

    # A new ticket reaches the board within a second, without a reload.
    tv.evaluate("window.__same_page = true")
    started = time.monotonic()
    create_ticket(app, anna, "Server room is too hot", "urgent")
    expect(tv.locator(".row").filter(has_text="Server room is too hot")).to_be_visible(timeout=1000)
    print(f"\nnew ticket on the board {1000 * (time.monotonic() - started):.0f} ms after the API call")
    assert counter(tv, "open") == "7" and counter(tv, "unassigned") == "7"
    assert tv.evaluate("window.__same_page === true")

    # A network blip: a change broadcast while the socket was down is caught up on reconnect.
    tv.evaluate("window.socket.disconnect()")
    create_ticket(app, anna, "Sent during the blip")
    time.sleep(1.0)  # the board's refresh went out while this display was away
    expect(tv.locator(".row").filter(has_text="Sent during the blip")).to_have_count(0)
    tv.evaluate("window.socket.connect()")
    expect(tv.locator(".row").filter(has_text="Sent during the blip")).to_be_visible(timeout=2000)
    assert tv.evaluate("window.__same_page === true")  # caught up without a reload

    # Privacy mode (the default) shows no requester names; ages tick in the browser.
    assert "Anna Employee" not in tv.locator(".kiosk").inner_text()
    age = tv.locator(".row .age").first
    first = age.inner_text()
    expect(age).not_to_have_text(first, timeout=3000)
    assert no_scrolling(tv)
    screenshot(tv, "kiosk-1920x1080")

    # The same board fits a 720p screen.
    tv.set_viewport_size({"width": 1280, "height": 720})
    assert no_scrolling(tv)
    screenshot(tv, "kiosk-1280x720")
    tv.set_viewport_size({"width": 1920, "height": 1080})

    # Turning privacy off (an admin's edit) reloads the board with names.
    admin.get_by_role("button", name="Close").click()
    admin.locator("button[title=Edit]").first.click()
    admin.get_by_text("Privacy mode: hide requester names and descriptions").click()
    admin.get_by_role("button", name="Save").click()
    expect(tv.locator(".kiosk")).to_contain_text("Anna Employee", timeout=5000)

    # A server restart: the board says it is reconnecting, then recovers by itself.
    app.stop()
    expect(tv.locator("#popup")).to_be_visible(timeout=10000)
    expect(tv.locator("#popup")).to_have_attribute("data-text", "Reconnecting…")
    screenshot(tv, "kiosk-reconnecting")
    app.start()
    expect(tv.locator('[data-counter="open"] b')).to_have_text("8", timeout=30000)
    assert tv.url == app.url + "/kiosk"
    expect(tv.locator("#popup")).to_be_hidden()
    create_ticket(app, anna, "After the restart")
    expect(tv.locator(".row").filter(has_text="After the restart")).to_be_visible(timeout=2000)

    # Revoking: the board leaves within seconds and its cookie opens nothing any more.
    admin.goto(app.url + "/admin/displays")
    admin.locator("button[title=Revoke]").first.click()
    started = time.monotonic()
    admin.get_by_role("button", name="Revoke").last.click()
    expect(tv.get_by_text("This screen is not paired")).to_be_visible(timeout=5000)
    print(f"revoked board left {1000 * (time.monotonic() - started):.0f} ms after the click")
    tv.goto(app.url + "/kiosk")
    expect(tv.get_by_text("This screen is not paired")).to_be_visible()
    tv_context.close()

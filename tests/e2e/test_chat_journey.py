"""Live chat between an employee and a technician in two real browsers."""

import base64
import io
import re

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import App, bubbles, report_problem, screenshot, send, sign_in


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def open_ticket(browser: Browser, app: App, email: str, url: str) -> Page:
    page = sign_in(browser, app, email)
    page.goto(url)
    expect(page.get_by_text("Conversation")).to_be_visible()
    return page


def test_chat_both_ways_with_presence_typing_seen_notes_files_and_catch_up(app: App, browser: Browser) -> None:
    employee = sign_in(browser, app, "anna@example.com")
    url = report_problem(
        employee, "Outlook asks for my password again and again", "Since this morning, every five minutes."
    )
    technician = open_ticket(browser, app, "tom@example.com", url)

    # Presence, both ways.
    expect(employee.get_by_text("Also here: Tom Technician")).to_be_visible(timeout=3000)
    expect(technician.get_by_text("Also here: Anna Employee")).to_be_visible()

    # Typing shows on the other side.
    employee.get_by_placeholder("Write a message…").press_sequentially("Hel")
    expect(technician.get_by_text("Anna Employee is typing…")).to_be_visible(timeout=3000)

    # Messages both ways, live; "seen" on the sender's side once the other has them on screen.
    send(employee, "Hello, it started after the update")
    expect(bubbles(technician, "Hello, it started after the update")).to_have_count(1, timeout=3000)
    send(technician, "Thanks, looking at it now")
    expect(bubbles(employee, "Thanks, looking at it now")).to_have_count(1, timeout=3000)
    expect(employee.locator(".q-message-stamp").filter(has_text="Seen").first).to_be_visible(timeout=5000)
    expect(technician.locator(".q-message-stamp").filter(has_text="Seen").first).to_be_visible(timeout=5000)

    # An internal note never reaches the employee.
    technician.get_by_text("Internal note (technicians only)").click()
    send(technician, "Her mailbox is on the old server")
    expect(bubbles(technician, "Her mailbox is on the old server")).to_have_count(1)
    technician.get_by_text("Internal note (technicians only)").click()
    send(technician, "Could you restart Outlook?")
    expect(bubbles(employee, "Could you restart Outlook?")).to_have_count(1, timeout=3000)
    assert "old server" not in employee.content()

    # XSS payloads arrive as text and run nothing.
    payloads = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>"]
    for payload in payloads:
        send(employee, payload)
        expect(bubbles(employee, payload)).to_have_count(1, timeout=3000)
    for payload in payloads:
        expect(bubbles(technician, payload)).to_have_count(1, timeout=3000)
    assert technician.evaluate("window.__xss") is None and employee.evaluate("window.__xss") is None

    # A link is clickable, and only as a link.
    send(employee, "The guide: https://intranet.example.com/outlook?step=2")
    link = technician.locator(".q-message-text-content a[href='https://intranet.example.com/outlook?step=2']")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow", timeout=3000)

    # A screenshot pasted from the clipboard goes up as an attachment, shown as a thumbnail.
    encoded = base64.b64encode(png_bytes()).decode()
    employee.evaluate(
        """async (encoded) => {
            const blob = new Blob([Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0))]);
            const transfer = new DataTransfer();
            transfer.items.add(new File([blob], 'screenshot.png', {type: 'image/png'}));
            document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: transfer}));
        }""",
        encoded,
    )
    thumbnail = technician.locator("a[href^='/attachments/'] img")
    expect(thumbnail).to_have_count(1, timeout=5000)
    href = technician.locator("a[href^='/attachments/']").first.get_attribute("href")
    full = technician.request.get(app.url + href)
    assert full.status == 200 and full.headers["content-type"] == "image/png" and full.body() == png_bytes()
    # A log file picked with the attach button; a file of the wrong kind is refused with a message.
    employee.locator("input.chat-file").set_input_files(
        files=[{"name": "outlook.log", "mimeType": "text/plain", "buffer": b"10:42 auth failed\n"}]
    )
    expect(technician.get_by_text("outlook.log")).to_be_visible(timeout=5000)
    employee.locator("input.chat-file").set_input_files(
        files=[{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" + b"\x00" * 64}]
    )
    expect(employee.get_by_text("Only images, PDF and text or log files can be attached.")).to_be_visible(timeout=5000)
    screenshot(technician, "chat-technician")
    screenshot(employee, "chat-employee")
    outsider = sign_in(browser, app, "ben@example.com")
    assert outsider.request.get(app.url + href).status == 404
    assert outsider.request.get(app.url + href + "/thumb").status == 404

    # A dropped connection catches up from the database: nothing missing, nothing doubled.
    technician.evaluate("window.socket.io.engine.close()")
    send(employee, "Sent while you were offline")
    expect(bubbles(technician, "Sent while you were offline")).to_have_count(1, timeout=8000)
    technician.wait_for_timeout(500)
    expect(bubbles(technician, "Sent while you were offline")).to_have_count(1)

    # And so does a reload.
    technician.reload()
    for text in (
        "Hello, it started after the update",
        "Her mailbox is on the old server",
        "Sent while you were offline",
    ):
        expect(bubbles(technician, text)).to_have_count(1, timeout=5000)


def test_a_message_elsewhere_raises_a_toast_and_the_tab_count(app: App, browser: Browser) -> None:
    employee = sign_in(browser, app, "anna@example.com")
    url = report_problem(employee, "Teams camera is black", "In every call.")
    ticket_number = url.rsplit("/", 1)[1]
    employee.goto(app.url + "/")
    technician = open_ticket(browser, app, "tom@example.com", url)
    send(technician, "Which camera model is it?")
    toast = employee.locator(".q-notification").filter(has_text="Tom Technician: Which camera model is it?")
    expect(toast).to_be_visible(timeout=3000)
    link = toast.get_by_role("link", name=f"#{ticket_number} Teams camera is black")
    expect(link).to_be_visible()
    expect(employee).to_have_title(re.compile(r"^\(1\) "))
    # The toast stays clear of the header: Sign out can be clicked while it shows.
    toast_box = toast.bounding_box()
    header_box = employee.locator("header").bounding_box()
    assert toast_box and header_box and toast_box["y"] > header_box["y"] + header_box["height"]
    assert employee.get_by_role("button", name="Sign out").is_visible()
    row = employee.get_by_role("row").filter(has_text="Teams camera is black")
    expect(row.locator(".badge").filter(has_text="1")).to_be_visible()
    link.click()
    employee.wait_for_url(url)

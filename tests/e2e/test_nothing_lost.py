"""Nothing a user typed is lost: drafts across a reload and a restart, a message sent during an
outage, and a full disk (a small tmpfs data dir), in real Chromium against the real app."""

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import PASSWORD, SIGN_IN, report_problem, screenshot, sign_in
from tests.support.app_process import App

BOX = "Write a message…"


def make_app(data_dir: Path) -> App:
    app = App(data_dir)
    app.env["HELPDESK_REMOTE_ENABLED"] = "false"
    for email, name, role in (
        ("anna@example.com", "Anna Employee", "employee"),
        ("tom@example.com", "Tom", "technician"),
    ):
        app.helpdesk(
            "create-user", "--email", email, "--name", name, "--role", role, "--password-stdin", stdin=PASSWORD
        )
    return app


def token(app: App, email: str) -> dict[str, str]:
    answer = httpx.post(app.api_url + "/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def messages(app: App, headers: dict[str, str], ticket_url: str) -> list[str]:
    ticket_id = ticket_url.rsplit("/", 1)[1]
    return [m["body"] for m in httpx.get(f"{app.api_url}/api/v1/tickets/{ticket_id}/messages", headers=headers).json()]


def box(page: Page):
    return page.get_by_placeholder(BOX)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    app = make_app(tmp_path / "app-data")
    app.start()
    yield app
    app.stop()
    assert app.server_errors() == [], app.log.read_text()


def test_drafts_survive_a_reload_and_a_restart_and_an_outage_keeps_the_message(app: App, browser: Browser) -> None:
    page = sign_in(browser, app, "anna@example.com")
    page.get_by_role("button", name="Report a problem").click()
    page.get_by_label("Title").fill("Scanner offline")
    page.get_by_label("Description").fill("The scanner on floor 3 shows offline since Monday.")
    page.reload()
    expect(page.get_by_label("Title")).to_have_value("Scanner offline", timeout=5000)
    expect(page.get_by_label("Description")).to_have_value("The scanner on floor 3 shows offline since Monday.")
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(re.compile(r"/tickets/\d+$"))
    url = page.url

    # Typed, not sent: back after a reload, and after the server restarts.
    box(page).fill("It also beeps three times")
    page.reload()
    expect(box(page)).to_have_value("It also beeps three times", timeout=5000)
    app.stop()
    app.start()
    page.goto(url)
    expect(box(page)).to_have_value("It also beeps three times", timeout=10000)

    # Sent while the server is unreachable: nothing leaves, the text stays, marked as not sent.
    app.stop()
    page.wait_for_timeout(500)
    box(page).press("Enter")
    expect(page.get_by_text("Not sent: the server could not be reached")).to_be_visible(timeout=3000)
    expect(box(page)).to_have_value("It also beeps three times")
    screenshot(page, "chat-not-sent")
    with page.expect_navigation(timeout=30000):  # the page reloads once the server is back
        app.start()
    expect(box(page)).to_have_value("It also beeps three times", timeout=15000)  # the draft, back
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".q-message-text-content").filter(has_text="It also beeps three times")).to_have_count(
        1, timeout=5000
    )
    expect(box(page)).to_have_value("")
    page.reload()
    expect(page.locator(".q-message-text-content").filter(has_text="three times")).to_have_count(1, timeout=5000)
    expect(box(page)).to_have_value("")  # the sent text is no draft any more
    assert messages(app, token(app, "anna@example.com"), url) == ["It also beeps three times"]  # stored once

    # Signing out leaves no draft behind in this browser.
    box(page).fill("private words")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(SIGN_IN)
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('helpdesk-draft:'))") == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs for the data dir, so the test can fill it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (as on CI)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Every last byte of the disk, so that the next write of any size fails."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as file:
        for size in (1 << 16, 1 << 12, 1 << 8, 1):
            try:
                while True:
                    file.write(b"\0" * size)
            except OSError:
                continue
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_a_full_disk_gives_clear_answers_keeps_the_input_and_recovers_without_a_restart(
    small_disk: Path, browser: Browser
) -> None:
    app = make_app(small_disk / "data")
    with app:
        page = sign_in(browser, app, "anna@example.com")
        url = report_problem(page, "Laptop fan", "Loud since the update.")
        headers = token(app, "anna@example.com")
        connection = sqlite3.connect(small_disk / "data" / "helpdesk.db")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # first: the next write must grow the log
        connection.close()
        filler = fill(small_disk)

        # The API: a JSON 503 that says so.
        answer = httpx.post(
            app.api_url + "/api/v1/tickets", headers=headers, json={"title": "Mouse", "description": "Broken."}
        )
        assert answer.status_code == 503 and "cannot save right now" in answer.json()["detail"]
        for _attempt in range(30):  # the probe writes at most every 5 s
            health = httpx.get(app.url + "/healthz")
            if health.status_code == 503:
                break
            page.wait_for_timeout(250)
        assert health.status_code == 503 and health.json()["database"] == "cannot write"

        # The page: told, the text kept, marked as not sent.
        box(page).fill("Still loud after a restart")
        box(page).press("Enter")
        expect(page.get_by_text("The server cannot save right now.")).to_be_visible(timeout=5000)
        expect(page.get_by_text("Not sent: the server could not be reached")).to_be_visible()
        expect(box(page)).to_have_value("Still loud after a restart")

        # An upload: refused, and no file left behind.
        ticket_id = url.rsplit("/", 1)[1]
        attachments = small_disk / "data" / "attachments"
        files_before = sorted(os.listdir(attachments)) if attachments.exists() else []
        upload = page.evaluate(
            """async (id) => {
                const form = new FormData();
                form.append('file', new Blob(['x'.repeat(200000)], {type: 'text/plain'}), 'big.log');
                form.append('internal', 'false');
                const r = await fetch(`/tickets/${id}/attachments`, {method: 'POST', body: form});
                return [r.status, (await r.json()).detail];
            }""",
            ticket_id,
        )
        assert upload[0] == 503 and "cannot save" in upload[1]
        assert (sorted(os.listdir(attachments)) if attachments.exists() else []) == files_before

        # Space freed: everything works again, without a restart.
        filler.unlink()
        assert httpx.get(app.url + "/healthz").status_code == 200
        page.get_by_role("button", name="Retry").click()
        expect(page.locator(".q-message-text-content").filter(has_text="Still loud")).to_have_count(1, timeout=5000)
        expect(page.get_by_text("Not sent: the server could not be reached")).to_be_hidden()
        answer = httpx.post(
            app.api_url + "/api/v1/tickets", headers=headers, json={"title": "Mouse", "description": "Broken."}
        )
        assert answer.status_code == 201
    assert app.server_errors() == [], app.log.read_text()
    shutil.rmtree(small_disk / "data", ignore_errors=True)

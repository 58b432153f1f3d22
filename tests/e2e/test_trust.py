"""An attacker's page on a sibling intranet site (same host, another port: same site, so SameSite
cookies do not help), in real Chromium, against the real app."""

import asyncio
import concurrent.futures
import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from bench.nicegui_client import PageTab
from bench.remote import find_button
from tests.e2e.conftest import PASSWORD, SIGN_IN, sign_in
from tests.support.app_process import App, free_port


@pytest.fixture(scope="module")
def sibling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain web server on another port: the sibling site the attacker controls."""
    root = tmp_path_factory.mktemp("sibling")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def test_another_site_cannot_frame_the_helpdesk(app: App, browser: Browser, sibling: tuple[str, Path]) -> None:
    url, root = sibling
    (root / "decoy.html").write_text(
        f'<h1>Win a prize</h1><iframe id="victim" src="{app.url}/" style="opacity:0.01" width="900" height="600">'
        "</iframe>"
    )
    page = sign_in(browser, app, "anna@example.com")
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))
    page.goto(f"{url}/decoy.html")
    page.wait_for_timeout(1500)
    frame = page.frame_locator("#victim")
    # Signed in, the dashboard would show in the frame (its cookie is sent: same site).
    expect(frame.get_by_text("My tickets")).to_have_count(0)
    assert any("frame-ancestors" in text for text in refusals), refusals
    page.context.close()


def test_another_site_cannot_sign_anyone_out(app: App, browser: Browser, sibling: tuple[str, Path]) -> None:
    url, root = sibling
    (root / "signout.html").write_text(
        f'<form method="post" action="{app.url}/auth/logout"></form><script>document.forms[0].submit()</script>'
    )
    page = sign_in(browser, app, "anna@example.com")
    page.goto(f"{url}/signout.html")
    expect(page.get_by_text("Sign out from the helpdesk's own page.")).to_be_visible()
    page.goto(app.url + "/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # still signed in
    page.context.close()


def test_an_attackers_sign_in_code_signs_nobody_in(app: App, browser: Browser) -> None:
    # The attacker signs in to their own account and keeps the code instead of following it.
    attacker = browser.new_context().new_page()
    codes: list[str] = []
    attacker.route(lambda url: "/auth/session" in url, lambda route: (codes.append(route.request.url), route.abort()))
    attacker.goto(app.url + "/login")
    attacker.get_by_label("Email").fill("ben@example.com")
    attacker.get_by_label("Password").fill(PASSWORD)
    attacker.get_by_role("button", name="Sign in").click()
    deadline = time.monotonic() + 10
    while not codes and time.monotonic() < deadline:
        attacker.wait_for_timeout(100)
    assert codes
    # The victim opens the link (a mail, an image on the sibling site): they are not signed in as Ben.
    victim = browser.new_context().new_page()
    victim.goto(app.url + "/login")
    victim.goto(codes[0])
    victim.wait_for_url(SIGN_IN)
    assert not any(c["name"] == "helpdesk_session" for c in victim.context.cookies())
    attacker.context.close()
    victim.context.close()


def test_after_sign_out_nothing_reaches_the_sessions_other_tabs(app: App, browser: Browser) -> None:
    api = httpx.Client(base_url=app.api_url, timeout=30)
    anna = api.post("/api/v1/auth/token", json={"email": "anna@example.com", "password": PASSWORD}).json()
    ada = api.post("/api/v1/auth/token", json={"email": "ada@example.com", "password": PASSWORD}).json()
    ticket = api.post(
        "/api/v1/tickets",
        json={"title": "Printer jam", "description": "Tray 2.", "priority": "normal", "category": "hardware"},
        headers={"Authorization": f"Bearer {anna['access_token']}"},
    ).json()
    page = sign_in(browser, app, "tom@example.com")
    second_tab = page.context.new_page()
    second_tab.goto(f"{app.url}/tickets/{ticket['id']}")
    cookie = next(c for c in page.context.cookies() if c["name"] == "helpdesk_session")["value"]

    connected, stop = threading.Event(), threading.Event()
    result: dict = {}

    async def ignoring_tab() -> None:
        """A tab of the same session that ignores the redirect: a raw socket on the ticket page."""
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
            tab = await PageTab.open(http, app.port, f"/tickets/{ticket['id']}", {"helpdesk_session": cookie})
        assert await tab.connect()
        frames: list[bytes] = []
        stopping = asyncio.Event()
        listening = asyncio.create_task(tab.listen(lambda frame, _t: frames.append(frame), stopping))
        connected.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        stopping.set()
        await listening
        result.update(closed=tab.closed, frames=frames)

    worker = threading.Thread(target=lambda: asyncio.run(ignoring_tab()))
    worker.start()
    assert connected.wait(30)
    time.sleep(1.0)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(SIGN_IN)
    time.sleep(2.0)
    note = {"body": "Internal: the admin password is in the safe", "internal": True}
    headers = {"Authorization": f"Bearer {ada['access_token']}"}
    posted = api.post(f"/api/v1/tickets/{ticket['id']}/messages", json=note, headers=headers)
    assert posted.status_code == 201, posted.text
    time.sleep(2.0)
    stop.set()
    worker.join(30)
    closed, frames = result["closed"], result["frames"]
    assert closed  # the server cut its socket
    assert not any(b"admin password" in frame for frame in frames)
    second_tab.wait_for_url(SIGN_IN)  # the well-behaved tab went to sign-in
    page.context.close()


def test_a_socket_acts_only_for_its_own_tab(app: App, browser: Browser) -> None:
    api = httpx.Client(base_url=app.api_url, timeout=30)
    anna = api.post("/api/v1/auth/token", json={"email": "anna@example.com", "password": PASSWORD}).json()
    auth = {"Authorization": f"Bearer {anna['access_token']}"}
    ticket = api.post(
        "/api/v1/tickets",
        json={"title": "Badge reader", "description": "Door 3.", "priority": "low", "category": "hardware"},
        headers=auth,
    ).json()
    page = sign_in(browser, app, "tom@example.com")
    cookie = next(c for c in page.context.cookies() if c["name"] == "helpdesk_session")["value"]
    page.context.close()

    async def attack() -> tuple[int | None, int | None]:
        async with httpx.AsyncClient(base_url=app.url, timeout=30) as http:
            http.cookies.set("helpdesk_session", cookie)
            victim = await PageTab.open(http, app.port, f"/tickets/{ticket['id']}", {})
            http.cookies.clear()
            stranger = await PageTab.open(http, app.port, "/login", {})
        assert await victim.connect() and await stranger.connect()
        take = find_button(victim.elements, "Take")
        assert take is not None
        # An anonymous socket that learned the technician's tab id clicks "Take" in that tab.
        assert stranger.ws is not None
        await stranger.ws.send(
            f'42["event",{{"id":{take[0]},"client_id":"{victim.client_id}","listener_id":"{take[1]}","args":[]}}]'
        )
        await asyncio.sleep(1.5)
        after_forgery = api.get(f"/api/v1/tickets/{ticket['id']}", headers=auth).json()["assignee"]
        await victim.emit(*take)  # the tab's own socket: the same frame works
        await asyncio.sleep(1.5)
        after_own = api.get(f"/api/v1/tickets/{ticket['id']}", headers=auth).json()["assignee"]
        return after_forgery, after_own

    # Playwright's own loop runs in this thread: the raw sockets get a thread of their own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        forged, own = pool.submit(asyncio.run, attack()).result()
    assert forged is None
    assert own is not None and own["name"] == "Tom Technician"

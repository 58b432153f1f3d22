"""Remote assistance with real parts: TigerVNC showing a known picture, the app, its bridge
(websockify, started by the app), noVNC in the technician's browser, the employee's consent."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from tests.e2e.conftest import App, box_of, report_problem, screenshot, sign_in
from tests.support.app_process import free_vnc_port
from tests.support.vnc import COLOUR, VncServer


@pytest.fixture(scope="module")
def vnc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VncServer]:
    server = VncServer(Path(tmp_path_factory.mktemp("vnc"))).start()
    yield server
    server.stop()


def request_remote(technician: Page, vnc: VncServer, mode: str, port: int | None = None) -> None:
    technician.get_by_role("button", name="Remote assistance").click()
    technician.get_by_text(mode, exact=True).click()
    technician.get_by_label("Host").fill(vnc.host)
    technician.get_by_label("Port").fill(str(port or vnc.port))
    technician.get_by_role("button", name="Send request").click()
    expect(technician.get_by_text("Waiting for Anna Employee's answer…")).to_be_visible()


def viewer(technician: Page) -> Frame:
    technician.wait_for_selector("iframe[title='Remote screen']", timeout=5000)
    frame = technician.frame_locator("iframe[title='Remote screen']")
    expect(frame.locator("#remote-status")).to_have_text("Connected", timeout=5000)
    handle = technician.query_selector("iframe[title='Remote screen']")
    assert handle is not None
    content = handle.content_frame()
    assert content is not None
    return content


def centre_pixel(frame: Frame) -> list[int]:
    return frame.evaluate(
        """() => {
        const canvas = document.querySelector('#screen canvas');
        const ctx = canvas.getContext('2d');
        return Array.from(ctx.getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data.slice(0, 3));
    }"""
    )


def test_consent_view_control_stop_and_view_only(app: App, browser: Browser, vnc: VncServer) -> None:
    employee = sign_in(browser, app, "anna@example.com")
    url = report_problem(employee, "My screen flickers", "Since the last update, every few seconds.")
    employee.goto(app.url + "/")  # elsewhere in the app: the prompt finds her anyway
    technician = sign_in(browser, app, "tom@example.com")
    technician.goto(url)
    expect(technician.get_by_role("button", name="Remote assistance")).to_be_hidden()  # not assigned yet
    technician.get_by_role("button", name="Take").click()

    # Control: the employee is asked, names and mode included, and accepts.
    request_remote(technician, vnc, "Control (keyboard and mouse)")
    question = employee.get_by_text("Tom Technician asks to control your computer")
    expect(question).to_be_visible(timeout=3000)
    expect(question).to_contain_text("My screen flickers")
    employee.wait_for_timeout(500)  # the dialog's opening animation
    screenshot(employee, "remote-consent")
    accepted = time.monotonic()
    employee.get_by_role("button", name="Accept").click()
    expect(employee.get_by_text("Tom Technician is controlling your screen")).to_be_visible(timeout=3000)
    employee.wait_for_timeout(300)
    screenshot(employee, "remote-banner")

    # The technician sees the remote screen: the known picture, pixel for pixel.
    frame = viewer(technician)
    deadline = time.monotonic() + 5
    while centre_pixel(frame) != list(COLOUR) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert centre_pixel(frame) == list(COLOUR)
    print(f"\nfirst frame {1000 * (time.monotonic() - accepted):.0f} ms after Accept (upper bound)")
    screenshot(technician, "remote-viewer")

    # Keystrokes reach the workstation.
    technician.frame_locator("iframe[title='Remote screen']").locator("#screen canvas").click()
    technician.keyboard.type("hi")
    deadline = time.monotonic() + 3
    while vnc.pressed()[-2:] != ["h", "i"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert vnc.pressed()[-2:] == ["h", "i"]

    # The employee's Stop cuts the view within 2 seconds (the page drops the viewer; the bridge
    # cuts a viewer that would not go: tests/helpdesk/test_bridge.py).
    stopped = time.monotonic()
    employee.get_by_role("button", name="Stop").click()
    expect(technician.locator("iframe[title='Remote screen']")).to_have_count(0, timeout=2000)
    print(f"viewer gone {1000 * (time.monotonic() - stopped):.0f} ms after Stop")
    expect(technician.get_by_text("The remote session has ended.")).to_be_visible()
    expect(employee.get_by_text("Tom Technician is controlling your screen")).to_be_hidden()

    # View only: the picture shows, keys never arrive.
    request_remote(technician, vnc, "View only")
    employee.get_by_role("button", name="Accept").click()
    frame = viewer(technician)
    before = len(vnc.pressed())
    technician.frame_locator("iframe[title='Remote screen']").locator("#screen canvas").click()
    technician.keyboard.type("xyz")
    time.sleep(1.0)
    assert len(vnc.pressed()) == before
    expect(employee.get_by_text("Tom Technician is viewing your screen")).to_be_visible()
    technician.get_by_role("button", name="End session").click()
    expect(technician.locator("iframe[title='Remote screen']")).to_have_count(0, timeout=2000)

    # Every step is on the ticket's timeline.
    for step in (
        "Tom Technician asked to control the requester's computer",
        "Anna Employee accepted remote assistance",
        "The remote session started",
        re.compile(r"The remote session ended after .* \(stopped by the requester\)"),
        "Tom Technician asked to see the requester's screen",
        re.compile(r"ended after .* \(stopped by the technician\)"),
    ):
        expect(technician.get_by_text(step).first).to_be_visible(timeout=3000)
    screenshot(technician, "remote-timeline")


def test_others_cannot_open_a_session(app: App, browser: Browser) -> None:
    employee = sign_in(browser, app, "ben@example.com")
    url = report_problem(employee, "Mouse double-clicks", "The left button.")
    employee.goto(url)
    expect(employee.get_by_role("button", name="Remote assistance")).to_have_count(0)
    # A session id guessed in the viewer's address opens nothing.
    employee.goto(app.url + "/remote/1/viewer")
    expect(employee.get_by_text("This remote session is not open to you.")).to_be_visible()
    admin = sign_in(browser, app, "ada@example.com")  # a technician, but not this ticket's
    admin.goto(app.url + "/remote/1/viewer")
    expect(admin.get_by_text("This remote session is not open to you.")).to_be_visible()


def test_countdown_viewer_bar_wide_layout_ending_and_an_unreachable_workstation(
    app: App, browser: Browser, vnc: VncServer
) -> None:
    employee = sign_in(browser, app, "anna@example.com")
    url = report_problem(employee, "The printer driver will not install", "It asks for an admin password.")
    technician = sign_in(browser, app, "tom@example.com")
    technician.set_viewport_size({"width": 1600, "height": 900})
    technician.goto(url)
    technician.get_by_role("button", name="Take").click()

    # The request shows both people how long it stays open, counting down.
    request_remote(technician, vnc, "Control (keyboard and mouse)")
    expect(technician.get_by_text(re.compile(r"The request expires in 1:[45]\d\."))).to_be_visible()
    countdown = employee.get_by_text(re.compile(r"Without an answer, the request expires in (1:[45]\d)\."))
    expect(countdown).to_be_visible(timeout=3000)
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3000)  # it moves
    employee.set_viewport_size({"width": 390, "height": 844})  # the employee on a phone: all of it on screen
    accept = employee.get_by_role("button", name="Accept")
    box = box_of(accept)
    assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
    accept.focus()
    employee.keyboard.press("Enter")

    # On a wide screen the remote screen is beside the conversation, not above it.
    frame = viewer(technician)
    iframe, chat = (
        box_of(technician.locator("iframe[title='Remote screen']")),
        box_of(technician.locator("[data-chat-ticket]")),
    )
    assert iframe["x"] + iframe["width"] <= chat["x"] and iframe["y"] < chat["y"] + chat["height"], (iframe, chat)
    assert iframe["width"] > 700  # the page's whole width while it runs (490 px in the usual column)
    screenshot(technician, "remote-viewer-wide")

    # The bar: Ctrl+Alt+Del reaches the workstation; fit or actual size; full screen.
    bar = technician.frame_locator("iframe[title='Remote screen']")
    bar.get_by_role("button", name="Send Ctrl+Alt+Del").click()
    deadline = time.monotonic() + 3
    while not {"Control_L", "Alt_L", "Delete"} <= set(vnc.pressed()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert {"Control_L", "Alt_L", "Delete"} <= set(vnc.pressed())
    bar.get_by_role("button", name="Fit to the window").click()
    expect(bar.get_by_role("button", name="Actual size")).to_have_attribute("aria-pressed", "false")
    assert frame.evaluate("window.helpdeskRfb.scaleViewport") is False
    bar.get_by_role("button", name="Full screen").click()
    expect(bar.get_by_role("button", name="Leave full screen")).to_be_visible()
    assert frame.evaluate("document.fullscreenElement !== null")
    bar.get_by_role("button", name="Leave full screen").click()
    expect(bar.get_by_role("button", name="Full screen")).to_be_visible()

    # The technician ends it: the employee is told, not only shown a banner going away.
    technician.get_by_role("button", name="End session").click()
    expect(employee.get_by_text("Tom Technician ended the remote session.")).to_be_visible(timeout=3000)
    expect(employee.get_by_text("Tom Technician is controlling your screen")).to_be_hidden()

    # A workstation nothing answers on: the reason, a way to try again, and the employee's banner gone.
    request_remote(technician, vnc, "View only", port=free_vnc_port())
    employee.get_by_role("button", name="Accept").click()
    refusal = "The bridge refused the connection: the workstation could not be reached."
    expect(technician.get_by_text(refusal)).to_be_visible(timeout=8000)
    expect(employee.get_by_text("Tom Technician is viewing your screen")).to_be_hidden(timeout=3000)
    expect(employee.get_by_text("The remote session has ended.")).to_be_visible()
    screenshot(technician, "remote-unreachable")
    technician.get_by_role("button", name="Try again").click()
    expect(technician.get_by_role("button", name="Send request")).to_be_visible()
    employee.context.close()
    technician.context.close()

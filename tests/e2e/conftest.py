"""Real parts: the app runs as its own process on a free port with its own SQLite file, and
headless Debian Chromium drives it through Playwright (sync API, module-scoped)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
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

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class App:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        self.env |= {"HELPDESK_DATA_DIR": str(data_dir), "HELPDESK_PORT": str(self.port), "HELPDESK_HOST": "127.0.0.1"}
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "app.log"

    def helpdesk(self, *args: str, stdin: str = "") -> None:
        subprocess.run(
            [sys.executable, "-m", "helpdesk.cli", *args],
            input=stdin,
            text=True,
            env=self.env,
            check=True,
            cwd=ROOT,
            capture_output=True,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the app did not start:\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)


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
    errors = [line for line in app.log.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
    assert errors == [], app.log.read_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def sign_in(browser: Browser, app: App, email: str, locale: str = "en-US") -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = context.new_page()
    page.goto(app.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app.url + "/")
    return page


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")

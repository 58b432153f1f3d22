"""What a script sending malformed or oversized input meets, against the real app and API processes."""

import json
import os
import re
import socket
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets.sync.client

from tests.helpdesk.api.test_process import _children
from tests.support.app_process import App

PASSWORD = "trust password 123"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    app = App(tmp_path_factory.mktemp("trust") / "data")
    app.data_dir.mkdir(mode=0o755)
    for email, role in (("tech@example.com", "technician"), ("emp@example.com", "employee")):
        app.helpdesk("create-user", "--email", email, "--name", email.split("@")[0], "--role", role,
                     "--password-stdin", stdin=PASSWORD)  # fmt: skip
    with app:
        yield app
    assert app.server_errors() == [], app.log.read_text()


def token(app: App, email: str) -> dict[str, str]:
    answer = httpx.post(f"{app.api_url}/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.parametrize(
    "where",
    ["/login", "/", "/setup", "/tickets/1", "/no-such-page", "/healthz", "/novnc/core/rfb.js", "/attachments/1"],
)
def test_every_response_carries_the_security_headers(app: App, where: str) -> None:
    answer = httpx.get(app.url + where)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in answer.headers["content-security-policy"]
    assert "strict-transport-security" not in answer.headers  # HELPDESK_COOKIE_SECURE is off here
    if answer.headers.get("content-type", "").startswith("text/html"):
        policy = answer.headers["content-security-policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        scripts = re.findall(r"<script[^>]*>", answer.text)
        assert scripts and all(f'nonce="{nonce[1]}"' in tag for tag in scripts)


@pytest.mark.parametrize("where", ["/api/v1/users/me", "/docs", "/healthz"])
def test_the_api_carries_them_too(app: App, where: str) -> None:
    answer = httpx.get(app.api_url + where)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in answer.headers["content-security-policy"]


def _api_pid(app: App) -> int:
    assert app.process is not None
    for pid in _children(app.process.pid):
        if b"helpdesk.api" in Path(f"/proc/{pid}/cmdline").read_bytes():
            return pid
    raise AssertionError("no API process")


def _rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def _send_large(port: int, path: str, size: int, chunked: bool, headers: str = "") -> int:
    """Sends a `size`-byte body as a script would, as long as the server reads; its status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}{framing}"
        s.sendall(f"{head}\r\n\r\n".encode())
        block = b"x" * (1 << 20)
        try:
            for _ in range(size >> 20):
                s.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
        except OSError:
            pass  # the server answered and closed: it read no further
        s.settimeout(10)
        try:
            return int(s.recv(4096).split(b" ", 2)[1])
        except (OSError, IndexError, ValueError):
            return 0


def test_a_60_mb_body_is_refused_before_it_costs_memory(app: App) -> None:
    api = _api_pid(app)
    before = _rss_mb(api)
    for chunked in (False, True):
        for _ in range(3):
            assert _send_large(app.api_port, "/api/v1/auth/token", 60 << 20, chunked) == 413
            assert _send_large(app.port, "/tickets/1/attachments", 60 << 20, chunked) == 413
    assert _rss_mb(api) - before < 30  # it was 210-238 MB per body
    answer = httpx.post(f"{app.api_url}/api/v1/auth/token", content=b"{" * 2_000_000)
    assert answer.status_code == 413 and "detail" in answer.json()


SURROGATE = b'"\\ud800"'


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/auth/token", b'{"email": %s, "password": "x"}'),
        ("POST", "/api/v1/tickets", b'{"title": %s, "description": "d", "priority": "low", "category": "other"}'),
        ("PATCH", "/api/v1/tickets/1", b'{"title": %s}'),
        ("POST", "/api/v1/tickets/1/messages", b'{"body": %s}'),
        ("POST", "/api/v1/users", b'{"email": "a@b.cd", "name": %s, "password": "12345678", "role": "employee"}'),
    ],
)
def test_invalid_unicode_gets_a_4xx(app: App, method: str, path: str, body: bytes) -> None:
    headers = {**token(app, "tech@example.com"), "Content-Type": "application/json"}
    answer = httpx.request(method, app.api_url + path, content=body % SURROGATE, headers=headers)
    assert 400 <= answer.status_code < 500, answer.text
    assert "detail" in answer.json()


def _socket(app: App) -> tuple[websockets.sync.client.ClientConnection, str]:
    page = httpx.get(app.url + "/login")
    client_id = re.search(r"'client_id': '([0-9a-f-]+)'", page.text)[1]  # type: ignore[index]
    url = (
        f"ws://127.0.0.1:{app.port}/_nicegui_ws/socket.io/?client_id={client_id}&next_message_id=0"
        f"&implicit_handshake=true&document_id={uuid.uuid4()}&tab_id={uuid.uuid4()}&old_tab_id=null"
        "&EIO=4&transport=websocket"
    )
    ws = websockets.sync.client.connect(url, open_timeout=30)
    ws.recv(timeout=10)
    ws.send("40")
    assert str(ws.recv(timeout=10)).startswith("40")
    return ws, client_id


def test_malformed_frames_cost_one_line_each_and_client_text_is_escaped(app: App) -> None:
    ws, client_id = _socket(app)
    before = app.log.read_text(errors="replace").splitlines()
    frames = [
        '42["event",{}]',
        '42["event",{"client_id":"nope"}]',
        f'42["event",{{"client_id":"{client_id}"}}]',
        f'42["event",{{"client_id":"{client_id}","id":"x","listener_id":1,"args":"no"}}]',
        f'42["event",{{"client_id":"{client_id}","id":1,"listener_id":"l","args":["{{not json"]}}]',
        f'42["event",{{"client_id":"{client_id}","id":1,"listener_id":"l","args":["\\"\\\\ud800\\""]}}]',
        '42["ack",[]]',
        f'42["ack",{{"client_id":"{client_id}","next_message_id":"x"}}]',
        f'42["javascript_response",{{"client_id":"{client_id}"}}]',
        '42["log","text"]',
        '42["handshake",[1,2]]',
        '42["event"]',
    ]
    for _ in range(10):
        for frame in frames:
            ws.send(frame)
    forged = "ok\nWARNING helpdesk.domain.auth: the admin password is hunter2\r\nINFO done"
    ws.send("42" + json.dumps(["log", {"client_id": client_id, "level": "warning", "message": forged}]))
    time.sleep(1.5)
    ws.close()
    added = app.log.read_text(errors="replace").splitlines()[len(before) :]
    assert len(added) <= 10 * len(frames) + 2, "\n".join(added)
    assert not any("Traceback" in line for line in added)
    assert not any(
        line.startswith("WARNING helpdesk.domain.auth") for line in added
    )  # the forged line stayed inside its own
    assert any("hunter2" in line and "\\n" in line for line in added)


def test_an_api_token_can_be_revoked(app: App) -> None:
    headers = token(app, "emp@example.com")
    assert httpx.get(f"{app.api_url}/api/v1/users/me", headers=headers).status_code == 200
    assert httpx.post(f"{app.api_url}/api/v1/auth/logout", headers=headers).status_code == 204
    answer = httpx.get(f"{app.api_url}/api/v1/users/me", headers=headers)
    assert answer.status_code == 401 and "detail" in answer.json()


def test_the_data_dir_is_the_service_users_only(app: App, tmp_path: Path) -> None:
    assert stat.S_IMODE(app.data_dir.stat().st_mode) == 0o700  # made 0755 before the first start
    for file in app.data_dir.rglob("*"):
        if file.is_file() and file.name != "app.log":  # the test's own capture of the console
            assert stat.S_IMODE(file.stat().st_mode) & 0o077 == 0, file
    assert (app.data_dir / "helpdesk.db-wal").exists()
    backup = tmp_path / "backup.db"
    app.helpdesk("backup", str(backup))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert os.access(backup, os.R_OK)


# Last: it fills the address's sign-in limit.
def test_a_forged_forwarded_for_does_not_escape_throttling(app: App) -> None:
    answers = [
        httpx.post(
            f"{app.api_url}/api/v1/auth/token",
            json={"email": f"nobody{i}@example.com", "password": "guess"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status_code
        for i in range(40)
    ]
    assert 429 in answers  # the 31st attempt from this address, whatever the header says

"""The bridge as it runs: its own process (websockify), a real TigerVNC server, a real RFB client."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from websockets.exceptions import InvalidStatus, WebSocketException

from helpdesk import bridge, db, remote, tickets
from models import Category, Priority, RemoteMode, RemoteToken
from models.clock import utcnow
from tests.app_process import ROOT, free_port
from tests.conftest import People
from tests.vnc import RfbOverWebSocket, VncServer, port_open

ORIGIN = "http://127.0.0.1:8080"  # the app's own address under the test settings


@pytest.fixture
def vnc(tmp_path: Path) -> Iterator[VncServer]:
    server = VncServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def bridge_url(data_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "bridge.log"
    env = os.environ | {"HELPDESK_HOST": "127.0.0.1", "HELPDESK_PORT": "8080"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "helpdesk.bridge", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 15
    while not port_open(port):
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    yield f"ws://127.0.0.1:{port}/"
    os.killpg(process.pid, 15)
    process.wait(5)
    bridge_log = log.read_text()
    assert "token=" not in bridge_log.replace("token=[redacted]", ""), bridge_log


def open_session(people: People, vnc: VncServer, mode: RemoteMode) -> int:
    ticket = tickets.create(people.employee_a, "Excel freezes", "On big files.", Priority.normal, Category.software)
    tickets.take(people.technician, ticket.id)
    session = remote.request(people.technician, ticket.id, mode, "127.0.0.1", vnc.port)
    remote.answer(people.employee_a, session.id, True)
    return session.id


def connect(url: str, token: str, origin: str = ORIGIN) -> RfbOverWebSocket:
    return RfbOverWebSocket(f"{url}?token={token}", origin)


def wait_for_keys(vnc: VncServer, count: int, seconds: float = 3.0) -> list[str]:
    deadline = time.monotonic() + seconds
    while len(vnc.pressed()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return vnc.pressed()


def test_control_reaches_the_workstation(people: People, vnc: VncServer, bridge_url: str) -> None:
    session_id = open_session(people, vnc, RemoteMode.control)
    client = connect(bridge_url, remote.issue_token(people.technician, session_id).token)
    assert client.handshake() == (800, 600)
    client.key(ord("a"))
    assert wait_for_keys(vnc, 1) == ["a"]
    client.close()


def test_view_only_is_enforced_by_the_bridge(people: People, vnc: VncServer, bridge_url: str) -> None:
    session_id = open_session(people, vnc, RemoteMode.view)
    client = connect(bridge_url, remote.issue_token(people.technician, session_id).token)
    assert client.handshake() == (800, 600)
    # A viewer that ignores its view-only setting: keys and clicks still never arrive.
    client.key(ord("b"))
    client.pointer(10, 10)
    client.request_update()  # while what a viewer needs still passes
    assert client.ws.recv(timeout=5)
    time.sleep(1.0)
    assert vnc.pressed() == []
    client.close()


def test_a_replayed_or_expired_token_is_refused(people: People, vnc: VncServer, bridge_url: str) -> None:
    session_id = open_session(people, vnc, RemoteMode.control)
    token = remote.issue_token(people.technician, session_id).token
    connect(bridge_url, token).close()
    with pytest.raises((InvalidStatus, WebSocketException, OSError)):
        connect(bridge_url, token)
    expired = remote.issue_token(people.technician, session_id).token
    with db.write_session() as session:
        session.exec(update(RemoteToken).values(expires_at=utcnow()))
    with pytest.raises((InvalidStatus, WebSocketException, OSError)):
        connect(bridge_url, expired)


def test_a_foreign_origin_is_refused_without_burning_the_token(people: People, vnc: VncServer, bridge_url: str) -> None:
    session_id = open_session(people, vnc, RemoteMode.control)
    token = remote.issue_token(people.technician, session_id).token
    with pytest.raises((InvalidStatus, WebSocketException, OSError)):
        connect(bridge_url, token, origin="https://evil.example")
    client = connect(bridge_url, token)
    assert client.handshake() == (800, 600)
    client.close()


def test_ending_the_session_cuts_the_connection_within_two_seconds(
    people: People, vnc: VncServer, bridge_url: str
) -> None:
    session_id = open_session(people, vnc, RemoteMode.view)
    client = connect(bridge_url, remote.issue_token(people.technician, session_id).token)
    client.handshake()
    time.sleep(0.3)
    started = time.monotonic()
    remote.end(people.employee_a, session_id)
    assert client.closed_within(2.0)
    print(f"\nbridge closed {1000 * (time.monotonic() - started):.0f} ms after Stop")


def test_the_rfb_filter_drops_input_in_view_only() -> None:
    rfb = bridge.RfbFilter(view_only=True)
    handshake = b"RFB 003.008\n" + b"\x01" + b"\x01"
    set_encodings = b"\x02\x00\x00\x02" + b"\x00\x00\x00\x00" + b"\xff\xff\xff\x21"
    update_request = b"\x03\x00" + b"\x00" * 8
    key = b"\x04\x01\x00\x00\x00\x00\x00\x61"
    pointer = b"\x05\x01\x00\x10\x00\x10"
    cut = b"\x06\x00\x00\x00\x00\x00\x00\x03abc"
    stream = handshake + set_encodings + key + update_request + pointer + cut
    # Byte by byte, as TCP may cut it: only what a viewer needs comes out.
    out = b"".join(rfb.feed(stream[i : i + 1]) for i in range(len(stream)))
    assert out == handshake + set_encodings + update_request
    assert rfb.dropped == 3
    with pytest.raises(bridge.Refused):
        rfb.feed(b"\x99")
    assert bridge.RfbFilter(view_only=False).feed(key) == key

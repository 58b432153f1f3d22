"""The bridge as it runs: its own process (websockify), a real TigerVNC server, a real RFB client."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from helpdesk.core import db
from helpdesk.domain import remote, tickets
from models import Category, Priority, RemoteAssistance, RemoteMode, RemoteToken
from models.clock import utcnow
from tests.conftest import People
from tests.support.app_process import REMOTE_SETTINGS, ROOT, WORKSTATION, free_port, free_vnc_port
from tests.support.vnc import RfbOverWebSocket, VncServer, port_open

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
    env = os.environ | {"HELPDESK_HOST": "127.0.0.1", "HELPDESK_PORT": "8080"} | REMOTE_SETTINGS
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "helpdesk.bridge.server", "--port", str(port)],
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
    session = remote.request(people.technician, ticket.id, mode, vnc.host, vnc.port)
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


class FakeServer:
    """A TCP server on the workstation address that says `greeting` to whoever connects."""

    def __init__(self, greeting: bytes) -> None:
        self.port = free_vnc_port()
        self.listener = socket.create_server((WORKSTATION, self.port))
        self.greeting = greeting
        self.received = b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            if self.greeting:
                connection.sendall(self.greeting)
            connection.settimeout(3)
            try:
                while data := connection.recv(4096):
                    self.received += data
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


def session_to(people: People, host: str, port: int) -> int:
    ticket = tickets.create(people.employee_a, "Screen", "Help.", Priority.normal, Category.software)
    tickets.take(people.technician, ticket.id)
    session = remote.request(people.technician, ticket.id, RemoteMode.control, host, port)
    remote.answer(people.employee_a, session.id, True)
    return session.id


def ended_with(session_id: int) -> str | None:
    with db.read_session() as session:
        found = session.get(RemoteAssistance, session_id)
        assert found is not None
        return found.end_reason


@pytest.mark.parametrize(
    ("greeting", "reason"),
    [
        (b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "not_vnc"),  # a banner, sent before the browser speaks
        (b"", "not_vnc"),  # an HTTP server waits for a request: nothing comes
        (b"RFB 003.003\n", "old_rfb"),
    ],
)
def test_the_bridge_relays_nothing_but_a_vnc_server(
    people: People, bridge_url: str, greeting: bytes, reason: str
) -> None:
    server = FakeServer(greeting)
    session_id = session_to(people, WORKSTATION, server.port)
    client = RfbOverWebSocket(f"{bridge_url}?token={remote.issue_token(people.technician, session_id).token}", ORIGIN)
    with pytest.raises(ConnectionClosed) as closed:
        client.ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert not client.buffer  # not one byte of the server's answer reached the browser
    assert ended_with(session_id) == reason
    steps = [e.from_value for e in tickets.timeline(people.technician, tickets_of(session_id))]
    assert any(step and step.startswith(f"{reason}:") for step in steps)
    server.close()


def tickets_of(session_id: int) -> int:
    with db.read_session() as session:
        found = session.get(RemoteAssistance, session_id)
        assert found is not None
        return found.ticket_id


def test_the_bridge_checks_the_address_again_when_it_connects(
    people: People, vnc: VncServer, bridge_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = session_to(people, vnc.host, vnc.port)
    token = remote.issue_token(people.technician, session_id).token
    # The bridge runs with its own settings: narrowed there, the same session is refused.
    with db.write_session() as session:
        found = session.get(RemoteAssistance, session_id)
        found.host = "127.0.0.1"  # as if the name now resolved to loopback
        session.add(found)
    with pytest.raises((InvalidStatus, WebSocketException, OSError)):
        RfbOverWebSocket(f"{bridge_url}?token={token}", ORIGIN).ws.recv(timeout=5)
    assert ended_with(session_id) == "address"

"""The relay that carries the API process's events to the app's pages, over a real Unix socket."""

import asyncio
import stat
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk.core import events
from helpdesk.core.views import ChatFile, ChatMessage, RemoteView
from helpdesk.runtime import relay
from models import RemoteMode, RemoteStatus

SAMPLES: list[events.Event] = [
    events.TicketChanged(1, 2, None, previous_assignee_id=3, created=True),
    events.SessionsRevoked(4),
    events.MessagePosted(
        ChatMessage(
            5,
            1,
            2,
            "Zoë",
            "Bonjour <b>",
            False,
            datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
            (ChatFile(6, "écran.png", "image/png", 1234, True),),
        ),
        2,
        3,
    ),
    events.MessagesSeen(1, 2, "Zoë", False, 5),
    events.Typing(1, 3, "Tech", True),
    events.PresenceChanged(1, ((2, "Zoë", False), (3, "Tech", True))),
    events.DisplayChanged(7, revoked=True),
    events.RemoteChanged(RemoteView(8, 1, 2, 3, RemoteStatus.accepted, RemoteMode.control, "Tech", "Printer")),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_kind_of_event_crosses_as_it_left(event: events.Event) -> None:
    line = events.encode(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert events.decode(line) == event


@pytest.mark.parametrize(
    "line",
    [b"not json\n", b"[]\n", b'{"type": "Nope", "event": {}}\n', b'{"type": "SessionsRevoked"}\n',
     b'{"type": "SessionsRevoked", "event": {"user_id": "seven"}}\n', b'{"type": "TicketChanged", "event": {}}\n'],
)  # fmt: skip
def test_a_line_that_is_not_an_event_is_refused(line: bytes) -> None:
    with pytest.raises(ValueError):
        events.decode(line)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="relay") as name:  # a Unix socket's path is short
        yield Path(name)


@pytest.fixture
async def received(short_dir: Path) -> AsyncIterator[tuple[relay.RelayServer, list[events.Event], asyncio.Event]]:
    events.bind_loop(asyncio.get_running_loop())
    got: list[events.Event] = []
    arrived = asyncio.Event()

    def receive(event: events.Event) -> None:
        got.append(event)
        arrived.set()

    unsubscribe = events.subscribe(receive)
    server = relay.RelayServer(short_dir / "events.sock")
    await server.start()
    yield server, got, arrived
    await server.stop()
    unsubscribe()


async def _until(condition: object, arrived: asyncio.Event) -> None:
    async with asyncio.timeout(2):
        while not condition():  # type: ignore[operator]
            arrived.clear()
            await arrived.wait()


async def test_events_sent_from_another_thread_reach_the_apps_subscribers(received) -> None:
    server, got, arrived = received
    forwarder = relay.Forwarder(server.path)
    sender = threading.Thread(target=lambda: [forwarder(event) for event in SAMPLES])
    sender.start()
    sender.join()
    await _until(lambda: len(got) == len(SAMPLES), arrived)
    assert got == SAMPLES
    assert forwarder.dropped == 0
    assert stat.S_IMODE(server.path.stat().st_mode) == 0o600  # the app's user only
    forwarder.close()


async def test_a_bad_line_is_dropped_and_the_connection_carries_on(received) -> None:
    server, got, arrived = received
    _reader, writer = await asyncio.open_unix_connection(server.path)
    writer.write(b"garbage\n" + events.encode(events.SessionsRevoked(9)))
    await writer.drain()
    await _until(lambda: got, arrived)
    assert got == [events.SessionsRevoked(9)]
    writer.close()


async def test_the_sender_reconnects_after_the_app_restarts_and_never_raises_while_it_is_down(received) -> None:
    server, got, arrived = received
    forwarder = relay.Forwarder(server.path)
    await asyncio.to_thread(forwarder, events.SessionsRevoked(1))
    await _until(lambda: len(got) == 1, arrived)

    await server.stop()
    await asyncio.to_thread(forwarder, events.SessionsRevoked(2))  # nobody listens: dropped, counted
    assert forwarder.dropped == 1

    await server.start()
    await asyncio.to_thread(forwarder, events.SessionsRevoked(3))
    await _until(lambda: len(got) == 2, arrived)
    assert got == [events.SessionsRevoked(1), events.SessionsRevoked(3)]
    forwarder.close()


async def test_a_data_dir_too_deep_for_a_socket_is_a_clear_error(short_dir: Path) -> None:
    server = relay.RelayServer(short_dir / ("d" * 120) / "events.sock")
    with pytest.raises(RuntimeError, match="HELPDESK_DATA_DIR"):
        await server.start()

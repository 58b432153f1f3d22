"""Carries live-update events from the app's other processes to the app, where the pages are.

The REST API runs in its own process (so a burst of API writes does not take the core the pages
answer on), and its services publish events there. `Forwarder` sends each one, as a JSON line,
over a Unix socket in the data dir; the app's `RelayServer` reads them and publishes them on its
own bus, where the pages' subscribers are. The socket is the app's user's only (mode 0600): an
event is trusted (it can revoke a session's page, or show a chat message).

An event that cannot be sent (the app is restarting) is dropped with a warning: its writes are
saved, and pages that reconnect read the current state.
"""

import asyncio
import contextlib
import logging
import os
import socket
import threading
from pathlib import Path

from helpdesk.core import events
from helpdesk.core.config import get_settings

log = logging.getLogger(__name__)

LINE_LIMIT = 1 << 20  # bytes; an event is at most a chat message with its attachments' names
MAX_PATH = 107  # bytes: a Unix socket's path is at most 108 with its final NUL (Linux)
SEND_TIMEOUT = 1.0  # seconds; a stuck app must not hold a request of the API for longer


def socket_path() -> Path:
    return get_settings().data_dir.resolve() / "events.sock"


class RelayServer:
    """In the app: publishes on the bus every event another process sends to the socket."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or socket_path()
        self._server: asyncio.Server | None = None
        self._senders: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        if len(os.fsencode(self.path)) > MAX_PATH:
            raise RuntimeError(f"The data dir's path is too long for the events socket ({self.path}): "
                               "use a shorter HELPDESK_DATA_DIR, or HELPDESK_API_PORT=0")  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by an app that did not stop cleanly
        mask = os.umask(0o177)  # created 0600: no moment where another user could connect
        try:
            self._server = await asyncio.start_unix_server(self._read, self.path, limit=LINE_LIMIT)
        finally:
            os.umask(mask)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._senders):  # Python 3.11's Server.close leaves them open
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()  # closed when stop returns: a sender's next send fails
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._senders.add(writer)
        try:
            while line := await reader.readline():
                try:
                    event = events.decode(line)
                except ValueError:
                    log.warning("relay: dropped a line that is not an event (%d bytes)", len(line))
                    continue
                events.publish(event)
        except (ConnectionError, ValueError):  # ValueError: a line over LINE_LIMIT
            log.warning("relay: a sender's connection failed; it will reconnect")
        finally:
            self._senders.discard(writer)
            writer.close()


class Forwarder:
    """In another process: a bus subscriber that sends every event to the app's relay socket."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or socket_path()
        self.dropped = 0
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()  # services publish from the API's worker threads

    def __call__(self, event: events.Event) -> None:
        line = events.encode(event)
        with self._lock:
            for _attempt in range(2):  # a connection the app closed (it restarted) is retried once
                try:
                    if self._socket is None:
                        self._socket = self._connect()
                    self._socket.sendall(line)
                    return
                except OSError:
                    self.close()
            self.dropped += 1
            log.warning("relay: the app is not reachable; a %s event was not shown live", type(event).__name__)

    def _connect(self) -> socket.socket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(SEND_TIMEOUT)
        try:
            connection.connect(str(self.path))
        except OSError:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def forward_events() -> Forwarder:
    """Send this process's events to the app (called once at the start of a process that is not the app)."""
    forwarder = Forwarder()
    events.subscribe(forwarder)
    return forwarder

"""The remote assistance bridge: websockify with our own checks, run as a child process.

`python -m helpdesk.bridge` listens on HELPDESK_REMOTE_BRIDGE_PORT. websockify forks a process
per connection (it cannot run inside the app's event loop), and each connection:
- checks the WebSocket's Origin before touching the token (websockify's own plugins burn a
  token before any Origin check);
- redeems the one-use token in our database for the session's workstation address;
- in a view-only session, parses the browser's RFB stream and drops keyboard, pointer,
  clipboard and resize messages, so view-only holds even against a modified viewer;
- asks the database twice a second whether the session is still on, and closes when it is not.
Nothing logged ever holds a token.
"""

import argparse
import logging
import re
import select
import socket
import struct
import time
from urllib.parse import parse_qs, urlparse

from websockify import websocketproxy

from helpdesk import remote
from helpdesk.config import get_settings
from helpdesk.supervisor import exit_with_parent

log = logging.getLogger("helpdesk.bridge")
ALIVE_EVERY = 0.5
SEEN_EVERY = 5.0


class Refused(Exception):
    pass


class RfbFilter:
    """The browser-to-workstation half of RFB 3.7/3.8. View only lets through only what a viewer
    needs to see (pixel format, encodings, update requests, continuous updates, fences)."""

    VIEW_ONLY_ALLOWED = frozenset({0, 2, 3, 150, 248})

    def __init__(self, view_only: bool) -> None:
        self.view_only = view_only
        self.state = "version" if view_only else "pass"
        self.buffer = b""
        self.dropped = 0

    def feed(self, data: bytes) -> bytes:
        if self.state == "pass":
            return data
        self.buffer += data
        out = []
        while True:
            need = self._need()
            if need is None or len(self.buffer) < need:
                return b"".join(out)
            chunk, self.buffer = self.buffer[:need], self.buffer[need:]
            if self._advance(chunk):
                out.append(chunk)
            else:
                self.dropped += 1

    def _need(self) -> int | None:
        match self.state:
            case "version":
                return 12
            case "security" | "init":
                return 1
            case "vncauth":
                return 16
        if not self.buffer:
            return None
        kind = self.buffer[0]
        fixed = {0: 20, 3: 10, 4: 8, 5: 6, 150: 10, 250: 4}
        if kind in fixed:
            return fixed[kind]
        header = {2: 4, 6: 8, 248: 9, 251: 8, 255: 2}.get(kind)
        if header is None:
            raise Refused(f"unknown RFB message {kind} in a view-only session")
        if len(self.buffer) < header:
            return None
        if kind == 2:
            return 4 + 4 * struct.unpack(">H", self.buffer[2:4])[0]
        if kind == 6:  # a negative length announces the extended clipboard format
            return 8 + abs(struct.unpack(">i", self.buffer[4:8])[0])
        if kind == 248:
            return 9 + self.buffer[8]
        if kind == 251:
            return 8 + 16 * self.buffer[6]
        if self.buffer[1] == 0:  # QEMU extended key event
            return 12
        raise Refused("unknown QEMU RFB message in a view-only session")

    def _advance(self, chunk: bytes) -> bool:
        match self.state:
            case "version":
                if chunk[:4] != b"RFB " or chunk[4:11] < b"003.007":
                    raise Refused("RFB before 3.7 in a view-only session")
                self.state = "security"
            case "security":
                if chunk[0] not in (1, 2):  # None or VNC authentication: the rest is plain RFB
                    raise Refused("a security type the bridge cannot read in a view-only session")
                self.state = "vncauth" if chunk[0] == 2 else "init"
            case "vncauth":
                self.state = "init"
            case "init":
                self.state = "messages"
            case _:
                return chunk[0] in self.VIEW_ONLY_ALLOWED
        return True


_TOKEN = re.compile(r"token=[^&\s'\"]*")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _TOKEN.sub("token=[redacted]", record.getMessage())
        record.args = ()
        return True


class BridgeHandler(websocketproxy.ProxyRequestHandler):
    grant: remote.Grant | None = None

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s", _TOKEN.sub("token=[redacted]", format % args))

    def validate_connection(self) -> None:
        origin = (self.headers.get("Origin") or "").rstrip("/")
        if origin not in get_settings().allowed_origins:
            raise self.server.EClose("refused: origin not allowed")
        token = parse_qs(urlparse(self.path).query).get("token", [""])[0]
        self.grant = remote.redeem_token(token)
        if self.grant is None:
            raise self.server.EClose("refused: token unknown, used, expired or session not open")
        self.server.target_host, self.server.target_port = self.grant.host, self.grant.port

    def do_proxy(self, target: socket.socket) -> None:
        grant = self.grant
        assert grant is not None
        # Non-blocking: websockify's frame reader otherwise waits inside a half-received frame (or
        # after a control frame) for the browser's next message, and the liveness check with it.
        self.request.setblocking(False)
        rfb = RfbFilter(grant.view_only)
        client_queue: list[bytes] = []
        target_queue: list[bytes] = []
        pending = 0
        started = False
        next_alive = next_seen = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                if now >= next_alive:
                    if not remote.bridge_alive(grant):
                        raise self.CClose(1000, "The remote session has ended")
                    next_alive = now + ALIVE_EVERY
                if started and now >= next_seen:
                    remote.bridge_seen(grant)
                    next_seen = now + SEEN_EVERY
                writers = ([target] if target_queue else []) + ([self.request] if client_queue or pending else [])
                readable, writable, _ = select.select([self.request, target], writers, [], 0.25)
                if self.request in writable:
                    pending = self.send_frames(client_queue)
                    client_queue = []
                if self.request in readable:
                    frames, closed = self.recv_frames()
                    try:
                        data = rfb.feed(b"".join(frames))
                    except Refused as refused:
                        raise self.CClose(1008, str(refused)) from None
                    if data:
                        target_queue.append(data)
                    if closed:
                        raise self.CClose(closed["code"], closed["reason"])
                if target in writable and target_queue:
                    data = target_queue.pop(0)
                    sent = target.send(data)
                    if sent < len(data):
                        target_queue.insert(0, data[sent:])
                if target in readable:
                    data = target.recv(self.buffer_size)
                    if not data:
                        raise self.CClose(1000, "The workstation closed the connection")
                    if not started:
                        started = True
                        remote.bridge_seen(grant, first=True)
                        next_seen = time.monotonic() + SEEN_EVERY
                    client_queue.append(data)
        finally:
            if started:
                remote.bridge_seen(grant)
            if rfb.dropped:
                log.info("session %s: %d input messages withheld (view only)", grant.session_id, rfb.dropped)


def main() -> None:
    parser = argparse.ArgumentParser(description="The helpdesk's remote assistance bridge (websockify).")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    settings = get_settings()
    handler = logging.StreamHandler()
    handler.addFilter(RedactTokens())
    logging.basicConfig(level=logging.INFO, handlers=[handler], format="bridge %(levelname)s %(message)s")
    server = websocketproxy.WebSocketProxy(
        RequestHandlerClass=BridgeHandler,
        listen_host=args.host or settings.bridge_host,
        listen_port=args.port or settings.remote_bridge_port,
        target_host="0.0.0.0",  # replaced per connection by the redeemed token
        target_port=9,
        web="",
    )
    exit_with_parent()
    server.start_server()


if __name__ == "__main__":
    main()

"""The remote assistance bridge: websockify with our own checks, run as a child process.

`python -m helpdesk.bridge.server` listens on HELPDESK_REMOTE_BRIDGE_PORT. websockify forks a process
per connection (it cannot run inside the app's event loop), and each connection:
- checks the WebSocket's Origin before touching the token (websockify's own plugins burn a
  token before any Origin check);
- redeems the one-use token in our database for the session's workstation address, checks that
  address against the allowed networks and ports again (helpdesk/domain/netpolicy.py) and connects to
  the address it checked;
- relays nothing until the workstation has sent a valid RFB greeting (3.7 or later), so the
  bridge carries VNC and nothing else; a refusal ends the session with its reason;
- in a view-only session, parses both directions (helpdesk/bridge/rfb.py): keyboard, pointer and
  clipboard never reach the workstation, its clipboard never reaches the viewer;
- asks the database twice a second whether the session is still on, and closes when it is not.
Nothing logged ever holds a token.
"""

import argparse
import logging
import os
import re
import select
import socket
import time
from urllib.parse import parse_qs, urlparse

from websockify import websocketproxy

from helpdesk.bridge.rfb import Refused, Stream, ViewOnly, check_greeting
from helpdesk.core.config import get_settings
from helpdesk.core.errors import InvalidInput
from helpdesk.core.logsafe import EscapeControl
from helpdesk.domain import remote
from helpdesk.domain.netpolicy import Policy
from helpdesk.runtime import backup
from helpdesk.runtime.supervisor import exit_with_parent

log = logging.getLogger("helpdesk.bridge")
ALIVE_EVERY = 0.5
SEEN_EVERY = 5.0
CONNECT_SECONDS = 5.0
GREETING_SECONDS = 5.0


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
        try:
            # Checked again now: a name may resolve elsewhere than when the technician asked.
            addresses = Policy.from_settings().check(self.grant.host, self.grant.port)
        except InvalidInput:
            remote.bridge_refused(self.grant, remote.EndReason.address)
            raise self.server.EClose("refused: the workstation's address is not allowed") from None
        self.server.target_host, self.server.target_port = addresses[0], self.grant.port

    def new_websocket_client(self) -> None:
        grant = self.grant
        assert grant is not None
        try:
            target = socket.create_connection((self.server.target_host, grant.port), timeout=CONNECT_SECONDS)
        except OSError:
            remote.bridge_refused(grant, remote.EndReason.unreachable)
            raise self.CClose(1011, "The workstation could not be reached") from None
        try:
            target.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
            self.request.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
            greeting, version = self._greeting(target)
            self.do_proxy(target, greeting, version)
        finally:
            target.close()

    def _greeting(self, target: socket.socket) -> tuple[bytes, tuple[int, int]]:
        """The workstation's first 12 bytes and its RFB version, once they are a greeting the
        bridge can carry."""
        grant = self.grant
        assert grant is not None
        target.settimeout(GREETING_SECONDS)
        greeting = b""
        try:
            while len(greeting) < 12:
                data = target.recv(12 - len(greeting))
                if not data:
                    break
                greeting += data
        except OSError:
            pass
        try:
            version = check_greeting(greeting)
        except Refused as refused:
            remote.bridge_refused(grant, refused.reason or remote.EndReason.not_vnc)
            log.info("remote %s: refused, %s", grant.remote_id, refused)
            raise self.CClose(1008, str(refused)) from None
        target.setblocking(True)
        return greeting, version

    def do_proxy(self, target: socket.socket, greeting: bytes, version: tuple[int, int]) -> None:
        grant = self.grant
        assert grant is not None
        # Non-blocking: websockify's frame reader otherwise waits inside a half-received frame (or
        # after a control frame) for the browser's next message, and the liveness check with it.
        self.request.setblocking(False)
        if grant.view_only:
            state = ViewOnly(server_version=version)
            from_browser, from_workstation = Stream(state.client()), Stream(state.server())
        client_queue: list[bytes] = [greeting]
        target_queue: list[bytes] = []
        pending = 0
        next_alive = time.monotonic()
        remote.bridge_seen(grant, first=True)
        next_seen = time.monotonic() + SEEN_EVERY
        try:
            while True:
                now = time.monotonic()
                if now >= next_alive:
                    if not remote.bridge_alive(grant):
                        raise self.CClose(1000, "The remote session has ended")
                    next_alive = now + ALIVE_EVERY
                if now >= next_seen:
                    remote.bridge_seen(grant)
                    next_seen = now + SEEN_EVERY
                writers = ([target] if target_queue else []) + ([self.request] if client_queue or pending else [])
                readable, writable, _ = select.select([self.request, target], writers, [], 0.25)
                if self.request in writable:
                    pending = self.send_frames(client_queue)
                    client_queue = []
                if self.request in readable:
                    frames, closed = self.recv_frames()
                    data = b"".join(frames)
                    if grant.view_only and data:
                        data = self._filtered(from_browser, data)
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
                    if grant.view_only:
                        data = self._filtered(from_workstation, data)
                    if data:
                        client_queue.append(data)
        finally:
            remote.bridge_seen(grant)
            if grant.view_only and state.withheld:
                log.info("remote %s: withheld (view only) %s", grant.remote_id, state.withheld)

    def _filtered(self, stream: Stream, data: bytes) -> bytes:
        try:
            return stream.feed(data)
        except Refused as refused:
            raise self.CClose(1008, str(refused)) from None


def main() -> None:
    parser = argparse.ArgumentParser(description="The helpdesk's remote assistance bridge (websockify).")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    os.umask(0o077)
    settings = get_settings()
    handler = logging.StreamHandler()
    handler.addFilter(RedactTokens())
    handler.addFilter(EscapeControl())
    logging.basicConfig(level=logging.INFO, handlers=[handler], format="bridge %(levelname)s %(message)s")
    server = websocketproxy.WebSocketProxy(
        RequestHandlerClass=BridgeHandler,
        listen_host=args.host or settings.bridge_host,
        listen_port=args.port or settings.remote_bridge_port,
        target_host="0.0.0.0",  # replaced per connection by the redeemed token
        target_port=9,
        web="",
    )
    app_lock = backup.hold_app_lock()  # noqa: F841 (a restore waits for the bridge too)
    exit_with_parent()
    server.start_server()


if __name__ == "__main__":
    main()

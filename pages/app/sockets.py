"""Guards on NiceGUI's socket.io handlers: a socket acts only for its own tab, and a malformed
frame costs one log line.

NiceGUI looks a frame's tab up by the `client_id` the frame names, whatever socket sent it, so a
socket that learned another tab's id could click in that tab. Here each frame must come from a
socket that tab's handshake registered, have the shape its handler reads, and hold no text
UTF-8 cannot encode; anything else is dropped with one escaped line in the log.
"""

import json
import logging
from collections.abc import Callable
from typing import Any

from nicegui import Client, core

from helpdesk.core.httpguard import has_lone_surrogate

log = logging.getLogger("helpdesk.sockets")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_TEXT_MAX = 500


def _owned(sid: str, msg: Any) -> bool:
    if not isinstance(msg, dict) or not isinstance(msg.get("client_id"), str):
        return False
    client = Client.instances.get(msg["client_id"])
    return client is not None and sid in client._socket_to_document_id


def _event_ok(msg: dict) -> bool:
    args = msg.get("args", [])
    if not isinstance(msg.get("id"), int) or not isinstance(msg.get("listener_id"), str) or not isinstance(args, list):
        return False
    for arg in args:
        if arg is None:
            continue
        if not isinstance(arg, str):
            return False
        try:
            if has_lone_surrogate(json.loads(arg)):
                return False
        except ValueError:
            return False
    return True


CHECKS: dict[str, Callable[[dict], bool]] = {
    "event": _event_ok,
    "javascript_response": lambda msg: isinstance(msg.get("request_id"), str | int),
    "ack": lambda msg: isinstance(msg.get("next_message_id"), int),
    "log": lambda msg: msg.get("level") in LOG_LEVELS and isinstance(msg.get("message"), str),
}


def _dropped(sid: str, name: str, why: str) -> None:
    log.warning("socket %s: dropped a %s frame (%s)", str(sid)[:12].encode("unicode_escape").decode(), name, why)


def _guard(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    check = CHECKS[name]

    def guarded(sid: str, msg: Any = None, *rest: Any) -> Any:
        if not _owned(sid, msg):
            _dropped(sid, name, "not this socket's tab")
            return None
        if not check(msg):
            _dropped(sid, name, "malformed")
            return None
        if name == "log":
            msg = {**msg, "message": msg["message"][:LOG_TEXT_MAX]}
        try:
            return handler(sid, msg, *rest)
        except Exception as error:  # a frame the handler could not read: one line, no traceback
            _dropped(sid, name, type(error).__name__)
            return None

    return guarded


def _guard_handshake(handler: Callable[..., Any]) -> Callable[..., Any]:
    async def guarded(sid: str, data: Any = None, *rest: Any) -> Any:
        fields = ("client_id", "tab_id", "document_id")
        if not isinstance(data, dict) or not all(isinstance(data.get(f), str) for f in fields):
            _dropped(sid, "handshake", "malformed")
            return False
        try:
            return await handler(sid, data, *rest)
        except Exception as error:
            _dropped(sid, "handshake", type(error).__name__)
            return False

    return guarded


def install() -> None:
    handlers = core.sio.handlers["/"]
    if getattr(handlers["event"], "helpdesk_guarded", False):
        return
    for name in CHECKS:
        handlers[name] = _guard(name, handlers[name])
        handlers[name].helpdesk_guarded = True
    handlers["handshake"] = _guard_handshake(handlers["handshake"])

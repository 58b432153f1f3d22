"""The live-update bus: write transactions publish after commit (core/db.py), pages subscribe.

In-process today (NiceGUI runs one process); a Redis pub/sub transport can replace `_deliver`
for several processes without changing publishers or subscribers. Publishing is safe from any
thread: delivery always happens on the event loop that `bind_loop` registered.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from helpdesk.core.views import ChatMessage, RemoteView
from models import SessionEnd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TicketChanged:
    ticket_id: int
    requester_id: int
    assignee_id: int | None
    previous_assignee_id: int | None = None
    created: bool = False


@dataclass(frozen=True)
class SessionsRevoked:
    """Every session of this user ended (deactivated, role changed, password changed...), or
    with `jti`, that one session only (signed out)."""

    user_id: int
    jti: str | None = None
    reason: SessionEnd | None = None


@dataclass(frozen=True)
class MessagePosted:
    """A chat message was saved; an internal one reaches technicians only (domain/policy.py).
    The ticket's requester and assignee say whose pages it concerns."""

    message: ChatMessage
    requester_id: int
    assignee_id: int | None
    ticket_title: str = ""

    @property
    def ticket_id(self) -> int:
        return self.message.ticket_id


@dataclass(frozen=True)
class MessagesSeen:
    ticket_id: int
    user_id: int
    user_name: str
    is_technician: bool
    last_read_id: int


@dataclass(frozen=True)
class Typing:
    ticket_id: int
    user_id: int
    user_name: str
    internal: bool


@dataclass(frozen=True)
class PresenceChanged:
    ticket_id: int
    viewers: tuple[tuple[int, str, bool], ...]  # (user id, name, is technician), one per user


@dataclass(frozen=True)
class DisplayChanged:
    """A wall display was re-paired, edited or revoked: its open board must reload or leave."""

    display_id: int
    revoked: bool


@dataclass(frozen=True)
class RemoteChanged:
    """A remote assistance session was requested, answered or ended."""

    remote: RemoteView

    @property
    def ticket_id(self) -> int:
        return self.remote.ticket_id


@dataclass(frozen=True)
class BoardRecheck:
    """Time for the wall boards to re-read what no other event announces (runtime/jobs.py)."""


Event = (
    TicketChanged
    | SessionsRevoked
    | MessagePosted
    | MessagesSeen
    | Typing
    | PresenceChanged
    | DisplayChanged
    | RemoteChanged
    | BoardRecheck
)
Subscriber = Callable[[Event], None]

_subscribers: list[Subscriber] = []
_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: int | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _loop, _loop_thread
    _loop, _loop_thread = loop, threading.get_ident()


def subscribe(callback: Subscriber) -> Callable[[], None]:
    _subscribers.append(callback)
    return lambda: _subscribers.remove(callback) if callback in _subscribers else None


def publish(event: Event) -> None:
    if _loop is None or _loop.is_closed():
        _deliver(event)  # no server running (CLI, service tests): deliver synchronously
    elif threading.get_ident() == _loop_thread:
        _deliver(event)
    else:
        _loop.call_soon_threadsafe(_deliver, event)


def _deliver(event: Event) -> None:
    for callback in list(_subscribers):
        try:
            callback(event)
        except Exception:  # one broken subscriber must not starve the others
            log.exception("event subscriber failed")

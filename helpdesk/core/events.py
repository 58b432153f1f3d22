"""The live-update bus: write transactions publish after commit (core/db.py), pages subscribe.

An event is delivered to this process's subscribers at once. With several processes a transport
(`set_transport`: Redis pub/sub, helpdesk/core/cluster.py) also carries it to the others, which
deliver it to theirs (`deliver_from_elsewhere`); publishers and subscribers do not change.
Publishing is safe from any thread: delivery always happens on the event loop that `bind_loop`
registered.
"""

import asyncio
import json
import logging
import threading
import typing
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

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


@dataclass(frozen=True)
class InstanceViewers:
    """Who looks at a ticket on one process of a cluster (domain/presence.py): each process
    merges the others' into the `PresenceChanged` it gives its own pages."""

    instance: str
    ticket_id: int
    viewers: tuple[tuple[int, str, bool], ...]


@dataclass(frozen=True)
class InstanceAlive:
    """A process of a cluster is alive (every few seconds); `fresh`: it has just started (or
    reconnected) and asks the others for their viewers."""

    instance: str
    fresh: bool = False


@dataclass(frozen=True)
class BusResumed:
    """This process missed events (its link to the other processes was down): pages re-read
    what they show from the database. Never sent to other processes."""


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
    | InstanceViewers
    | InstanceAlive
    | BusResumed
)
# Computed by each process for its own pages: never carried to the others.
LOCAL_ONLY = (PresenceChanged, BusResumed)
_ADAPTERS: dict[str, TypeAdapter] = {cls.__name__: TypeAdapter(cls) for cls in typing.get_args(Event)}


def encode(event: Event) -> bytes:
    """An event as one JSON line, for another process."""
    name = type(event).__name__
    return json.dumps({"type": name, "event": _ADAPTERS[name].dump_python(event, mode="json")}).encode() + b"\n"


def decode(line: bytes) -> Event:
    """The event a line carries; ValueError if it carries none."""
    try:
        data = json.loads(line)
        return _ADAPTERS[data["type"]].validate_python(data["event"])
    except (ValueError, KeyError, TypeError, ValidationError) as error:
        raise ValueError("not an event") from error


Subscriber = Callable[[Event], None]

_subscribers: list[Subscriber] = []
_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: int | None = None
_transport: Subscriber | None = None


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _loop, _loop_thread
    _loop, _loop_thread = loop, threading.get_ident()


def subscribe(callback: Subscriber) -> Callable[[], None]:
    _subscribers.append(callback)
    return lambda: _subscribers.remove(callback) if callback in _subscribers else None


def set_transport(send: Subscriber | None) -> None:
    """What also carries every event (but the LOCAL_ONLY ones) to the other processes; None: none."""
    global _transport
    _transport = send


def publish(event: Event) -> None:
    if _transport is not None and not isinstance(event, LOCAL_ONLY):
        _transport(event)
    deliver_from_elsewhere(event)


def deliver_from_elsewhere(event: Event) -> None:
    """To this process's subscribers only: an event another process published (or a local one)."""
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

"""Bridges the core's event bus to open pages.

Broad events (a ticket changed, sessions revoked) go through NiceGUI events, which run each
subscriber in its page's context and drop it with its client: technicians' queues listen there.
Everything else is routed by key: a message or a ticket change reaches only the pages showing its
ticket (`by_ticket`) and the pages of the people it concerns (`by_user`: an employee's own list,
notifier and remote prompt), called synchronously in their page's context, so one change costs
work for the pages concerned only, not for every connected employee.
"""

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import Event, app, background_tasks, run, ui

from helpdesk import chat, events

log = logging.getLogger(__name__)
T = TypeVar("T")

ticket_changed: Event[events.TicketChanged] = Event()
sessions_revoked: Event[events.SessionsRevoked] = Event()
message_posted: Event[events.MessagePosted] = Event()  # for dashboards' unread counts
display_changed: Event[events.DisplayChanged] = Event()  # for the administrators' list of displays


class Registry:
    """Callbacks keyed by an id, each bound to an element whose page it belongs to."""

    def __init__(self) -> None:
        self._entries: dict[int, dict[int, tuple[ui.element, Callable[[Any], Any]]]] = defaultdict(dict)

    def add(self, key: int, element: ui.element, callback: Callable[[Any], Any]) -> None:
        entries = self._entries[key]
        token = id(callback)
        entries[token] = (element, callback)
        element.client.on_delete(lambda: self._remove(key, token))

    def _remove(self, key: int, token: int) -> None:
        entries = self._entries.get(key)
        if entries is not None:
            entries.pop(token, None)
            if not entries:
                del self._entries[key]

    def dispatch(self, key: int | None, event: Any) -> None:
        for element, callback in list(self._entries.get(key, {}).values()) if key is not None else ():
            if element.is_deleted:
                continue
            try:
                with element:
                    result = callback(event)
                if inspect.isawaitable(result):
                    background_tasks.create(_in_context(element, result), name="live update")
            except Exception:  # one broken page must not starve the others
                log.exception("live update failed")

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._entries.values())


async def _in_context(element: ui.element, awaitable: Any) -> None:
    with element:
        await awaitable


by_ticket = Registry()
by_user = Registry()


def _forward(event: events.Event) -> None:
    match event:
        case events.MessagePosted():
            by_ticket.dispatch(event.ticket_id, event)
            by_user.dispatch(event.requester_id, event)
            if event.assignee_id != event.requester_id:
                by_user.dispatch(event.assignee_id, event)
            message_posted.emit(event)
        case events.MessagesSeen() | events.Typing() | events.PresenceChanged():
            by_ticket.dispatch(event.ticket_id, event)
        case events.TicketChanged():
            by_ticket.dispatch(event.ticket_id, event)
            by_user.dispatch(event.requester_id, event)
            ticket_changed.emit(event)
        case events.SessionsRevoked():
            sessions_revoked.emit(event)
        case events.DisplayChanged():
            display_changed.emit(event)
        case events.RemoteChanged():
            by_user.dispatch(event.employee_id, event)
            if event.technician_id != event.employee_id:
                by_user.dispatch(event.technician_id, event)
            by_ticket.dispatch(event.ticket_id, event)


_unsubscribe = None


def install() -> None:
    """Connect the bus to the pages; a fresh app start drops every old page subscription."""
    global _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    for event in (ticket_changed, sessions_revoked, message_posted, display_changed):
        event.callbacks.clear()
    by_ticket.clear()
    by_user.clear()
    _unsubscribe = events.subscribe(_forward)
    start_background_work()


SEEN_FLUSH_SECONDS = 1.0


async def io_bound(callback: Callable[..., T], *args: Any) -> T:
    """`run.io_bound` for background work: the result even when it is None, and CancelledError when
    the app stops mid-call (NiceGUI 3 answers None then), so a periodic job ends quietly instead of
    failing on a None it did not expect."""
    boxed = await run.io_bound(lambda: (callback(*args),))
    if boxed is None:
        raise asyncio.CancelledError
    return boxed[0]


async def _flush_seen() -> None:
    await io_bound(chat.flush_seen)


def start_background_work() -> None:
    """Process-wide periodic jobs of the pages layer (called once per app start)."""
    app.timer(SEEN_FLUSH_SECONDS, _flush_seen)

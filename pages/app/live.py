"""Routes the core's live events to the open tabs, with each event's audience applied once.

A tab subscribes to what it shows: a ticket (`on_ticket`), what concerns its user (`on_user`:
an employee's own list, the notifier, the remote prompt, the end of their sessions), or every
event of some kinds (`on_every`: technicians' queues, the administrators' list of displays).
Before any callback runs, `policy.may_receive(tab.user, event)` decides whether this tab's user
may have the event at all: a subscriber added tomorrow cannot be handed an internal note.
Callbacks run synchronously in their element's page context (a coroutine becomes a task), and are
dropped with their page; one event costs work for the tabs concerned only.
"""

import inspect
import logging
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any, Protocol

from nicegui import background_tasks, ui

from helpdesk.core import events
from helpdesk.domain import policy
from models import User

log = logging.getLogger(__name__)


class Viewer(Protocol):
    """A tab as live routing knows it (pages/app/tab.py): whose it is, now."""

    user: User


class Registry:
    """Callbacks keyed by what they follow, each bound to a tab and to an element of its page."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, dict[int, tuple[Viewer, ui.element, Callable[[Any], Any]]]] = defaultdict(dict)

    def add(self, key: Hashable, tab: Viewer, element: ui.element, callback: Callable[[Any], Any]) -> None:
        entries = self._entries[key]
        token = id(callback)
        entries[token] = (tab, element, callback)
        element.client.on_delete(lambda: self._remove(key, token))

    def _remove(self, key: Hashable, token: int) -> None:
        entries = self._entries.get(key)
        if entries is not None:
            entries.pop(token, None)
            if not entries:
                del self._entries[key]

    def dispatch(self, key: Hashable | None, event: events.Event) -> None:
        for tab, element, callback in list(self._entries.get(key, {}).values()) if key is not None else ():
            if element.is_deleted or not policy.may_receive(tab.user, event):
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
by_kind = Registry()


def on_ticket(tab: Viewer, ticket_id: int, element: ui.element, callback: Callable[[Any], Any]) -> None:
    """Every event about this ticket that the tab's user may receive."""
    by_ticket.add(ticket_id, tab, element, callback)


def on_user(tab: Viewer, element: ui.element, callback: Callable[[Any], Any]) -> None:
    """Events that concern the tab's user: their tickets, their remote sessions, their sign-ins."""
    by_user.add(tab.user.id, tab, element, callback)


def on_every(tab: Viewer, element: ui.element, callback: Callable[[Any], Any], *kinds: type) -> None:
    """Every event of these kinds that the tab's user may receive."""
    for kind in kinds:
        by_kind.add(kind, tab, element, callback)


def _forward(event: events.Event) -> None:
    match event:
        case events.MessagePosted():
            by_ticket.dispatch(event.ticket_id, event)
            by_user.dispatch(event.requester_id, event)
            if event.assignee_id != event.requester_id:
                by_user.dispatch(event.assignee_id, event)
        case events.MessagesSeen() | events.Typing() | events.PresenceChanged():
            by_ticket.dispatch(event.ticket_id, event)
        case events.TicketChanged():
            by_ticket.dispatch(event.ticket_id, event)
            by_user.dispatch(event.requester_id, event)
        case events.SessionsRevoked():
            by_user.dispatch(event.user_id, event)
        case events.RemoteChanged():
            by_user.dispatch(event.remote.employee_id, event)
            if event.remote.technician_id != event.remote.employee_id:
                by_user.dispatch(event.remote.technician_id, event)
            by_ticket.dispatch(event.ticket_id, event)
    by_kind.dispatch(type(event), event)


_unsubscribe = None


def install() -> None:
    """Connect the bus to the pages; a fresh app start drops every old page subscription."""
    global _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    for registry in (by_ticket, by_user, by_kind):
        registry.clear()
    _unsubscribe = events.subscribe(_forward)

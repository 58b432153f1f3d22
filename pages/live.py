"""Bridges the core's event bus into NiceGUI events, which run each subscriber in its page's
context and drop it when the page's client goes away."""

from nicegui import Event

from helpdesk import events

ticket_changed: Event[events.TicketChanged] = Event()
sessions_revoked: Event[events.SessionsRevoked] = Event()
message_posted: Event[events.MessagePosted] = Event()
messages_seen: Event[events.MessagesSeen] = Event()
typing: Event[events.Typing] = Event()
presence_changed: Event[events.PresenceChanged] = Event()

_ROUTES: dict[type, Event] = {
    events.TicketChanged: ticket_changed,
    events.SessionsRevoked: sessions_revoked,
    events.MessagePosted: message_posted,
    events.MessagesSeen: messages_seen,
    events.Typing: typing,
    events.PresenceChanged: presence_changed,
}


def _forward(event: events.Event) -> None:
    _ROUTES[type(event)].emit(event)


_unsubscribe = None


def install() -> None:
    """Connect the bus to the NiceGUI events; a fresh app start drops every old page subscription."""
    global _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    for event in _ROUTES.values():
        event.callbacks.clear()
    _unsubscribe = events.subscribe(_forward)

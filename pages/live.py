"""Bridges the core's event bus into NiceGUI events, which run each subscriber in its page's
context and drop it when the page's client goes away."""

from nicegui import Event

from helpdesk import events

ticket_changed: Event[events.TicketChanged] = Event()
sessions_revoked: Event[events.SessionsRevoked] = Event()


def _forward(event: events.Event) -> None:
    if isinstance(event, events.TicketChanged):
        ticket_changed.emit(event)
    elif isinstance(event, events.SessionsRevoked):
        sessions_revoked.emit(event)


_unsubscribe = None


def install() -> None:
    """Connect the bus to the NiceGUI events; a fresh app start drops every old page subscription."""
    global _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    ticket_changed.callbacks.clear()
    sessions_revoked.callbacks.clear()
    _unsubscribe = events.subscribe(_forward)

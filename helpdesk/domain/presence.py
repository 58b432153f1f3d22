"""Who is looking at a ticket right now, and who is typing. In memory: it describes live
connections of this process, which end with it (a Redis set would share it between processes)."""

from collections import defaultdict

from helpdesk.core import events
from models import User

_views: dict[int, dict[str, tuple[int, str, bool]]] = defaultdict(dict)


def viewers(ticket_id: int) -> tuple[tuple[int, str, bool], ...]:
    """One entry per user (several tabs count once), in the order they arrived."""
    unique: dict[int, tuple[int, str, bool]] = {}
    for viewer in _views.get(ticket_id, {}).values():
        unique.setdefault(viewer[0], viewer)
    return tuple(unique.values())


def join(ticket_id: int, view_key: str, user: User) -> None:
    before = viewers(ticket_id)
    _views[ticket_id][view_key] = (user.id, user.name, user.is_technician)
    if viewers(ticket_id) != before:
        events.publish(events.PresenceChanged(ticket_id, viewers(ticket_id)))


def leave(ticket_id: int, view_key: str) -> None:
    before = viewers(ticket_id)
    _views.get(ticket_id, {}).pop(view_key, None)
    if not _views.get(ticket_id):
        _views.pop(ticket_id, None)
    if viewers(ticket_id) != before:
        events.publish(events.PresenceChanged(ticket_id, viewers(ticket_id)))


def typing(user: User, ticket_id: int, internal: bool) -> None:
    events.publish(events.Typing(ticket_id, user.id, user.name, internal))


def reset() -> None:
    _views.clear()

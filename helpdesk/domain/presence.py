"""Who is looking at a ticket right now, and who is typing.

In memory: it describes the live connections of this process, which end with it. In a cluster
(helpdesk/core/cluster.py) each process also tells the others who looks at a ticket on its pages
(`InstanceViewers`) and that it is alive (`InstanceAlive`, every HEARTBEAT seconds); each merges
them into the viewers its own pages show. A process not heard from for EXPIRY seconds has died:
its viewers go. A process that starts, or whose link to Redis comes back, asks the others for
theirs (`fresh`).
"""

import time
from collections import defaultdict

from helpdesk.core import events
from models import User

Viewer = tuple[int, str, bool]  # (user id, name, is technician)
HEARTBEAT = 2.0  # seconds
EXPIRY = 8.0  # seconds without a word from a process: it is gone, and so are its viewers

_views: dict[int, dict[str, Viewer]] = defaultdict(dict)
_elsewhere: dict[str, dict[int, tuple[Viewer, ...]]] = {}  # instance -> ticket -> its viewers
_heard: dict[str, float] = {}  # instance -> when it was last heard from (monotonic)
_instance: str | None = None  # this process's name once it shares presence
_unsubscribe = None


def _here(ticket_id: int) -> tuple[Viewer, ...]:
    unique: dict[int, Viewer] = {}
    for viewer in _views.get(ticket_id, {}).values():
        unique.setdefault(viewer[0], viewer)
    return tuple(unique.values())


def viewers(ticket_id: int) -> tuple[Viewer, ...]:
    """One entry per user (several tabs, or several processes, count once): this process's in
    the order they arrived, then the other processes'."""
    merged = {viewer[0]: viewer for viewer in _here(ticket_id)}
    for tickets in _elsewhere.values():
        for viewer in tickets.get(ticket_id, ()):
            merged.setdefault(viewer[0], viewer)
    return tuple(merged.values())


def join(ticket_id: int, view_key: str, user: User) -> None:
    before = viewers(ticket_id), _here(ticket_id)
    _views[ticket_id][view_key] = (user.id, user.name, user.is_technician)
    _changed(ticket_id, *before)


def leave(ticket_id: int, view_key: str) -> None:
    before = viewers(ticket_id), _here(ticket_id)
    _views.get(ticket_id, {}).pop(view_key, None)
    if not _views.get(ticket_id):
        _views.pop(ticket_id, None)
    _changed(ticket_id, *before)


def _changed(ticket_id: int, before: tuple[Viewer, ...], here_before: tuple[Viewer, ...]) -> None:
    if _instance is not None and _here(ticket_id) != here_before:
        events.publish(events.InstanceViewers(_instance, ticket_id, _here(ticket_id)))
    if viewers(ticket_id) != before:
        events.publish(events.PresenceChanged(ticket_id, viewers(ticket_id)))


def typing(user: User, ticket_id: int, internal: bool) -> None:
    events.publish(events.Typing(ticket_id, user.id, user.name, internal))


# In a cluster ---------------------------------------------------------------------------------


def share(instance: str) -> None:
    """From now on, tell the other processes of the cluster (and hear from them), as `instance`."""
    global _instance, _unsubscribe
    stop_sharing()
    _instance = instance
    _unsubscribe = events.subscribe(_on_event)
    _announce()


def _announce() -> None:
    """Ask the others for their viewers (they forget what they knew of ours), then tell ours."""
    assert _instance is not None
    events.publish(events.InstanceAlive(_instance, fresh=True))
    for ticket_id in list(_views):
        events.publish(events.InstanceViewers(_instance, ticket_id, _here(ticket_id)))


def stop_sharing() -> None:
    global _instance, _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    _instance, _unsubscribe = None, None
    _elsewhere.clear()
    _heard.clear()


def heartbeat() -> None:
    """The job (runtime/jobs.py, every HEARTBEAT seconds, in each process). Its own event, delivered
    here on the event loop, also drops the processes that went silent (`_on_event`)."""
    if _instance is not None:
        events.publish(events.InstanceAlive(_instance))


def _on_event(event: events.Event) -> None:
    match event:
        case events.InstanceViewers(instance=instance) if instance != _instance:
            _heard[instance] = time.monotonic()
            before = viewers(event.ticket_id)
            tickets = _elsewhere.setdefault(instance, {})
            if event.viewers:
                tickets[event.ticket_id] = event.viewers
            else:
                tickets.pop(event.ticket_id, None)
            if viewers(event.ticket_id) != before:
                events.publish(events.PresenceChanged(event.ticket_id, viewers(event.ticket_id)))
        case events.InstanceAlive(instance=instance) if instance != _instance:
            _heard[instance] = time.monotonic()
            if event.fresh and _instance is not None:  # (re)started or back: it tells its viewers anew
                _forget(instance)
                for ticket_id in list(_views):
                    events.publish(events.InstanceViewers(_instance, ticket_id, _here(ticket_id)))
        case events.InstanceAlive():
            now = time.monotonic()
            for instance in [name for name, heard in _heard.items() if now - heard > EXPIRY]:
                del _heard[instance]
                _forget(instance)
        case events.BusResumed() if _instance is not None:
            _announce()


def _forget(instance: str) -> None:
    tickets = _elsewhere.pop(instance, {})
    for ticket_id in tickets:
        events.publish(events.PresenceChanged(ticket_id, viewers(ticket_id)))


def reset() -> None:
    _views.clear()
    _elsewhere.clear()
    _heard.clear()

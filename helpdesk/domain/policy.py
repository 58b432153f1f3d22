"""Who may see and do what, written once. Services check with these before they read or write,
and the pages' live routing asks `may_receive` before it hands an event to a tab."""

from sqlmodel import Session

from helpdesk.core import events
from helpdesk.core.errors import N_, NotAuthenticated, NotFound, PermissionDenied
from models import Ticket, User


def load_actor(session: Session, actor: User) -> User:
    """The actor as the database knows them now: a deactivated or re-roled account acts no more."""
    current = session.get(User, actor.id)
    if current is None or not current.is_active or current.token_version != actor.token_version:
        raise NotAuthenticated(N_("Your session has ended. Please sign in again."))
    return current


def is_admin(user: User) -> bool:
    """Administrators are technicians with the admin right (an employee's flag counts for nothing)."""
    return user.is_technician and user.is_admin


def can_view(user: User, ticket: Ticket) -> bool:
    return user.is_technician or ticket.requester_id == user.id


def may_see_message(user: User, requester_id: int, internal: bool) -> bool:
    """A message of a ticket: technicians see all of them, the requester all but internal notes."""
    return user.is_technician or (requester_id == user.id and not internal)


def visible_ticket(session: Session, actor: User, ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket, if the actor may see it. One the actor may not see answers exactly like one
    that does not exist, so its number tells an outsider nothing."""
    ticket = session.get(Ticket, ticket_id, with_for_update=lock)
    if ticket is None or not can_view(actor, ticket):
        raise NotFound(N_("This ticket does not exist."))
    return ticket


def require_technician(actor: User, refusal: str) -> None:
    if not actor.is_technician:
        raise PermissionDenied(refusal)


def may_receive(user: User, event: events.Event) -> bool:
    """The audience of each live event. Applied once, where events are routed to pages, so that a
    new subscriber cannot receive what its user may not see (an internal note above all)."""
    match event:
        case events.MessagePosted():
            return may_see_message(user, event.requester_id, event.message.internal)
        case events.Typing():
            return user.is_technician or not event.internal
        case events.TicketChanged():
            return user.is_technician or event.requester_id == user.id
        case events.RemoteChanged():
            return user.id in (event.remote.employee_id, event.remote.technician_id)
        case events.SessionsRevoked():
            return event.user_id == user.id
        case events.DisplayChanged():
            return is_admin(user)
        case events.MessagesSeen() | events.PresenceChanged():
            # Routed only to the pages of their ticket, each opened after `visible_ticket`, and a
            # ticket's requester never changes.
            return True
        case events.BusResumed():
            return True  # says nothing but "re-read what you may already read"
    return False

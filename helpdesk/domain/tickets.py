"""Tickets: who may see and change what, state changes, the timeline, live updates.

Every rule about tickets is here, once: the pages and the REST API both call these functions.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update as sql_update
from sqlmodel import Session

from helpdesk.core import db, events
from helpdesk.core.errors import N_, Conflict, HelpdeskError, InvalidInput, NotFound, PermissionDenied
from helpdesk.domain import notify, policy, remote
from helpdesk.domain.policy import load_actor
from helpdesk.domain.timeline import TimelineEntry, entries
from helpdesk.domain.timeline import record as record_timeline
from models import Category, Priority, Status, Ticket, TicketEventKind, User
from models.clock import utcnow
from models.ticket import DESCRIPTION_MAX, PRIORITY_RANK, TITLE_MAX, TITLE_MIN

# The fields each role may change through `update`; anything else is refused.
EMPLOYEE_FIELDS = frozenset({"title", "description", "status"})
TECHNICIAN_FIELDS = frozenset({"status", "priority", "category", "assignee_id"})
UNSET: object = object()


@dataclass
class TicketView:
    """A ticket with the names a screen shows next to it."""

    ticket: Ticket
    requester_name: str
    assignee_name: str | None


@dataclass
class Changes:
    title: str | None = None
    description: str | None = None
    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    assignee_id: int | object | None = UNSET

    def requested(self) -> set[str]:
        names = {n for n in ("title", "description", "status", "priority", "category") if getattr(self, n) is not None}
        return names | ({"assignee_id"} if self.assignee_id is not UNSET else set())


def validate_title(title: str) -> str:
    title = " ".join(title.split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise InvalidInput(N_("The title must be {min} to {max} characters."), min=TITLE_MIN, max=TITLE_MAX)
    return title


def validate_description(description: str) -> str:
    description = description.strip()
    if not description:
        raise InvalidInput(N_("Describe the problem."))
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(N_("The description must be at most {max} characters."), max=DESCRIPTION_MAX)
    return description


def note_response(ticket: Ticket, actor: User, now: datetime) -> bool:
    """The ticket's first response: a technician's (other than the requester's) first public reply
    in the chat, or by email. Taking or changing the ticket is not a response. True if this was it."""
    if ticket.first_response_at is None and actor.is_technician and actor.id != ticket.requester_id:
        ticket.first_response_at = now
        return True
    return False


def _record(session: Session, ticket: Ticket, actor: User, kind: TicketEventKind, old: object, new: object) -> None:
    record_timeline(session, ticket.id, actor.id, kind, old, new, at=ticket.updated_at)
    notify.ticket_event(session, ticket, actor, kind, old, new)  # the emails it causes, in this transaction


def publish_change(
    session: Session, ticket: Ticket, previous_assignee_id: int | None = None, created: bool = False
) -> None:
    """The ticket's open views and queues refresh once this transaction commits."""
    event = events.TicketChanged(ticket.id, ticket.requester_id, ticket.assignee_id, previous_assignee_id, created)
    db.publish(session, event)


def create(actor: User, title: str, description: str, priority: Priority, category: Category) -> Ticket:
    title, description = validate_title(title), validate_description(description)
    priority, category = Priority(priority), Category(category)
    with db.write_session() as session:
        actor = load_actor(session, actor)
        now = utcnow()
        ticket = Ticket(
            title=title,
            description=description,
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            category=category,
            requester_id=actor.id,
            created_at=now,
            updated_at=now,
        )
        session.add(ticket)
        session.flush()
        _record(session, ticket, actor, TicketEventKind.created, None, Status.open)
        publish_change(session, ticket, created=True)
    return ticket


def get(actor: User, ticket_id: int) -> TicketView:
    with db.read_session() as session:
        actor = load_actor(session, actor)
        ticket = policy.visible_ticket(session, actor, ticket_id)
        requester = session.get(User, ticket.requester_id)
        assignee = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
        return TicketView(ticket, requester.name if requester else "?", assignee.name if assignee else None)


def timeline(actor: User, ticket_id: int, after_id: int = 0) -> list[TimelineEntry]:
    """The ticket's history, oldest first; `after_id` gives only what came since."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        policy.visible_ticket(session, actor, ticket_id)
        return entries(session, ticket_id, after_id)


def take(actor: User, ticket_id: int) -> Ticket:
    """Assign an unassigned ticket to oneself. Atomic: of two at once, one wins, the other learns who."""
    with db.write_session() as session:
        actor = load_actor(session, actor)
        ticket = policy.visible_ticket(session, actor, ticket_id)
        policy.require_technician(actor, N_("Only technicians can take tickets."))
        now = utcnow()
        # The condition makes the take atomic on every backend: only one UPDATE can match.
        result = session.execute(
            sql_update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.assignee_id.is_(None))
            .values(assignee_id=actor.id, updated_at=now)
        )
        session.refresh(ticket)
        if result.rowcount == 0:
            if ticket.assignee_id == actor.id:
                raise Conflict(N_("You have already taken this ticket."))
            holder = session.get(User, ticket.assignee_id)
            raise Conflict(N_("{name} has already taken this ticket."), name=holder.name if holder else "?")
        ticket.updated_at = now
        session.add(ticket)
        _record(session, ticket, actor, TicketEventKind.assignee, None, actor.id)
        publish_change(session, ticket)
    return ticket


def update(actor: User, ticket_id: int, changes: Changes) -> Ticket:
    """Apply several changes at once, each allowed for the actor's role, each on the timeline."""
    requested = changes.requested()
    with db.write_session() as session:
        actor = load_actor(session, actor)
        ticket = policy.visible_ticket(session, actor, ticket_id, lock=True)
        _check_allowed(actor, ticket, changes, requested)
        previous_assignee, previous_update = ticket.assignee_id, ticket.updated_at
        now = utcnow()
        ticket.updated_at = now  # the time stamp of this change's timeline entries
        changed = _apply(session, actor, ticket, changes, now)
        if changed:
            # Resolved or given to someone else: its remote session ends in this same transaction.
            remote.end_for_ticket(session, ticket, actor.id)
            publish_change(session, ticket, previous_assignee_id=previous_assignee)
        else:
            ticket.updated_at = previous_update
        session.add(ticket)
    return ticket


def _check_allowed(actor: User, ticket: Ticket, changes: Changes, requested: set[str]) -> None:
    if actor.is_technician:
        refused = requested - TECHNICIAN_FIELDS
        if refused:
            raise PermissionDenied(N_("Technicians cannot change the title or description of a ticket."))
        return
    refused = requested - EMPLOYEE_FIELDS
    if refused:
        raise PermissionDenied(N_("Only technicians can change priority, category or assignee."))
    reopening = changes.status == Status.open and ticket.status == Status.resolved
    if changes.status not in (None, ticket.status) and not reopening:
        raise PermissionDenied(N_("You can only reopen a resolved ticket."))
    if requested & {"title", "description"} and ticket.status != Status.open:
        raise PermissionDenied(N_("Only an open ticket can be edited."))


def _apply(session: Session, actor: User, ticket: Ticket, changes: Changes, now: datetime) -> bool:
    changed = False
    if changes.title is not None:
        changed |= _set(session, actor, ticket, "title", TicketEventKind.title, validate_title(changes.title))
    if changes.description is not None:
        description = validate_description(changes.description)
        if description != ticket.description:
            # The timeline notes the edit; the old text is not copied into it.
            ticket.description = description
            _record(session, ticket, actor, TicketEventKind.description, None, None)
            changed = True
    if changes.priority is not None:
        priority = Priority(changes.priority)
        if _set(session, actor, ticket, "priority", TicketEventKind.priority, priority):
            ticket.priority_rank = PRIORITY_RANK[priority]
            changed = True
    if changes.category is not None:
        changed |= _set(session, actor, ticket, "category", TicketEventKind.category, Category(changes.category))
    if changes.assignee_id is not UNSET:
        changed |= _assign(session, actor, ticket, changes.assignee_id)  # type: ignore[arg-type]
    if changes.status is not None:
        changed |= _set_status(session, actor, ticket, Status(changes.status), now)
    return changed


def _set(session: Session, actor: User, ticket: Ticket, name: str, kind: TicketEventKind, value: object) -> bool:
    old = getattr(ticket, name)
    if old == value:
        return False
    setattr(ticket, name, value)
    _record(session, ticket, actor, kind, old, value)
    return True


def _assign(session: Session, actor: User, ticket: Ticket, assignee_id: int | None) -> bool:
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_technician or not assignee.is_active:
            raise InvalidInput(N_("Tickets can only be assigned to an active technician."))
    return _set(session, actor, ticket, "assignee_id", TicketEventKind.assignee, assignee_id)


def _set_status(session: Session, actor: User, ticket: Ticket, status: Status, now: datetime) -> bool:
    if status == Status.in_progress and ticket.assignee_id is None:
        # Starting work on an unassigned ticket means taking it.
        _assign(session, actor, ticket, actor.id)
    if not _set(session, actor, ticket, "status", TicketEventKind.status, status):
        return False
    ticket.resolved_at = now if status == Status.resolved else None
    return True


def set_status(actor: User, ticket_id: int, status: Status) -> Ticket:
    return update(actor, ticket_id, Changes(status=status))


def set_priority(actor: User, ticket_id: int, priority: Priority) -> Ticket:
    return update(actor, ticket_id, Changes(priority=priority))


def set_category(actor: User, ticket_id: int, category: Category) -> Ticket:
    return update(actor, ticket_id, Changes(category=category))


def assign(actor: User, ticket_id: int, assignee_id: int | None) -> Ticket:
    return update(actor, ticket_id, Changes(assignee_id=assignee_id))


def edit(actor: User, ticket_id: int, title: str | None = None, description: str | None = None) -> Ticket:
    return update(actor, ticket_id, Changes(title=title, description=description))


def reopen(actor: User, ticket_id: int) -> Ticket:
    return update(actor, ticket_id, Changes(status=Status.open))


BULK_MAX = 100


@dataclass
class BulkResult:
    done: list[int]
    # ticket id -> why it was left as it was (a HelpdeskError, its message for the reader to translate)
    refused: dict[int, HelpdeskError]


def bulk(actor: User, ticket_ids: list[int], changes: Changes | None = None, *, take_them: bool = False) -> BulkResult:
    """The same change on several tickets (the queue's selected rows), technicians only.

    Each ticket is changed in its own transaction by the same service as one at a time, so each
    gets its own timeline entry and live update, and one refusal (taken meanwhile, gone) leaves
    the others done.
    """
    with db.read_session() as session:
        policy.require_technician(load_actor(session, actor), N_("Only technicians can change several tickets."))
    if not 1 <= len(ticket_ids) <= BULK_MAX:
        raise InvalidInput(N_("Select 1 to {max} tickets."), max=BULK_MAX)
    if (changes is None) == (not take_them):
        raise InvalidInput(N_("Choose one action for the selected tickets."))
    result = BulkResult([], {})
    for ticket_id in dict.fromkeys(ticket_ids):
        try:
            if take_them:
                take(actor, ticket_id)
            else:
                assert changes is not None
                update(actor, ticket_id, changes)
        except (InvalidInput, Conflict, NotFound, PermissionDenied) as refusal:
            result.refused[ticket_id] = refusal
        else:
            result.done.append(ticket_id)
    return result

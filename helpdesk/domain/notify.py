"""Who hears what by email, written once, and each person's choices.

The ticket and chat services call `ticket_event` and `message_posted` inside their write
transaction: each notice is saved with the change that causes it, or not at all, as one plain
insert (the write stays short: SQLite has one writer). After the delay the outbox job
(domain/outbox.py) gathers a person's notices on a ticket into one email, and applies what
needs reading there: their choices (`wants`), their account still active, what they saw live.
"""

from collections.abc import Iterable

from sqlalchemy import insert
from sqlmodel import Session, select

from helpdesk.core import db
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, InvalidInput
from helpdesk.domain.policy import load_actor
from models import (
    MailPreference,
    Message,
    Notice,
    NoticeKind,
    Role,
    Status,
    Ticket,
    TicketEventKind,
    User,
)
from models.clock import utcnow

EMPLOYEE_KINDS = (NoticeKind.reply, NoticeKind.taken, NoticeKind.resolved, NoticeKind.reopened)
TECHNICIAN_KINDS = (NoticeKind.new_ticket, NoticeKind.assigned, NoticeKind.reply, NoticeKind.reopened)
LABELS = {
    NoticeKind.reply: N_("A reply on my tickets (for technicians: on tickets assigned to me)"),
    NoticeKind.taken: N_("My ticket is taken by a technician"),
    NoticeKind.resolved: N_("My ticket is resolved"),
    NoticeKind.reopened: N_("A ticket of mine is reopened"),
    NoticeKind.new_ticket: N_("A new ticket is opened"),
    NoticeKind.assigned: N_("Someone assigns a ticket to me"),
}


def kinds_for(user: User) -> tuple[NoticeKind, ...]:
    """The choices a person has: technicians' and requesters' (a technician may report a problem too)."""
    if not user.is_technician:
        return EMPLOYEE_KINDS
    return TECHNICIAN_KINDS + tuple(k for k in EMPLOYEE_KINDS if k not in TECHNICIAN_KINDS)


def _default(kind: NoticeKind) -> bool:
    return get_settings().mail_new_tickets if kind == NoticeKind.new_ticket else True


def preferences(actor: User) -> dict[NoticeKind, bool]:
    with db.read_session() as session:
        actor = load_actor(session, actor)
        rows = session.exec(select(MailPreference).where(MailPreference.user_id == actor.id)).all()
        chosen = {NoticeKind(row.kind): row.enabled for row in rows}
        return {kind: chosen.get(kind, _default(kind)) for kind in kinds_for(actor)}


def set_preference(actor: User, kind: NoticeKind | str, enabled: bool) -> None:
    with db.write_session() as session:
        actor = load_actor(session, actor)
        if kind not in kinds_for(actor):
            raise InvalidInput(N_("There is no such email to choose."))
        row = session.get(MailPreference, (actor.id, kind))
        if row is None:
            row = MailPreference(user_id=actor.id, kind=NoticeKind(kind), enabled=enabled)
        row.enabled = enabled
        session.add(row)


def wants(session: Session, user: User, kind: NoticeKind) -> bool:
    if not user.is_active or kind not in kinds_for(user):
        return False
    row = session.get(MailPreference, (user.id, kind))
    return row.enabled if row is not None else _default(kind)


def _notify(
    session: Session,
    user_ids: Iterable[int | None],
    ticket: Ticket,
    kind: NoticeKind,
    actor: User,
    message: Message | None = None,
) -> None:
    """Queue a notice for each of `user_ids` (once each, never to its own author), in one statement."""
    if get_settings().smtp_url is None:
        return
    now, message_id = utcnow(), message.id if message is not None else None
    rows = [
        {"user_id": user_id, "ticket_id": ticket.id, "kind": kind, "actor_id": actor.id, "message_id": message_id,
         "created_at": now}
        for user_id in dict.fromkeys(user_ids)
        if user_id is not None and user_id != actor.id
    ]  # fmt: skip
    if rows:
        session.execute(insert(Notice), rows)


def ticket_event(
    session: Session, ticket: Ticket, actor: User, kind: TicketEventKind, old: object, new: object
) -> None:
    """A ticket's change, as its timeline records it: who must hear of it."""
    if kind == TicketEventKind.created:
        technicians = session.exec(select(User.id).where(User.role == Role.technician, User.is_active)).all()
        _notify(session, technicians, ticket, NoticeKind.new_ticket, actor)
    elif kind == TicketEventKind.assignee and new is not None:
        assignee_id = int(new)  # type: ignore[call-overload]
        if old is None:  # told as taken by the assignee, whoever assigned it
            _notify(session, [ticket.requester_id], ticket, NoticeKind.taken, session.get(User, assignee_id) or actor)
        _notify(session, [assignee_id], ticket, NoticeKind.assigned, actor)  # not when they took it themselves
    elif kind == TicketEventKind.status and new == Status.resolved:
        _notify(session, [ticket.requester_id], ticket, NoticeKind.resolved, actor)
    elif kind == TicketEventKind.status and old == Status.resolved:
        _notify(session, [ticket.requester_id, ticket.assignee_id], ticket, NoticeKind.reopened, actor)


def message_posted(session: Session, ticket: Ticket, message: Message, actor: User) -> None:
    """A chat message (or an email reply): the requester hears a technician's public reply, the
    assignee any reply on their ticket. An internal note is never queued for an employee (and
    the outbox checks again before it writes one into an email)."""
    requester = ticket.requester_id if actor.is_technician and not message.internal else None
    _notify(session, [requester, ticket.assignee_id], ticket, NoticeKind.reply, actor, message)

"""Remote assistance: a technician asks, the employee consents, the bridge carries the screen.

The technician assigned to a ticket requests a view-only or control session; the employee
accepts or declines within two minutes. Only while a session is accepted can its technician
get bridge tokens: random, single use, 60 seconds, stored as SHA-256 digests. The bridge
(helpdesk/bridge/server.py, another process) redeems a token for the workstation's address and keeps
asking `bridge_alive` so that an ended session loses its connection within two seconds.
Every step is written on the ticket's timeline.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, select
from sqlmodel.sql.expression import Select

from helpdesk.core import db, events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, Conflict, InvalidInput, NotFound, PermissionDenied
from helpdesk.core.security import plausible_token, token_digest
from helpdesk.core.views import RemoteView
from helpdesk.domain import policy, timeline
from helpdesk.domain.netpolicy import Policy
from helpdesk.domain.policy import load_actor
from helpdesk.domain.timeline import RemoteDetail
from models import (
    BRIDGE_REASONS,
    EndReason,
    RemoteAssistance,
    RemoteMode,
    RemoteStatus,
    RemoteStep,
    RemoteToken,
    Status,
    Ticket,
    TicketEvent,
    TicketEventKind,
    User,
)
from models.clock import utcnow

REQUEST_SECONDS = 120
TOKEN_SECONDS = 60
HOST_MAX = 255
LIVE = (RemoteStatus.requested, RemoteStatus.accepted)


@dataclass(frozen=True)
class Grant:
    """What the bridge may connect to, for whom."""

    remote_id: int
    technician_id: int
    host: str
    port: int
    view_only: bool


def _validate_address(host: str, port: int) -> tuple[str, int]:
    host = host.strip()
    if not host or len(host) > HOST_MAX or any(c.isspace() or c in "/?#@" for c in host):
        raise InvalidInput(N_("Enter the workstation's host name or IP address."))
    if not 1 <= int(port) <= 65535:
        raise InvalidInput(N_("The VNC port must be between 1 and 65535."))
    Policy.from_settings().check(host, int(port))
    return host, int(port)


def workstation(user: User) -> tuple[str | None, int]:
    """Where remote assistance connects: the profile's address, else the address of the last
    sign-in when it is in an allowed network (the address the server saw, never a header the
    browser chose: see HELPDESK_TRUSTED_PROXIES)."""
    port = user.workstation_port or get_settings().remote_default_port
    if user.workstation_host:
        return user.workstation_host, port
    if user.last_address and Policy.from_settings().allows(user.last_address, port):
        return user.last_address, port
    return None, port


def _record(session: Session, remote: RemoteAssistance, actor_id: int | None, detail: RemoteDetail) -> None:
    timeline.record_remote(session, remote.ticket_id, actor_id, detail)


def _view(session: Session, remote: RemoteAssistance) -> RemoteView:
    """The session as pages show it. (`session.get` answers from the session's identity map
    once the ticket and user are loaded.)"""
    technician = session.get(User, remote.technician_id)
    ticket = session.get(Ticket, remote.ticket_id)
    address = f"{remote.host}:{remote.port}"
    title, name = ticket.title if ticket else "?", technician.name if technician else "?"
    r = remote
    answer_by = r.requested_at + timedelta(seconds=REQUEST_SECONDS) if r.status == RemoteStatus.requested else None
    return RemoteView(
        r.id, r.ticket_id, r.employee_id, r.technician_id, r.status, r.mode, name, title, address, r.end_reason,
        answer_by,
    )  # fmt: skip


def _publish(session: Session, remote: RemoteAssistance) -> None:
    """Both people's pages learn of this step once the transaction commits."""
    db.publish(session, events.RemoteChanged(_view(session, remote)))


def _get(session: Session, actor: User, remote_id: int) -> RemoteAssistance:
    remote = session.get(RemoteAssistance, remote_id)
    # Someone who is not part of the session learns nothing about it.
    if remote is None or actor.id not in (remote.technician_id, remote.employee_id):
        raise NotFound(N_("This remote session does not exist."))
    return remote


def request(
    actor: User, ticket_id: int, mode: RemoteMode, host: str | None = None, port: int | None = None
) -> RemoteAssistance:
    mode = RemoteMode(mode)
    network = Policy.from_settings()
    network.require_configured()
    with db.write_session() as session:
        actor = load_actor(session, actor)
        if not actor.is_technician:
            raise NotFound(N_("This ticket does not exist or is not yours to see."))
        ticket = policy.visible_ticket(session, actor, ticket_id)
        if ticket.assignee_id != actor.id:
            raise PermissionDenied(N_("Only the technician assigned to the ticket can ask for remote assistance."))
        if ticket.status == Status.resolved:
            raise InvalidInput(N_("This ticket is resolved."))
        employee = session.get(User, ticket.requester_id)
        if employee is None or employee.id == actor.id or not employee.is_active:
            raise InvalidInput(N_("Remote assistance needs an active requester other than you."))
        busy = session.exec(_live(RemoteAssistance.ticket_id == ticket_id).limit(1)).first()
        if busy is not None:
            raise Conflict(N_("A remote session is already pending or running on this ticket."))
        if host is not None:
            # The technician corrects the workstation's address: it is kept on the employee's profile.
            chosen_port = port if port is not None else get_settings().remote_default_port
            employee.workstation_host, employee.workstation_port = _validate_address(host, chosen_port)
            session.add(employee)
        target_host, target_port = workstation(employee)
        if not target_host:
            raise InvalidInput(N_("No workstation address is known for {name}. Enter it."), name=employee.name)
        network.check(target_host, target_port)  # a profile's address may predate the policy
        remote = RemoteAssistance(
            ticket_id=ticket_id,
            technician_id=actor.id,
            employee_id=employee.id,
            mode=mode,
            host=target_host,
            port=target_port,
        )
        session.add(remote)
        session.flush()
        _record(session, remote, actor.id, RemoteDetail(RemoteStep.requested, mode))
        _publish(session, remote)
    return remote


def answer(actor: User, remote_id: int, accept: bool) -> RemoteAssistance:
    with db.write_session() as session:
        actor = load_actor(session, actor)
        remote = _get(session, actor, remote_id)
        if remote.employee_id != actor.id:
            raise PermissionDenied(N_("Only the employee can answer this request."))
        if remote.status != RemoteStatus.requested:
            raise Conflict(N_("This request was already answered or withdrawn."))
        now = utcnow()
        if now - remote.requested_at > timedelta(seconds=REQUEST_SECONDS):
            raise InvalidInput(N_("This request has expired."))
        remote.status = RemoteStatus.accepted if accept else RemoteStatus.declined
        remote.answered_at = now
        if not accept:
            remote.ended_at = now
        session.add(remote)
        _record(session, remote, actor.id, RemoteDetail(RemoteStep(remote.status.value), remote.mode))
        _publish(session, remote)
    return remote


def _end(session: Session, remote: RemoteAssistance, actor_id: int | None, reason: EndReason, now: datetime) -> None:
    """Ends a live session: on the timeline, and on both people's pages once the commit is done."""
    began = remote.started_at or remote.answered_at or now
    remote.status = RemoteStatus.expired if reason == EndReason.expired else RemoteStatus.ended
    remote.ended_at = now
    remote.end_reason = reason
    session.add(remote)
    if reason == EndReason.expired:
        _record(session, remote, None, RemoteDetail(RemoteStep.expired, remote.mode))
    else:
        seconds = int((now - began).total_seconds()) if remote.answered_at else 0
        _record(session, remote, actor_id, RemoteDetail(RemoteStep.ended, reason=reason, seconds=seconds))
    _publish(session, remote)


def end(actor: User, remote_id: int) -> RemoteAssistance:
    """Either side stops the session (a technician may also withdraw an unanswered request)."""
    with db.write_session() as session:
        actor = load_actor(session, actor)
        remote = _get(session, actor, remote_id)
        if remote.status not in LIVE:
            return remote
        if remote.status == RemoteStatus.requested:
            reason = EndReason.cancelled
        else:
            reason = EndReason.employee if actor.id == remote.employee_id else EndReason.technician
        _end(session, remote, actor.id, reason, utcnow())
    return remote


def _live(*conditions: Any) -> Select:
    return select(RemoteAssistance).where(RemoteAssistance.status.in_(LIVE), *conditions)


def end_for_technician(session: Session, technician_id: int, reason: EndReason) -> None:
    """In the caller's transaction: a technician who signs out, or may act no more, leaves no
    session running."""
    now = utcnow()
    for remote in session.exec(_live(RemoteAssistance.technician_id == technician_id)).all():
        _end(session, remote, technician_id if reason == EndReason.signed_out else None, reason, now)


def end_for_ticket(session: Session, ticket: Ticket, actor_id: int) -> None:
    """In the ticket service's transaction: a ticket reassigned or resolved ends its session."""
    now = utcnow()
    for remote in session.exec(_live(RemoteAssistance.ticket_id == ticket.id)).all():
        if ticket.status == Status.resolved or ticket.assignee_id != remote.technician_id:
            _end(session, remote, actor_id, EndReason.reassigned, now)


def sweep() -> list[RemoteAssistance]:
    """Expires stale requests and ends sessions past their limit, idle, or whose ticket moved on."""
    settings = get_settings()
    live_now = _live()
    # Runs every second: most of the time nothing is live, and a read takes no write lock.
    with db.read_session() as session:
        if session.exec(live_now.limit(1)).first() is None:
            return []
    now = utcnow()
    ended: list[RemoteAssistance] = []
    with db.write_session() as session:
        for remote in session.exec(live_now).all():
            reason = _stale_reason(session, remote, now, settings.remote_max_minutes, settings.remote_idle_minutes)
            if reason is not None:
                _end(session, remote, None, reason, now)
                ended.append(remote)
    return ended


def _stale_reason(
    session: Session, remote: RemoteAssistance, now: datetime, max_minutes: float, idle: float
) -> EndReason | None:
    if remote.status == RemoteStatus.requested:
        return EndReason.expired if now - remote.requested_at > timedelta(seconds=REQUEST_SECONDS) else None
    if not _still_assigned(session, remote):
        return EndReason.reassigned
    assert remote.answered_at is not None
    if now - (remote.started_at or remote.answered_at) > timedelta(minutes=max_minutes):
        return EndReason.time_limit
    if now - (remote.bridge_seen_at or remote.answered_at) > timedelta(minutes=idle):
        return EndReason.idle
    return None


def _still_assigned(session: Session, remote: RemoteAssistance) -> bool:
    ticket = session.get(Ticket, remote.ticket_id)
    technician = session.get(User, remote.technician_id)
    return (
        ticket is not None
        and ticket.assignee_id == remote.technician_id
        and ticket.status != Status.resolved
        and technician is not None
        and technician.is_active
    )


def live_for(actor: User) -> list[RemoteView]:
    """The actor's pending or running sessions, either side (what a page shows when it opens)."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        found = session.exec(
            select(RemoteAssistance)
            .where(
                RemoteAssistance.status.in_(LIVE),
                (RemoteAssistance.employee_id == actor.id) | (RemoteAssistance.technician_id == actor.id),
            )
            .order_by(RemoteAssistance.id)
        ).all()
        return [_view(session, remote) for remote in found]


def target_for(actor: User, ticket_id: int) -> tuple[str | None, int]:
    """The requester's workstation address, for the ticket's assigned technician to check."""
    Policy.from_settings().require_configured()
    with db.read_session() as session:
        actor = load_actor(session, actor)
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.assignee_id != actor.id:
            raise PermissionDenied(N_("Only the technician assigned to the ticket can ask for remote assistance."))
        employee = session.get(User, ticket.requester_id)
        assert employee is not None
        return workstation(employee)


@dataclass(frozen=True)
class BridgeTicket:
    """What the technician's viewer needs: the one-use token and whether the session is view only."""

    token: str
    view_only: bool


def issue_token(actor: User, remote_id: int) -> BridgeTicket:
    """A bridge token for the session's own technician, while the employee's consent stands."""
    token = secrets.token_urlsafe(32)
    with db.write_session() as session:
        actor = load_actor(session, actor)
        remote = _get(session, actor, remote_id)
        if remote.technician_id != actor.id or remote.status != RemoteStatus.accepted:
            raise PermissionDenied(N_("This remote session is not open to you."))
        session.add(
            RemoteToken(
                token_hash=token_digest(token),
                session_id=remote.id,
                technician_id=actor.id,
                expires_at=utcnow() + timedelta(seconds=TOKEN_SECONDS),
            )
        )
        view_only = remote.mode == RemoteMode.view
    return BridgeTicket(token, view_only)


# The bridge's side: no user session there, only tokens.


def redeem_token(token: str) -> Grant | None:
    """Burns the token (one use), then says where it leads, if the session is still on."""
    if not plausible_token(token):
        return None
    now = utcnow()
    with db.write_session() as session:
        row = session.exec(
            update(RemoteToken)
            .where(
                RemoteToken.token_hash == token_digest(token),
                RemoteToken.used_at.is_(None),
                RemoteToken.expires_at > now,
            )
            .values(used_at=now)
            .returning(RemoteToken.session_id, RemoteToken.technician_id)
        ).first()
        if row is None:
            return None
        remote = session.get(RemoteAssistance, row[0])
        if remote is None or remote.status != RemoteStatus.accepted or remote.technician_id != row[1]:
            return None
        if not _still_assigned(session, remote):
            return None
        return Grant(remote.id, remote.technician_id, remote.host, remote.port, remote.mode == RemoteMode.view)


def bridge_refused(grant: Grant, reason: EndReason) -> None:
    """The bridge would not carry this session (see EndReason): it ends, with the reason on the
    timeline and on both people's pages."""
    with db.write_session() as session:
        remote = session.get(RemoteAssistance, grant.remote_id)
        if remote is None or remote.status not in LIVE:
            return
        _end(session, remote, None, reason, utcnow())


def bridge_alive(grant: Grant) -> bool:
    with db.read_session() as session:
        remote = session.get(RemoteAssistance, grant.remote_id)
        return remote is not None and remote.status == RemoteStatus.accepted and _still_assigned(session, remote)


def bridge_seen(grant: Grant, first: bool = False) -> None:
    """The bridge is carrying this session now (its first connection starts it on the timeline)."""
    now = utcnow()
    with db.write_session() as session:
        remote = session.get(RemoteAssistance, grant.remote_id)
        if remote is None:
            return
        remote.bridge_seen_at = now
        if first and remote.started_at is None:
            remote.started_at = now
            _record(session, remote, None, RemoteDetail(RemoteStep.started, remote.mode))
        session.add(remote)


def newest_remote_event_id() -> int:
    with db.read_session() as session:
        return session.exec(
            select(func.coalesce(func.max(TicketEvent.id), 0)).where(TicketEvent.kind == TicketEventKind.remote)
        ).one()


def tickets_with_remote_events_after(event_id: int) -> list[tuple[int, int, int | None, int]]:
    """(ticket id, requester, assignee, newest event id) of the tickets with remote steps written
    since `event_id`, such as the bridge's."""
    with db.read_session() as session:
        return list(
            session.exec(
                select(Ticket.id, Ticket.requester_id, Ticket.assignee_id, func.max(TicketEvent.id))
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(TicketEvent.kind == TicketEventKind.remote, TicketEvent.id > event_id)
                .group_by(Ticket.id, Ticket.requester_id, Ticket.assignee_id)
            ).all()
        )


def bridge_refusals_after(event_id: int) -> list[events.RemoteChanged]:
    """Sessions the bridge refused to carry since timeline entry `event_id`, as the events that
    tell the pages (the bridge runs in another process and publishes nothing itself)."""
    with db.read_session() as session:
        ticket_ids = select(TicketEvent.ticket_id).where(
            TicketEvent.kind == TicketEventKind.remote,
            TicketEvent.id > event_id,
            TicketEvent.to_value == RemoteStep.ended,
            TicketEvent.actor_id.is_(None),
        )
        # One session per ticket can be live: the ticket's latest is the one that just ended.
        latest = (
            select(func.max(RemoteAssistance.id))
            .where(RemoteAssistance.ticket_id.in_(ticket_ids))
            .group_by(RemoteAssistance.ticket_id)
        )
        ended = RemoteAssistance.id.in_(latest), RemoteAssistance.end_reason.in_(BRIDGE_REASONS)
        refused = session.exec(select(RemoteAssistance).where(*ended)).all()
        return [events.RemoteChanged(_view(session, remote)) for remote in refused]

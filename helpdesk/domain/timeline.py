"""A ticket's timeline: the only writer of its rows, and the one reader that gives them types.

Rows keep the two text columns the REST API has always shown (`from_value`, `to_value`). A
remote-assistance step stores its mode, or for an end "reason:seconds", in `from_value`: that
format is written and read here only, and everyone else gets a typed `RemoteDetail`.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from models import EndReason, RemoteMode, RemoteStep, TicketEvent, TicketEventKind, User
from models.clock import utcnow


@dataclass(frozen=True)
class RemoteDetail:
    step: RemoteStep
    mode: RemoteMode | None = None
    reason: EndReason | None = None
    seconds: int = 0


@dataclass
class TimelineEntry:
    id: int
    kind: TicketEventKind
    actor_name: str | None
    from_value: str | None
    to_value: str | None
    created_at: datetime
    remote: RemoteDetail | None = None


def record(
    session: Session,
    ticket_id: int,
    actor_id: int | None,
    kind: TicketEventKind,
    old: object = None,
    new: object = None,
    at: datetime | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            actor_id=actor_id,
            kind=kind,
            from_value=None if old is None else str(old)[:255],
            to_value=None if new is None else str(new)[:255],
            created_at=at or utcnow(),
        )
    )


def record_remote(
    session: Session,
    ticket_id: int,
    actor_id: int | None,
    detail: RemoteDetail,
) -> None:
    if detail.step == RemoteStep.ended:
        packed = f"{detail.reason}:{detail.seconds}"
    else:
        packed = detail.mode.value if detail.mode else None
    record(session, ticket_id, actor_id, TicketEventKind.remote, packed, detail.step.value)


def _remote_detail(row: TicketEvent) -> RemoteDetail | None:
    if row.kind != TicketEventKind.remote or row.to_value not in RemoteStep.__members__:
        return None
    step = RemoteStep(row.to_value)
    if step != RemoteStep.ended:
        mode = row.from_value if row.from_value in RemoteMode.__members__ else None
        return RemoteDetail(step, RemoteMode(mode) if mode else None)
    reason, _sep, seconds = (row.from_value or "").partition(":")
    return RemoteDetail(
        step,
        reason=EndReason(reason) if reason in EndReason.__members__ else None,
        seconds=int(seconds) if seconds.isdigit() else 0,
    )


def entries(session: Session, ticket_id: int, after_id: int = 0) -> list[TimelineEntry]:
    """The ticket's history, oldest first, with assignees by name (`after_id`: only what came since).
    The caller has checked that its actor may see the ticket."""
    rows = session.exec(
        select(TicketEvent, User.name)
        .join(User, User.id == TicketEvent.actor_id, isouter=True)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.id > after_id)
        .order_by(TicketEvent.id)
    ).all()
    names = _assignee_names(session, [e for e, _ in rows])
    return [
        TimelineEntry(
            e.id,
            e.kind,
            name,
            names.get(e.from_value, e.from_value),
            names.get(e.to_value, e.to_value),
            e.created_at,
            _remote_detail(e),
        )
        for e, name in rows
    ]


def _assignee_names(session: Session, rows: list[TicketEvent]) -> dict[str | None, str | None]:
    ids = {int(v) for e in rows if e.kind == TicketEventKind.assignee for v in (e.from_value, e.to_value) if v}
    if not ids:
        return {}
    return {str(u.id): u.name for u in session.exec(select(User).where(User.id.in_(ids)))}

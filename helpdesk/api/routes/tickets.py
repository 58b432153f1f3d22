"""Tickets: the queue, one ticket, its changes and its timeline."""

from dataclasses import asdict
from datetime import date
from typing import Annotated, TypeVar

from fastapi import Query, Request

from helpdesk.api.deps import CurrentUser, IdempotencyKeyHeader, ItemId
from helpdesk.api.routes.common import router
from helpdesk.api.schemas import (
    TicketCreate,
    TicketPage,
    TicketPublic,
    TicketSummary,
    TicketUpdate,
    TimelineEvent,
    UserRef,
)
from helpdesk.domain import idempotency, queue, tickets
from helpdesk.domain.queue import PER_PAGE_MAX, QUERY_MAX, QueueQuery, Sort
from helpdesk.domain.tickets import UNSET, Changes
from models import Category, Priority, Status, Ticket, User

T = TypeVar("T", bound=TicketSummary)


def _ref(user_id: int | None, name: str | None) -> UserRef | None:
    return UserRef(id=user_id, name=name or "?") if user_id is not None else None


def _ticket(actor: User, ticket_id: int) -> TicketPublic:
    view = tickets.get(actor, ticket_id)
    return _model(TicketPublic, view.ticket, view.requester_name, view.assignee_name)


def _model(model: type[T], ticket: object, requester_name: str, assignee_name: str | None) -> T:
    """A ticket (a row or a queue line) as the API shows it: its own fields, and people as references."""
    fields = {name: getattr(ticket, name) for name in model.model_fields if hasattr(ticket, name)}
    fields["requester"] = UserRef(id=ticket.requester_id, name=requester_name)  # type: ignore[attr-defined]
    fields["assignee"] = _ref(ticket.assignee_id, assignee_name)  # type: ignore[attr-defined]
    return model.model_validate(fields)


@router.get("/tickets", tags=["tickets"], summary="List tickets (employees: their own)")
def list_tickets(
    actor: CurrentUser,
    status: Status | None = None,
    priority: Priority | None = None,
    category: Category | None = None,
    assignee: Annotated[
        str | None,
        Query(pattern=r"^(me|none|someone|[1-9][0-9]{0,8})$", description="me, none, someone or a user id"),
    ] = None,
    requester: Annotated[int | None, Query(ge=1, le=999_999_999, description="the requester's user id")] = None,
    created_from: Annotated[date | None, Query(description="created on or after this day (UTC)")] = None,
    created_to: Annotated[date | None, Query(description="created on or before this day (UTC)")] = None,
    updated_from: Annotated[date | None, Query(description="last changed on or after this day (UTC)")] = None,
    updated_to: Annotated[date | None, Query(description="last changed on or before this day (UTC)")] = None,
    q: Annotated[
        str,
        Query(
            max_length=QUERY_MAX,
            description="words of the title, description, visible messages or requester's name or email; or #number",
        ),
    ] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=PER_PAGE_MAX)] = 25,
    sort: Sort = Sort.updated,
    descending: bool = True,
) -> TicketPage:
    result = queue.list_tickets(
        actor,
        QueueQuery(
            q=q,
            sort=sort,
            descending=descending,
            page=page,
            per_page=per_page,
            status=status,
            priority=priority,
            category=category,
            assignee=assignee,
            requester=requester,
            created_from=created_from,
            created_to=created_to,
            updated_from=updated_from,
            updated_to=updated_to,
        ),
    )
    items = [_model(TicketSummary, r, r.requester_name, r.assignee_name) for r in result.items]
    return TicketPage(items=items, total=result.total, page=result.page, per_page=result.per_page)


@router.post("/tickets", tags=["tickets"], status_code=201)
def create_ticket(
    body: TicketCreate, actor: CurrentUser, request: Request, idempotency_key: IdempotencyKeyHeader = None
) -> TicketPublic:
    def write() -> TicketPublic:
        ticket = tickets.create(actor, body.title, body.description, body.priority, body.category)
        return _model(TicketPublic, ticket, actor.name, None)  # the caller's, unassigned: no second read

    print_ = idempotency.fingerprint("POST", request.url.path, body.model_dump_json().encode())
    return idempotency.once(actor, idempotency_key, print_, Ticket, write, lambda made: _ticket(actor, made))


@router.get("/tickets/{ticket_id}", tags=["tickets"])
def get_ticket(ticket_id: ItemId, actor: CurrentUser) -> TicketPublic:
    return _ticket(actor, ticket_id)


@router.patch("/tickets/{ticket_id}", tags=["tickets"])
def update_ticket(ticket_id: ItemId, body: TicketUpdate, actor: CurrentUser) -> TicketPublic:
    changes = Changes(
        title=body.title,
        description=body.description,
        status=body.status,
        priority=body.priority,
        category=body.category,
        assignee_id=body.assignee_id if "assignee_id" in body.model_fields_set else UNSET,
    )
    tickets.update(actor, ticket_id, changes)
    return _ticket(actor, ticket_id)


@router.post("/tickets/{ticket_id}/take", tags=["tickets"], summary="Assign to oneself (technicians; atomic)")
def take_ticket(
    ticket_id: ItemId, actor: CurrentUser, request: Request, idempotency_key: IdempotencyKeyHeader = None
) -> TicketPublic:
    print_ = idempotency.fingerprint("POST", request.url.path, b"")
    idempotency.once(actor, idempotency_key, print_, None, lambda: tickets.take(actor, ticket_id), lambda _: None)
    return _ticket(actor, ticket_id)


@router.get("/tickets/{ticket_id}/events", tags=["tickets"], summary="The ticket's timeline, oldest first")
def ticket_events(ticket_id: ItemId, actor: CurrentUser) -> list[TimelineEvent]:
    return [
        TimelineEvent.model_validate({**asdict(entry), "actor": entry.actor_name})
        for entry in tickets.timeline(actor, ticket_id)
    ]

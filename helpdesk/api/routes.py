"""REST API v1. Every route calls the same service functions as the pages, so permissions are
written once (in the services) and a change made here appears live in open browsers."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from helpdesk.api.deps import BearerToken, CurrentUser, ItemId
from helpdesk.api.schemas import (
    AttachmentPublic,
    ErrorBody,
    MessageCreate,
    MessagePublic,
    TicketCreate,
    TicketPage,
    TicketPublic,
    TicketSummary,
    TicketUpdate,
    TimelineEvent,
    TokenRequest,
    TokenResponse,
    UserCreate,
    UserPublic,
    UserRef,
    UserUpdate,
)
from helpdesk.core.errors import InvalidInput, NotAuthenticated
from helpdesk.core.events import MessagePosted
from helpdesk.core.security import ACCESS
from helpdesk.domain import auth, chat, queue, tickets, users
from helpdesk.domain.queue import PER_PAGE_MAX, QUERY_MAX, QueueQuery, Sort
from helpdesk.domain.tickets import UNSET, Changes
from models import Category, Priority, Status, Ticket, User

ERRORS = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.post("/auth/token", tags=["auth"], responses={429: {"model": ErrorBody}})
def token(body: TokenRequest, request: Request) -> TokenResponse:
    address = request.client.host if request.client else "unknown"
    try:
        user = auth.authenticate(body.email, body.password, address)
    except InvalidInput as error:
        raise NotAuthenticated(error.message) from None
    access_token, expires_in = auth.start_api_token(user)
    return TokenResponse(access_token=access_token, expires_in=expires_in)


@router.post("/auth/logout", tags=["auth"], status_code=204)
def logout(credentials: BearerToken) -> Response:
    """Revokes this bearer token now (every token of the account ends on a password change,
    deactivation or role change anyway)."""
    auth.verify(credentials, ACCESS)
    auth.logout(credentials, ACCESS)
    return Response(status_code=204)


def _user(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users/me", tags=["users"])
def me(actor: CurrentUser) -> UserPublic:
    return _user(actor)


@router.get("/users", tags=["users"], summary="All accounts (administrators)")
def list_users(actor: CurrentUser) -> list[UserPublic]:
    return [_user(u) for u in users.list_users(actor)]


@router.post("/users", tags=["users"], status_code=201, summary="Create an account (administrators)")
def create_user(body: UserCreate, actor: CurrentUser) -> UserPublic:
    return _user(users.create(actor, body.email, body.name, body.password, body.role, body.is_admin))


@router.patch(
    "/users/{user_id}", tags=["users"], summary="Change name, role, admin right or activation (administrators)"
)
def update_user(user_id: ItemId, body: UserUpdate, actor: CurrentUser) -> UserPublic:
    user = users.update(actor, user_id, name=body.name, role=body.role, is_admin=body.is_admin, is_active=body.active)
    return _user(user)


def _ref(user_id: int | None, name: str | None) -> UserRef | None:
    return UserRef(id=user_id, name=name or "?") if user_id is not None else None


def _ticket(actor: User, ticket_id: int) -> TicketPublic:
    view = tickets.get(actor, ticket_id)
    return _public(view.ticket, view.requester_name, view.assignee_name)


def _public(t: Ticket, requester_name: str, assignee_name: str | None) -> TicketPublic:
    return TicketPublic(
        id=t.id,
        title=t.title,
        description=t.description,
        status=t.status,
        priority=t.priority,
        category=t.category,
        requester=UserRef(id=t.requester_id, name=requester_name),
        assignee=_ref(t.assignee_id, assignee_name),
        created_at=t.created_at,
        updated_at=t.updated_at,
        first_response_at=t.first_response_at,
        resolved_at=t.resolved_at,
    )


@router.get("/tickets", tags=["tickets"], summary="List tickets (employees: their own)")
def list_tickets(
    actor: CurrentUser,
    status: Status | None = None,
    priority: Priority | None = None,
    category: Category | None = None,
    assignee: Annotated[
        str | None, Query(pattern=r"^(me|none|[1-9][0-9]{0,8})$", description="me, none or a user id")
    ] = None,
    q: Annotated[str, Query(max_length=QUERY_MAX, description="words of the title or description, or #number")] = "",
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
        ),
    )
    items = [
        TicketSummary(
            id=r.id,
            title=r.title,
            status=r.status,
            priority=r.priority,
            category=r.category,
            requester=UserRef(id=r.requester_id, name=r.requester_name),
            assignee=_ref(r.assignee_id, r.assignee_name),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in result.items
    ]
    return TicketPage(items=items, total=result.total, page=result.page, per_page=result.per_page)


@router.post("/tickets", tags=["tickets"], status_code=201)
def create_ticket(body: TicketCreate, actor: CurrentUser) -> TicketPublic:
    ticket = tickets.create(actor, body.title, body.description, body.priority, body.category)
    return _public(ticket, actor.name, None)  # a new ticket is the caller's and unassigned: no second read


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
def take_ticket(ticket_id: ItemId, actor: CurrentUser) -> TicketPublic:
    tickets.take(actor, ticket_id)
    return _ticket(actor, ticket_id)


@router.get("/tickets/{ticket_id}/events", tags=["tickets"], summary="The ticket's timeline, oldest first")
def ticket_events(ticket_id: ItemId, actor: CurrentUser) -> list[TimelineEvent]:
    return [
        TimelineEvent(
            id=e.id,
            kind=e.kind,
            actor=e.actor_name,
            from_value=e.from_value,
            to_value=e.to_value,
            created_at=e.created_at,
        )
        for e in tickets.timeline(actor, ticket_id)
    ]


def _message(m: MessagePosted) -> MessagePublic:
    return MessagePublic(
        id=m.id,
        author=UserRef(id=m.author_id, name=m.author_name),
        body=m.body,
        internal=m.internal,
        created_at=m.created_at,
        attachments=[
            AttachmentPublic(
                id=a.id, filename=a.filename, content_type=a.content_type, size=a.size, url=f"/attachments/{a.id}"
            )
            for a in m.attachments
        ],
    )


@router.get("/tickets/{ticket_id}/messages", tags=["chat"], summary="The ticket's chat, oldest first")
def list_messages(
    ticket_id: ItemId, actor: CurrentUser, after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0
) -> list[MessagePublic]:
    """Internal notes are listed to technicians only."""
    return [_message(m) for m in chat.history(actor, ticket_id, after_id)]


@router.post("/tickets/{ticket_id}/messages", tags=["chat"], status_code=201, responses={429: {"model": ErrorBody}})
def post_message(ticket_id: ItemId, body: MessageCreate, actor: CurrentUser) -> MessagePublic:
    return _message(chat.post(actor, ticket_id, body.body, body.internal))

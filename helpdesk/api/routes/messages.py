"""A ticket's chat: its messages (internal notes for technicians only) and new ones."""

from dataclasses import asdict
from typing import Annotated

from fastapi import Query, Request

from helpdesk.api.deps import CurrentUser, IdempotencyKeyHeader, ItemId
from helpdesk.api.routes.common import router
from helpdesk.api.schemas import (
    ID_MAX,
    AttachmentPublic,
    ErrorBody,
    MessageCreate,
    MessagePublic,
    UserRef,
)
from helpdesk.core.views import ChatMessage
from helpdesk.domain import chat, idempotency
from models import Message


def _message(m: ChatMessage) -> MessagePublic:
    files = [AttachmentPublic.model_validate({**asdict(f), "url": f"/api/v1/attachments/{f.id}"}) for f in m.files]
    author = UserRef(id=m.author_id, name=m.author_name)
    return MessagePublic.model_validate({**asdict(m), "author": author, "attachments": files})


@router.get("/tickets/{ticket_id}/messages", tags=["chat"], summary="The ticket's chat, oldest first")
def list_messages(
    ticket_id: ItemId,
    actor: CurrentUser,
    after_id: Annotated[int, Query(ge=0, le=ID_MAX, description="only messages after this one")] = 0,
    before_id: Annotated[int | None, Query(ge=1, le=ID_MAX, description="only messages before this one")] = None,
    limit: Annotated[int, Query(ge=1, le=chat.HISTORY_LIMIT)] = chat.HISTORY_LIMIT,
) -> list[MessagePublic]:
    """At most `limit` messages, oldest first: the newest ones by default; with `before_id`, the
    newest of those before it (page back by passing the first id you hold); with `after_id`, the
    first ones after it (catch up by passing the last id you hold). Internal notes are listed to
    technicians only."""
    return [_message(m) for m in chat.history(actor, ticket_id, after_id, limit, before_id)]


@router.post("/tickets/{ticket_id}/messages", tags=["chat"], status_code=201, responses={429: {"model": ErrorBody}})
def post_message(
    ticket_id: ItemId,
    body: MessageCreate,
    actor: CurrentUser,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MessagePublic:
    print_ = idempotency.fingerprint("POST", request.url.path, body.model_dump_json().encode())
    posted = idempotency.once(
        actor,
        idempotency_key,
        print_,
        Message,
        lambda: chat.post(actor, ticket_id, body.body, body.internal),
        lambda made: chat.message(actor, ticket_id, made),
    )
    return _message(posted)

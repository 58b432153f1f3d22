"""A ticket's chat: its messages (internal notes for technicians only) and new ones."""

from typing import Annotated

from fastapi import Query

from helpdesk.api.deps import CurrentUser, ItemId
from helpdesk.api.routes.common import router
from helpdesk.api.schemas import (
    AttachmentPublic,
    ErrorBody,
    MessageCreate,
    MessagePublic,
    UserRef,
)
from helpdesk.core.events import MessagePosted
from helpdesk.domain import chat


def _message(m: MessagePosted) -> MessagePublic:
    return MessagePublic(
        id=m.id,
        author=UserRef(id=m.author_id, name=m.author_name),
        body=m.body,
        internal=m.internal,
        created_at=m.created_at,
        attachments=[
            AttachmentPublic(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                url=f"/api/v1/attachments/{a.id}",
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

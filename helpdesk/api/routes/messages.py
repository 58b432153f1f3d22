"""A ticket's chat: its messages (internal notes for technicians only) and new ones."""

from dataclasses import asdict
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
from helpdesk.core.views import ChatMessage
from helpdesk.domain import chat


def _message(m: ChatMessage) -> MessagePublic:
    files = [AttachmentPublic.model_validate({**asdict(f), "url": f"/api/v1/attachments/{f.id}"}) for f in m.files]
    author = UserRef(id=m.author_id, name=m.author_name)
    return MessagePublic.model_validate({**asdict(m), "author": author, "attachments": files})


@router.get("/tickets/{ticket_id}/messages", tags=["chat"], summary="The ticket's chat, oldest first")
def list_messages(
    ticket_id: ItemId, actor: CurrentUser, after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0
) -> list[MessagePublic]:
    """Internal notes are listed to technicians only."""
    return [_message(m) for m in chat.history(actor, ticket_id, after_id)]


@router.post("/tickets/{ticket_id}/messages", tags=["chat"], status_code=201, responses={429: {"model": ErrorBody}})
def post_message(ticket_id: ItemId, body: MessageCreate, actor: CurrentUser) -> MessagePublic:
    return _message(chat.post(actor, ticket_id, body.body, body.internal))

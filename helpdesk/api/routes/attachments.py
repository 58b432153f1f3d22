"""A message's files, for API clients: the same rule as on the app's pages (the ticket, and
the note a file belongs to, must be visible to the caller), with a bearer token."""

from fastapi import Response

from helpdesk.api.deps import CurrentUser, ItemId
from helpdesk.api.files import attachment_response
from helpdesk.api.routes.common import router
from helpdesk.domain import chat


@router.get("/attachments/{attachment_id}", tags=["chat"], summary="A message's file", response_class=Response)
def get_attachment(attachment_id: ItemId, actor: CurrentUser) -> Response:
    return attachment_response(chat.open_attachment(actor, attachment_id))


@router.get(
    "/attachments/{attachment_id}/thumb", tags=["chat"], summary="An image's thumbnail (JPEG)", response_class=Response
)
def get_thumbnail(attachment_id: ItemId, actor: CurrentUser) -> Response:
    return attachment_response(chat.open_attachment(actor, attachment_id, thumbnail=True))

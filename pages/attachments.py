"""`/attachments/{id}` and its thumbnail: served only to users who may see the ticket (and the
note it belongs to); anyone else gets a 404, exactly as for a file that does not exist."""

from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, Response
from nicegui import app, run

from helpdesk import auth, chat
from helpdesk.errors import HelpdeskError


async def _serve(request: Request, attachment_id: str, thumbnail: bool) -> Response:
    session = await run.io_bound(auth.try_verify, request.cookies.get(auth.COOKIE))
    if session is None or not attachment_id.isdigit() or len(attachment_id) > 10:
        return JSONResponse({"detail": "Not found"}, status_code=404)
    try:
        file = await run.io_bound(chat.open_attachment, session.user, int(attachment_id), thumbnail)
    except HelpdeskError:
        return JSONResponse({"detail": "Not found"}, status_code=404)
    # Images display inline; anything else downloads, so a text file can never render as a page.
    inline = file.content_type.startswith("image/") or file.content_type == "application/pdf"
    return FileResponse(
        file.path,
        media_type=file.content_type,
        filename=file.filename,
        content_disposition_type="inline" if inline else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", "Cache-Control": "private"},
    )


async def attachment_route(request: Request, attachment_id: str) -> Response:
    return await _serve(request, attachment_id, thumbnail=False)


async def thumbnail_route(request: Request, attachment_id: str) -> Response:
    return await _serve(request, attachment_id, thumbnail=True)


def register() -> None:
    app.add_api_route("/attachments/{attachment_id}", attachment_route, methods=["GET"], include_in_schema=False)
    app.add_api_route("/attachments/{attachment_id}/thumb", thumbnail_route, methods=["GET"], include_in_schema=False)

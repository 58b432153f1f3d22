"""`/attachments/{id}` and its thumbnail: served only to users who may see the ticket (and the
note it belongs to); anyone else gets a 404, exactly as for a file that does not exist."""

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from nicegui import run, ui
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from helpdesk.api.errors import error_response
from helpdesk.api.files import attachment_response
from helpdesk.core import i18n
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, HelpdeskError
from helpdesk.domain import auth, chat
from pages.app.static import static_url


async def _serve(request: Request, attachment_id: str, thumbnail: bool) -> Response:
    session = await run.io_bound(auth.try_verify, request.cookies.get(auth.COOKIE))
    if session is None or not attachment_id.isdigit() or len(attachment_id) > 10:
        return JSONResponse({"detail": "Not found"}, status_code=404)
    try:
        file = await run.io_bound(chat.open_attachment, session.user, int(attachment_id), thumbnail)
    except HelpdeskError as error:
        return error_response(error, i18n.negotiate(session.user.language, request.headers.get("accept-language")))
    return attachment_response(file)


async def attachment_route(request: Request, attachment_id: str) -> Response:
    return await _serve(request, attachment_id, thumbnail=False)


async def thumbnail_route(request: Request, attachment_id: str) -> Response:
    return await _serve(request, attachment_id, thumbnail=True)


async def upload_route(request: Request, ticket_id: str) -> Response:
    """A file sent from the chat panel: the message is saved, then shown live to every viewer."""
    session = await run.io_bound(auth.try_verify, request.cookies.get(auth.COOKIE))
    origin = request.headers.get("origin")
    same_origin = origin is None or origin == f"{request.url.scheme}://{request.headers.get('host')}"
    if session is None or not same_origin:
        return JSONResponse({"detail": "Not allowed"}, status_code=403)
    if not ticket_id.isdigit() or len(ticket_id) > 10:
        return JSONResponse({"detail": "Not found"}, status_code=404)
    locale = i18n.negotiate(session.user.language, request.headers.get("accept-language"))
    limit = get_settings().attachment_max_bytes
    try:
        async with request.form(max_files=1, max_fields=2, max_part_size=limit + 1) as form:
            file = form.get("file")
            if not isinstance(file, UploadFile):
                return JSONResponse({"detail": i18n.gettext(locale, N_("The file is empty."))}, status_code=422)
            upload = chat.Upload(file.filename or "file", await file.read(limit + 1))
            internal = form.get("internal") == "true"
    except MultiPartException:
        return JSONResponse({"detail": i18n.gettext(locale, N_("This file is too large."))}, status_code=413)
    try:
        posted = await run.io_bound(chat.post, session.user, int(ticket_id), "", internal, upload)
    except HelpdeskError as error:
        return error_response(error, locale)
    return JSONResponse({"id": posted.id}, status_code=201)


def install_upload_script() -> None:
    """On every page: a chosen or pasted file is sent to the ticket's upload route."""
    ui.add_body_html(f'<script src="{static_url("chat-upload.js")}"></script>', shared=True)

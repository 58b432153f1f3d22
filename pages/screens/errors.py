"""The pages for an address that leads nowhere (404) and for a page that failed (500): in the
app's frame, in the visitor's language, with a way back; never NiceGUI's bare exception text."""

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from nicegui import Client, ui
from nicegui.page import page
from starlette.exceptions import HTTPException

from pages.app.i18n import _
from pages.app.tab import open_tab
from pages.app.theme import not_found


async def not_found_route(request: Request, exception: Exception) -> Response:
    """Any address no page or route answers."""
    endpoint = request.scope.get("endpoint")
    if endpoint is not None and not request.scope.get("nicegui_page_path") and isinstance(exception, HTTPException):
        return await http_exception_handler(request, exception)  # a plain route's own 404 stays JSON
    with Client(page("", dark=None), request=request) as client:  # dark as the device is
        tab = await open_tab(request)
        not_found(tab)
    return client.build_response(request, 404)


def failed_page() -> None:
    """Drawn by NiceGUI when a page raised while it was built (the error is logged)."""
    ui.label(_("Something went wrong while showing this page.")).classes("text-xl").mark("page-error")
    ui.label(_("Nothing you saved was lost. Try again in a moment.")).classes("text-muted")
    ui.link(_("Back to the dashboard"), "/").classes("text-primary")

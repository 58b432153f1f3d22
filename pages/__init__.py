"""NiceGUI pages, and every route the app serves in one table: the pages, then the plain HTTP
routes beside them (the REST API's routes are in helpdesk/api/routes/).

The table is here, in the package's own module, because NiceGUI's test harness re-imports the
page modules and their parents for each test: a table kept elsewhere would hold stale pages.
"""

import logging
from collections.abc import Callable
from typing import Any

from nicegui import app as server
from nicegui import ui
from starlette.staticfiles import StaticFiles

from pages.app import attachments, live, sockets, static, theme
from pages.app.attachments import install_upload_script
from pages.kiosk import screen as kiosk
from pages.screens import (
    admin_displays,
    admin_email,
    admin_users,
    dashboard,
    errors,
    login,
    profile,
    remote_viewer,
    ticket,
    ticket_new,
)

log = logging.getLogger(__name__)

PAGES: list[tuple[str, Callable[..., Any]]] = [
    ("/login", login.login_page),
    ("/setup", login.setup_page),
    ("/", dashboard.dashboard_page),
    ("/tickets/new", ticket_new.new_ticket_page),  # before /tickets/{id}, so "new" is not taken for an id
    ("/tickets/{ticket_id}", ticket.ticket_page),
    ("/profile", profile.profile_page),
    ("/admin/users", admin_users.users_page),
    ("/admin/displays", admin_displays.displays_page),
    ("/admin/email", admin_email.email_page),
    ("/remote/{remote_id}/viewer", remote_viewer.viewer_page),
    ("/kiosk", kiosk.kiosk_page),
]

# Cookie-authenticated routes that answer JSON, a file or a redirect (not the REST API).
HTTP: list[tuple[str, str, Callable[..., Any]]] = [
    ("GET", "/auth/session", login.session_route),
    ("POST", "/auth/logout", login.logout_route),
    ("POST", "/tickets/{ticket_id}/attachments", attachments.upload_route),
    ("GET", "/attachments/{attachment_id}", attachments.attachment_route),
    ("GET", "/attachments/{attachment_id}/thumb", attachments.thumbnail_route),
    ("GET", "/kiosk/pair", kiosk.pair_route),
]


def register() -> None:
    """Everything the pages need, on each app start (main.py)."""
    live.install()
    sockets.install()
    static.register()
    theme.register()
    install_upload_script()
    kiosk.start_hub()
    server.add_middleware(login.BrowserId)
    # NiceGUI keeps a storage per browser tab for 30 days by default, one per page load; no page
    # here uses it, so it goes a minute after its tab was last seen.
    server.storage.max_tab_storage_age = 60
    server.add_exception_handler(404, errors.not_found_route)  # in place of NiceGUI's bare page
    server.on_page_exception(errors.failed_page)
    for path, page in PAGES:
        # Light or dark as the device is set (a signed-in user's choice overrides it); the wall board is dark.
        ui.page(path, dark=True if path == "/kiosk" else None)(page)
    for method, path, route in HTTP:
        server.add_api_route(path, route, methods=[method], include_in_schema=False)
    if remote_viewer.NOVNC.exists():
        # A plain mount: third-party files, not part of the API's schema.
        server.mount("/novnc", StaticFiles(directory=remote_viewer.NOVNC), name="novnc")
    else:
        log.warning("noVNC is not installed (npm ci): remote assistance has no viewer")

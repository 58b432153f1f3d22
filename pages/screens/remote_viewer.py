"""`/remote/{id}/viewer`: the technician's view of the workstation, our page around noVNC's
`RFB` (installed from npm, served at /novnc), embedded in the ticket page. It connects to the
bridge with a one-use token; its script and style are pages/static/remote-viewer.{js,css}."""

import logging
from html import escape
from pathlib import Path

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from helpdesk.core.config import get_settings
from helpdesk.domain import remote
from pages.app.i18n import _
from pages.app.static import json_script, static_url
from pages.app.tab import FAILED, open_tab

log = logging.getLogger(__name__)
NOVNC = Path(__file__).parents[2] / "node_modules" / "@novnc" / "novnc"


def _bridge_url(request: Request) -> str:
    settings = get_settings()
    if settings.remote_public_url:
        return settings.remote_public_url
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{request.url.hostname}:{settings.remote_bridge_port}/"


async def viewer_page(request: Request, remote_id: str) -> RedirectResponse | None:
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    ui.add_head_html(f'<link rel="stylesheet" href="{static_url("remote-viewer.css")}">')
    ticket = await page.call(remote.issue_token, int(remote_id)) if remote_id.isdigit() else FAILED
    if ticket is FAILED or not NOVNC.exists():
        message = _("This remote session is not open to you.") if ticket is FAILED else _("noVNC is not installed.")
        ui.label(message).classes("text-white p-4").mark("viewer-refused")
        return None
    text = {
        "connected": _("Connected"),
        "ended": _("Disconnected"),
        "lost": _("The connection to the workstation was lost."),
        "fullscreen": _("Full screen"),
        "exitFullscreen": _("Leave full screen"),
        "fit": _("Fit to the window"),
        "actual": _("Actual size"),
    }
    config = {"url": _bridge_url(request), "token": ticket.token, "viewOnly": ticket.view_only, "text": text}
    password, connecting, connect = escape(_("VNC password")), escape(_("Connecting…")), escape(_("Connect"))
    reconnect, keys = escape(_("Reconnect")), escape(_("Send Ctrl+Alt+Del"))
    cad = f'<button id="remote-cad" type="button" title="{keys}" aria-label="{keys}">Ctrl+Alt+Del</button>'
    cad = "" if ticket.view_only else cad
    ui.html(
        f'<div id="screen"></div>'
        f'<div id="remote-bar"><span id="remote-status" role="status">{connecting}</span>'
        f'<button id="remote-retry" type="button" hidden>{reconnect}</button><span class="grow"></span>'
        f'<button id="remote-scale" type="button" aria-pressed="true">{escape(text["fit"])}</button>{cad}'
        f'<button id="remote-fullscreen" type="button">{escape(text["fullscreen"])}</button></div>'
        f'<div id="remote-password"><form><input type="password" autocomplete="off" placeholder="{password}" '
        f'aria-label="{password}"><button>{connect}</button></form></div>',
        sanitize=False,
    )
    ui.add_body_html(json_script("remote-config", config))
    ui.add_body_html(f'<script type="module" src="{static_url("remote-viewer.js")}"></script>')
    return None

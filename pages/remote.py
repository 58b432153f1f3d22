"""Remote assistance in the pages: the technician's request and viewer, the employee's consent.

The technician asks from the ticket page; the employee gets the prompt on whatever page they
have open (it is part of the frame), and while the session runs, a banner with a Stop button.
The viewer is our own page around noVNC's `RFB` (installed from npm, served at /novnc),
embedded in the ticket page; it connects to the bridge with a one-use token.
"""

import json
import logging
from html import escape
from pathlib import Path

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, background_tasks, ui
from starlette.staticfiles import StaticFiles

from helpdesk import events, remote
from helpdesk.config import get_settings
from helpdesk.events import RemoteChanged
from helpdesk.tickets import TicketView
from models import RemoteMode, Status
from pages import live
from pages.i18n import _
from pages.session import FAILED, PageSession, open_session

log = logging.getLogger(__name__)
NOVNC = Path(__file__).parents[1] / "node_modules" / "@novnc" / "novnc"
SWEEP_SECONDS = 1.0


def _mode_text(mode: str) -> str:
    return _("view only") if mode == RemoteMode.view else _("control")


def bridge_reasons() -> dict[str, str]:
    """Why the bridge would not carry a session, as the technician's page and the timeline say it."""
    return {
        remote.EndReason.address: _("the workstation's address is not allowed for remote assistance"),
        remote.EndReason.not_vnc: _("the workstation did not answer as a VNC server"),
        remote.EndReason.old_rfb: _("the workstation's VNC server is too old (RFB 3.7 or later is needed)"),
        remote.EndReason.unreachable: _("the workstation could not be reached"),
    }


def bridge_refusal_text(reason: str) -> str:
    return _("The bridge refused the connection: {reason}.", reason=bridge_reasons().get(reason, reason))


class EmployeeConsent:
    """On every page of an employee: the request prompt, then the banner while it lasts."""

    def __init__(self, page: PageSession) -> None:
        self.page = page
        self.dialog: ui.dialog | None = None
        self.banner: ui.element | None = None
        self.shown: tuple[int, str] | None = None
        self.anchor = ui.context.client.content
        live.by_user.add(page.user.id, self.anchor, self.on_event)

    async def load(self) -> None:
        with self.anchor:  # a background task starts outside the page's context
            current = await self.page.call(remote.live_for) or []
        if self.shown is not None:
            return  # a live event came meanwhile: it is newer than this snapshot
        for event in current:
            self.on_event(event)

    def on_event(self, event: object) -> None:
        if not isinstance(event, RemoteChanged) or event.employee_id != self.page.user.id:
            return
        # The page's first load and a live event may tell the same thing: show it once.
        if self.shown == (event.session_id, event.status):
            return
        self.shown = (event.session_id, event.status)
        self._close()
        with self.anchor:
            if event.status == "requested":
                self._prompt(event)
            elif event.status == "accepted":
                self._banner(event)
            elif event.status == "expired":
                ui.notify(_("The remote assistance request expired."), type="info")

    def _close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.delete()
            self.dialog = None
        if self.banner is not None:
            self.banner.delete()
            self.banner = None

    def _prompt(self, event: RemoteChanged) -> None:
        if event.mode == RemoteMode.control:
            question = _(
                "{name} asks to control your computer (screen, keyboard and mouse) for ticket #{id} “{title}”.",
                name=event.technician_name, id=event.ticket_id, title=event.ticket_title,
            )  # fmt: skip
        else:
            question = _(
                "{name} asks to see your screen (view only) for ticket #{id} “{title}”.",
                name=event.technician_name, id=event.ticket_id, title=event.ticket_title,
            )  # fmt: skip
        with ui.dialog().props("persistent") as self.dialog, ui.card().classes("w-full max-w-md gap-3"):
            ui.label(_("Remote assistance")).classes("text-lg font-bold")
            ui.label(question).mark("remote-question")
            ui.label(_("It connects to {address} (this computer's VNC server).", address=event.address)).classes(
                "text-sm"
            ).mark("remote-address")
            ui.label(_("You can stop it at any moment.")).classes("text-grey-7 text-sm")
            with ui.row().classes("w-full justify-end"):
                ui.button(_("Decline"), on_click=lambda: self._answer(event.session_id, False)).props("flat")
                ui.button(_("Accept"), on_click=lambda: self._answer(event.session_id, True)).mark("remote-accept")
        self.dialog.open()

    def _banner(self, event: RemoteChanged) -> None:
        if event.mode == RemoteMode.control:
            text = _("{name} is controlling your screen", name=event.technician_name)
        else:
            text = _("{name} is viewing your screen", name=event.technician_name)
        self.banner = ui.element("div").classes(
            "fixed bottom-0 inset-x-0 z-[6000] bg-red-8 text-white flex items-center justify-center gap-4 py-2"
        )
        with self.banner:
            ui.icon("screen_share")
            ui.label(text).classes("font-bold").mark("remote-banner")
            ui.button(_("Stop"), on_click=lambda: self._stop(event.session_id)).props("color=white text-color=red-8")

    async def _answer(self, session_id: int, accept: bool) -> None:
        self._close()
        await self.page.call(remote.answer, session_id, accept)

    async def _stop(self, session_id: int) -> None:
        await self.page.call(remote.end, session_id)


class TechnicianRemote:
    """The ticket page's remote assistance: the button, then the session's state and viewer.

    Both are made when first needed (the button once the ticket is mine, the area below the
    heading once a session exists): every element costs memory on every open ticket page.
    """

    def __init__(self, page: PageSession, ticket_id: int, after: ui.element, actions: ui.element) -> None:
        self.page = page
        self.ticket_id = ticket_id
        self.after = after
        self.actions = actions
        self.area: ui.column | None = None
        self.button: ui.button | None = None
        self.live: RemoteChanged | None = None
        self.heard = False
        self.view: TicketView | None = None
        live.by_ticket.add(ticket_id, actions, self.on_event)
        # A session already running (the technician reloaded the page) shows again.
        background_tasks.create(self.load(), name="remote state")

    async def load(self) -> None:
        with self.actions:
            current = await self.page.call(remote.live_for) or []
        if self.heard:
            return  # a live event came meanwhile: it is newer than this snapshot
        for event in current:
            if event.ticket_id == self.ticket_id:
                self.on_event(event)

    def show(self, view: TicketView) -> None:
        self.view = view
        self._update_button()

    def _update_button(self) -> None:
        t = self.view.ticket if self.view else None
        mine = t is not None and t.assignee_id == self.page.user.id and t.requester_id != self.page.user.id
        visible = bool(mine and t.status != Status.resolved and self.live is None)
        if visible and self.button is None:
            with self.actions:
                self.button = (
                    ui.button(_("Remote assistance"), icon="screen_share", on_click=self.request_dialog)
                    .props("outline")
                    .classes("w-full")
                    .mark("remote-request")
                )
        if self.button is not None:
            self.button.set_visibility(visible)

    def _area(self) -> ui.column:
        if self.area is None:
            container = self.after.parent_slot.parent
            with container:
                self.area = ui.column().classes("w-full gap-2")
            self.area.move(target_index=container.default_slot.children.index(self.after) + 1)
        return self.area

    def on_event(self, event: object) -> None:
        if not isinstance(event, RemoteChanged) or event.technician_id != self.page.user.id:
            return
        if self.live is not None and (self.live.session_id, self.live.status) == (event.session_id, event.status):
            return  # already shown (the page's first load and a live event can both bring it)
        self.heard = True
        self.live = event if event.status in ("requested", "accepted") else None
        self._update_button()
        area = self._area()
        area.clear()
        with area:
            if event.status == "requested":
                self._status_card(_("Waiting for {name}'s answer…", name=self._requester()), event, _("Withdraw"))
            elif event.status == "accepted":
                self._status_card(_("Remote session ({mode})", mode=_mode_text(event.mode)), event, _("End session"))
                title = _("Remote screen")
                ui.element("iframe").props(f'src="/remote/{event.session_id}/viewer" title="{title}"').classes(
                    "w-full h-[520px] border-0 rounded bg-black"
                ).mark("remote-viewer")
            elif event.status == "declined":
                ui.label(_("{name} declined remote assistance.", name=self._requester())).classes("text-grey-8")
            elif event.status == "expired":
                ui.label(_("The request expired without an answer.")).classes("text-grey-8")
            elif event.end_reason in remote.BRIDGE_REASONS:
                ui.label(bridge_refusal_text(event.end_reason)).classes("text-negative").mark("remote-ended")
            else:
                ui.label(_("The remote session has ended.")).classes("text-grey-8").mark("remote-ended")

    def _requester(self) -> str:
        return self.view.requester_name if self.view else "?"

    def _status_card(self, text: str, event: RemoteChanged, stop: str) -> None:
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(text).classes("font-bold").mark("remote-status")
            ui.button(stop, icon="stop", on_click=lambda: self.page.call(remote.end, event.session_id)).props(
                "flat color=negative"
            ).mark("remote-end")

    async def request_dialog(self) -> None:
        target = await self.page.call(remote.target_for, self.ticket_id)
        if target is FAILED:
            return
        host, port = target
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md gap-3"):
            ui.label(_("Remote assistance")).classes("text-lg font-bold")
            mode = ui.radio(
                {RemoteMode.view.value: _("View only"), RemoteMode.control.value: _("Control (keyboard and mouse)")},
                value=RemoteMode.view.value,
            ).mark("remote-mode")
            ui.label(_("Workstation (VNC)")).classes("text-sm text-grey-7")
            with ui.row().classes("w-full no-wrap gap-2"):
                host_input = ui.input(_("Host"), value=host or "").props("maxlength=255").classes("grow")
                host_input.mark("remote-host")
                port_input = ui.number(_("Port"), value=port, min=1, max=65535, precision=0).classes("w-28")
                port_input.mark("remote-port")
            ui.label(_("The employee is asked first. A VNC password, if any, is typed in the viewer.")).classes(
                "text-grey-7 text-sm"
            )

            async def send() -> None:
                chosen_host = (host_input.value or "").strip()
                chosen_port = int(port_input.value or 0)
                changed = (chosen_host, chosen_port) != (host, port)
                result = await self.page.call(
                    remote.request,
                    self.ticket_id,
                    RemoteMode(mode.value),
                    chosen_host if changed or not host else None,
                    chosen_port if changed or not host else None,
                )
                if result is not FAILED:
                    dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button(_("Cancel"), on_click=dialog.close).props("flat")
                ui.button(_("Send request"), on_click=send).mark("remote-send")
        dialog.open()


def _bridge_url(request: Request) -> str:
    settings = get_settings()
    if settings.remote_public_url:
        return settings.remote_public_url
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return f"{scheme}://{request.url.hostname}:{settings.remote_bridge_port}/"


_VIEWER_CSS = """
html, body { margin: 0; height: 100%; background: #111; overflow: hidden; }
.nicegui-content { padding: 0; height: 100vh; }
#screen { position: fixed; inset: 0 0 28px 0; }
#remote-status { position: fixed; left: 0; right: 0; bottom: 0; height: 28px; line-height: 28px; color: #ddd;
  font: 13px system-ui, sans-serif; padding: 0 10px; background: #222; }
#remote-password { position: fixed; inset: 0; display: none; align-items: center; justify-content: center;
  background: rgba(0,0,0,.7); }
#remote-password form { background: #fff; padding: 16px; border-radius: 6px; display: flex; gap: 8px; }
"""

_VIEWER_SCRIPT = """
<script type="module">
import RFB from "/novnc/core/rfb.js";
const cfg = %s;
const status = (text) => { document.getElementById("remote-status").textContent = text; };
const rfb = new RFB(document.getElementById("screen"), cfg.url + "?token=" + encodeURIComponent(cfg.token));
rfb.viewOnly = cfg.viewOnly;
rfb.scaleViewport = true;
rfb.focusOnClick = true;
rfb.addEventListener("connect", () => { status(cfg.text.connected); rfb.focus(); });
rfb.addEventListener("disconnect", () => status(cfg.text.ended));
rfb.addEventListener("credentialsrequired", () => {
  const box = document.getElementById("remote-password");
  box.style.display = "flex";
  box.querySelector("form").onsubmit = (e) => {
    e.preventDefault();
    box.style.display = "none";
    // Straight to the workstation through the bridge: never sent to the helpdesk, never stored.
    rfb.sendCredentials({password: box.querySelector("input").value});
    box.querySelector("input").value = "";
  };
});
window.helpdeskRfb = rfb;
</script>
"""


async def viewer_page(request: Request, session_id: str) -> RedirectResponse | None:
    page = await open_session(request)
    if page is None:
        return RedirectResponse("/login")
    ui.add_css(_VIEWER_CSS)
    ticket = await page.call(remote.issue_token, int(session_id)) if session_id.isdigit() else FAILED
    if ticket is FAILED or not NOVNC.exists():
        message = _("This remote session is not open to you.") if ticket is FAILED else _("noVNC is not installed.")
        ui.label(message).classes("text-white p-4").mark("viewer-refused")
        return None
    config = {
        "url": _bridge_url(request),
        "token": ticket.token,
        "viewOnly": ticket.view_only,
        "text": {"connected": _("Connected"), "ended": _("Disconnected")},
    }
    password, connecting, connect = escape(_("VNC password")), escape(_("Connecting…")), escape(_("Connect"))
    ui.html(
        f'<div id="screen"></div><div id="remote-status">{connecting}</div>'
        f'<div id="remote-password"><form><input type="password" autocomplete="off" placeholder="{password}" '
        f'aria-label="{password}"><button>{connect}</button></form></div>',
        sanitize=False,
    )
    ui.add_body_html(_VIEWER_SCRIPT % json.dumps(config).replace("<", "\\u003c"))
    return None


class _Sweeper:
    """Each second: end what must end, and show steps the bridge wrote (a session's start)."""

    def __init__(self) -> None:
        self.last_event_id: int | None = None

    async def tick(self) -> None:
        await live.io_bound(remote.sweep)
        if self.last_event_id is None:
            self.last_event_id = await live.io_bound(remote.newest_remote_event_id)
            return
        since = self.last_event_id
        for ticket_id, requester_id, assignee_id, newest in await live.io_bound(
            remote.tickets_with_remote_events_after, since
        ):
            self.last_event_id = max(self.last_event_id, newest)
            events.publish(events.TicketChanged(ticket_id, requester_id, assignee_id))
        if self.last_event_id != since:
            for refused in await live.io_bound(remote.bridge_refusals_after, since):
                events.publish(refused)


def register() -> None:
    if NOVNC.exists():
        # A plain mount: third-party files, not part of the API's schema.
        app.mount("/novnc", StaticFiles(directory=NOVNC), name="novnc")
    else:
        log.warning("noVNC is not installed (npm ci): remote assistance has no viewer")
    sweeper = _Sweeper()
    app.timer(SWEEP_SECONDS, sweeper.tick)
    ui.page("/remote/{session_id}/viewer")(viewer_page)

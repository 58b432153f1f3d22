"""The ticket page's remote assistance, for its technician: the button, the request dialog,
then the session's state and the viewer (pages/screens/remote_viewer.py) in an iframe."""

from nicegui import background_tasks, ui

from helpdesk.core.views import RemoteView
from helpdesk.domain import remote
from helpdesk.domain.tickets import TicketView
from models import BRIDGE_REASONS, EndReason, RemoteMode, RemoteStatus, Status
from pages.app import live
from pages.app.i18n import _
from pages.app.tab import FAILED, Tab
from pages.components.controls import countdown, dialog_actions
from pages.components.remote_follower import RemoteFollower


def mode_text(mode: RemoteMode) -> str:
    return _("view only") if mode == RemoteMode.view else _("control")


def end_reason_text(reason: EndReason | None) -> str:
    """Why a session ended, as the timeline and the technician's page say it."""
    texts = {
        EndReason.employee: _("stopped by the requester"),
        EndReason.technician: _("stopped by the technician"),
        EndReason.time_limit: _("time limit reached"),
        EndReason.idle: _("nobody was watching"),
        EndReason.reassigned: _("the ticket moved on"),
        EndReason.signed_out: _("the technician signed out"),
        EndReason.address: _("the workstation's address is not allowed for remote assistance"),
        EndReason.not_vnc: _("the workstation did not answer as a VNC server"),
        EndReason.old_rfb: _("the workstation's VNC server is too old (RFB 3.7 or later is needed)"),
        EndReason.unreachable: _("the workstation could not be reached"),
    }
    return texts.get(reason, str(reason)) if reason is not None else "?"


def bridge_refusal_text(reason: EndReason) -> str:
    return _("The bridge refused the connection: {reason}.", reason=end_reason_text(reason))


class TechnicianRemote(RemoteFollower):
    """The ticket page's remote assistance: the button, then the session's state and viewer.

    Both are made when first needed (the button once the ticket is mine, the area at the top of
    the ticket's main column once a session exists): every element costs memory on every open
    ticket page. While a session runs, a wide screen shows the remote screen beside the
    conversation (app.css `.remote-live`), over the page's whole width.
    """

    def __init__(self, page: Tab, ticket_id: int, main: ui.column, actions: ui.element) -> None:
        super().__init__(page, actions)
        self.ticket_id = ticket_id
        self.main = main
        self.actions = actions
        self.area: ui.column | None = None
        self.button: ui.button | None = None
        self.live: RemoteView | None = None
        self.view: TicketView | None = None
        live.on_ticket(page, ticket_id, actions, self.on_event)
        # A session already running (the technician reloaded the page) shows again.
        background_tasks.create(self.load(), name="remote state")

    def concerns(self, view: RemoteView) -> bool:
        return view.technician_id == self.page.user.id and view.ticket_id == self.ticket_id

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
            with self.main:
                self.area = ui.column().classes("w-full gap-2 remote-area")
            self.area.move(target_index=0)
        return self.area

    def _lay_out(self, watching: bool) -> None:
        content = self.main.parent_slot.parent.parent_slot.parent  # main column -> row -> the page's column
        for element in (self.main, content):
            element.classes(add="remote-live" if watching else None, remove=None if watching else "remote-live")

    def present(self, event: RemoteView) -> None:
        self.live = event if event.status in remote.LIVE else None
        self._update_button()
        self._lay_out(event.status == RemoteStatus.accepted)
        area = self._area()
        area.clear()
        with area:
            if event.status == RemoteStatus.requested:
                self._status_card(_("Waiting for {name}'s answer…", name=self._requester()), event, _("Withdraw"))
                if event.answer_by is not None:
                    left = _("The request expires in {time}.", time="{time}")
                    ui.html(countdown(event.answer_by, left), sanitize=False).classes("text-sm text-muted")
            elif event.status == RemoteStatus.accepted:
                self._status_card(_("Remote session ({mode})", mode=mode_text(event.mode)), event, _("End session"))
                title = _("Remote screen")
                source = f'src="/remote/{event.remote_id}/viewer" title="{title}" allow="fullscreen"'
                ui.element("iframe").props(source).classes("w-full remote-frame border-0 rounded bg-black").mark(
                    "remote-viewer"
                )
            elif event.status == RemoteStatus.declined:
                ui.label(_("{name} declined remote assistance.", name=self._requester())).classes("text-muted")
            elif event.status == RemoteStatus.expired:
                ui.label(_("The request expired without an answer.")).classes("text-muted")
            elif event.end_reason in BRIDGE_REASONS:
                with ui.row().classes("w-full items-center justify-between gap-2"):
                    ui.label(bridge_refusal_text(event.end_reason)).classes("text-negative").mark("remote-ended")
                    # A new request: the employee is asked again (their consent was for that connection).
                    ui.button(_("Try again"), icon="refresh", on_click=self.request_dialog).props("outline").mark(
                        "remote-retry"
                    )
            else:
                ui.label(_("The remote session has ended.")).classes("text-muted").mark("remote-ended")

    def _requester(self) -> str:
        return self.view.requester_name if self.view else "?"

    def _status_card(self, text: str, event: RemoteView, stop: str) -> None:
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(text).classes("font-bold").mark("remote-status")
            ui.button(stop, icon="stop", on_click=lambda: self.page.call(remote.end, event.remote_id)).props(
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
            ui.label(_("Workstation (VNC)")).classes("text-sm text-muted")
            with ui.row().classes("w-full no-wrap gap-2"):
                host_input = ui.input(_("Host"), value=host or "").props("maxlength=255").classes("grow")
                host_input.mark("remote-host")
                port_input = ui.number(_("Port"), value=port, min=1, max=65535, precision=0).classes("w-28")
                port_input.mark("remote-port")
            ui.label(_("The employee is asked first. A VNC password, if any, is typed in the viewer.")).classes(
                "text-muted text-sm"
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

            dialog_actions(dialog, _("Send request"), send, "remote-send")
        dialog.open()

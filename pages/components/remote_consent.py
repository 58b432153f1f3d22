"""On every page of an employee: the remote assistance prompt, then the banner while it lasts.

It is part of the frame, so the employee sees the request on whatever page they have open.
"""

from nicegui import ui

from helpdesk.core.views import RemoteView
from helpdesk.domain import remote
from models import EndReason, RemoteMode, RemoteStatus
from pages.app import live
from pages.app.i18n import _
from pages.app.tab import Tab
from pages.components.controls import countdown
from pages.components.remote_follower import RemoteFollower


class EmployeeConsent(RemoteFollower):
    """On every page of an employee: the request prompt, then the banner while it lasts."""

    def __init__(self, page: Tab) -> None:
        super().__init__(page, ui.context.client.content)
        self.dialog: ui.dialog | None = None
        self.banner: ui.element | None = None
        live.on_user(page, self.anchor, self.on_event)

    def concerns(self, view: RemoteView) -> bool:
        return view.employee_id == self.page.user.id

    def present(self, event: RemoteView) -> None:
        self._close()
        with self.anchor:
            if event.status == RemoteStatus.requested:
                self._prompt(event)
            elif event.status == RemoteStatus.accepted:
                self._banner(event)
            elif event.status == RemoteStatus.expired:
                ui.notify(_("The remote assistance request expired."), type="info")
            elif event.status == RemoteStatus.ended and event.end_reason != EndReason.employee:
                self._ended(event)

    def _close(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.delete()
            self.dialog = None
        if self.banner is not None:
            self.banner.delete()
            self.banner = None

    def _prompt(self, event: RemoteView) -> None:
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
            ui.label(_("You can stop it at any moment.")).classes("text-muted text-sm")
            if event.answer_by is not None:
                left = _("Without an answer, the request expires in {time}.", time="{time}")
                ui.html(countdown(event.answer_by, left), sanitize=False).classes("text-sm").mark("remote-countdown")
            with ui.row().classes("w-full justify-end"):
                ui.button(_("Decline"), on_click=lambda: self._answer(event.remote_id, False)).props("flat")
                ui.button(_("Accept"), on_click=lambda: self._answer(event.remote_id, True)).mark("remote-accept")
        self.dialog.open()

    def _banner(self, event: RemoteView) -> None:
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
            ui.button(_("Stop"), on_click=lambda: self._stop(event.remote_id)).props("color=white text-color=red-8")

    def _ended(self, event: RemoteView) -> None:
        """Said, not only shown by the banner going: the technician or the system ended it."""
        if event.end_reason == EndReason.technician:
            text = _("{name} ended the remote session.", name=event.technician_name)
        else:
            text = _("The remote session has ended.")
        ui.notify(text, type="info", timeout=8000)

    async def _answer(self, session_id: int, accept: bool) -> None:
        self._close()
        await self.page.call(remote.answer, session_id, accept)

    async def _stop(self, session_id: int) -> None:
        await self.page.call(remote.end, session_id)

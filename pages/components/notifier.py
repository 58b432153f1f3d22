"""On every signed-in page: a toast and the unread count in the tab title when a message
arrives on one of my tickets (requested by me, or assigned to me) while I am elsewhere."""

from nicegui import background_tasks, run, ui

from helpdesk.core.errors import HelpdeskError
from helpdesk.core.events import MessagePosted
from helpdesk.domain import chat
from pages.app import live
from pages.app.i18n import _
from pages.app.tab import Tab


class MessageNotifier:
    def __init__(self, page: Tab, title: str, ticket_id: int | None) -> None:
        self.page = page
        self.title = title
        self.ticket_id = ticket_id
        self.unread = 0
        self.client = ui.context.client
        # Not a ui.timer: a timer waits for the connection, which makes NiceGUI send the page early.
        background_tasks.create(self._load(), name="unread total")
        live.on_user(page, ui.context.client.layout, self._on_message)

    async def _load(self) -> None:
        try:
            total = await run.io_bound(chat.unread_total, self.page.user, self.ticket_id)
        except HelpdeskError:
            return  # a revoked session: the page is on its way to the sign-in page
        if total and not self.client.is_deleted:
            self.unread = total
            with self.client:
                self._show()

    def _on_message(self, event: object) -> None:
        if (
            not isinstance(event, MessagePosted)
            or event.ticket_id == self.ticket_id
            or not chat.concerns(self.page.user, event)
        ):
            return
        message = event.message
        self.unread += 1
        self._show()
        ui.notify(
            _("New message on #{id} from {name}", id=message.ticket_id, name=message.author_name),
            type="info",
            position="top-right",
        )

    def _show(self) -> None:
        prefix = f"({self.unread}) " if self.unread else ""
        ui.page_title(f"{prefix}{self.title} · Helpdesk")

"""On every signed-in page: a toast and the unread count in the tab title when a message
arrives on one of my tickets (requested by me, or assigned to me) while I am elsewhere."""

import time
from html import escape

from nicegui import background_tasks, run, ui

from helpdesk.core.errors import HelpdeskError
from helpdesk.core.events import MessagePosted
from helpdesk.domain import chat
from pages.app import live
from pages.app.i18n import _
from pages.app.tab import Tab

MAX_TOASTS = 3  # at once, at most
TOAST_SECONDS = 6
PREVIEW = 80  # characters of the message in its toast


class MessageNotifier:
    def __init__(self, page: Tab, title: str, ticket_id: int | None) -> None:
        self.page = page
        self.title = title
        self.ticket_id = ticket_id
        self.unread = 0
        self.toasts: list[float] = []  # when the toasts still on screen were shown
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
        now = time.monotonic()
        self.toasts = [at for at in self.toasts if now - at < TOAST_SECONDS]
        if len(self.toasts) >= MAX_TOASTS:
            return  # a burst: the tab's count says how many; the screen does not fill with toasts
        self.toasts.append(now)
        link = escape(f"#{message.ticket_id} {event.ticket_title}")
        preview = message.body if len(message.body) <= PREVIEW else message.body[: PREVIEW - 1] + "…"
        said = escape(_("{name}: {text}", name=message.author_name, text=preview or "📎"))
        ui.notify(
            f'<a href="/tickets/{message.ticket_id}" class="underline font-bold" data-toast-link>{link}</a>'
            f"<div>{said}</div>",
            html=True,
            type="info",
            position="bottom-right",  # never over the header and its Sign out button
            timeout=TOAST_SECONDS * 1000,
            close_button=_("Close"),
        )

    def _show(self) -> None:
        prefix = f"({self.unread}) " if self.unread else ""
        ui.page_title(f"{prefix}{self.title} · Helpdesk")

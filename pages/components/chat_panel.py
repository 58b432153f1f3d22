"""The chat panel of a ticket page: live messages, internal notes, files, presence, typing, seen.

A new message is one element appended to the list, never a rebuild. Messages are keyed by id,
so a message that arrives twice (event and catch-up) is shown once, and one that arrives out of
order is moved into place.
"""

import asyncio
from html import escape

from nicegui import ui

from helpdesk.core.config import get_settings
from helpdesk.core.events import MessagePosted, MessagesSeen, PresenceChanged, Typing
from helpdesk.core.views import ChatMessage
from helpdesk.domain import chat, presence
from pages.app import live
from pages.app.i18n import _, when
from pages.app.tab import FAILED, Tab
from pages.app.text import render_body
from pages.app.theme import MUTED
from pages.components import drafts
from pages.components.controls import icon_button

TYPING_SHOWN_FOR = 3.0
ACCEPT = "image/*,.pdf,.txt,.log,.csv,.json,.xml,.ini,.conf,.cfg,.yaml,.yml,.md"


# Files go to POST /tickets/{id}/attachments (one route for every page: NiceGUI's ui.upload would
# register a route per open page). A picked file or an image pasted anywhere on the page is sent;
# the message then arrives like any other, through the live update.


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _files(message: ChatMessage) -> str:
    parts = []
    for file in message.files:
        url = f"/attachments/{file.id}"
        if file.has_thumbnail:
            inner = f'<img src="{url}/thumb" alt="{escape(file.filename)}" class="w-48 rounded" loading="lazy">'
        else:
            icon = '<i class="q-icon material-icons q-mr-xs" aria-hidden="true">description</i>'
            inner = f"{icon}{escape(file.filename)} ({_size(file.size)})"
        parts.append(f'<a href="{url}" target="_blank" rel="noopener" class="block q-mt-xs">{inner}</a>')
    return "".join(parts)


class ChatPanel:
    def __init__(self, page: Tab, ticket_id: int, requester_id: int) -> None:
        self.page = page
        self.ticket_id = ticket_id
        self.requester_id = requester_id
        self.is_technician = page.user.is_technician
        self.shown: dict[int, ui.html] = {}
        self.messages: dict[int, ChatMessage] = {}
        self.receipts: set[int] = set()  # my public messages: the ones that can show "Seen"
        self.order: list[int] = []
        self.seen_up_to = 0
        self.sending = False
        self.draft_key = f"chat:{page.user.id}:{ticket_id}"
        self._typing_clear: asyncio.TimerHandle | None = None
        with ui.card().classes("w-full gap-2").props(f"data-chat-ticket={ticket_id} data-composer").mark("chat"):
            self.presence = ui.html("", sanitize=False).classes("w-full").mark("presence")
            self.show_presence(())
            # A reversed flex box keeps the scroll pinned to the newest message, with no script.
            with ui.element("div").classes("w-full max-h-[28rem] overflow-y-auto flex flex-col-reverse"):
                # While empty, CSS shows the data-empty text (theme.SHARED_CSS): no element for it.
                self.log = ui.column().classes("w-full gap-0 chat-log").mark("messages")
                empty = escape(_("No messages yet."))
                self.log.props(f'data-empty="{empty}"')
            self.typing = ui.label().classes(MUTED + " italic h-5").mark("typing")
            self._composer()
            self.note = (
                ui.switch(_("Internal note (technicians only)")).mark("chat-note") if self.is_technician else None
            )
        self.input.on("keydown.enter.exact.prevent", self.send)
        self.input.on("keydown", self._typed, throttle=2.0, leading_events=True, trailing_events=False)
        live.on_ticket(page, ticket_id, self.log, self._on_event)

    def _composer(self) -> None:
        """The box, the attach and send buttons, and the "not sent" notice (the card is the
        [data-composer]: pages/static/drafts.js). Few elements: each costs memory on every open page."""
        with ui.row().classes("w-full items-end gap-2 no-wrap"):
            field = ui.textarea(placeholder=_("Write a message…"), label=_("Message"))
            field.props("outlined dense autogrow").classes("grow")  # no maxlength: a long paste is never cut
            self.input = drafts.mark(field.mark("chat-input"), self.draft_key)
            # A real button (in the tab order, labelled) opens the hidden file input (chat-upload.js).
            attach = escape(_("Attach a file or paste a screenshot"))
            ui.html(
                f'<input type="file" class="chat-file hidden" accept="{ACCEPT}" multiple tabindex="-1">'
                f'<button type="button" data-attach aria-label="{attach}" title="{attach}" '
                'class="q-btn q-btn--flat q-btn--round q-btn--actionable q-focusable text-muted q-pa-sm">'
                '<i class="q-icon material-icons text-[24px]" aria-hidden="true">attach_file</i></button>',
                sanitize=False,
            ).mark("chat-attach")
            icon_button("send", _("Send"), self.send, "round data-send").mark("chat-send")
        notice = _("Not sent: the server could not be reached or could not save it. Your message is kept here.")
        self.unsent = drafts.unsent_notice(notice)

    # --- showing messages ---------------------------------------------------------------------

    def show(self, message: ChatMessage) -> None:
        # History comes filtered by its query, live messages by live routing (policy.may_receive).
        if message.id in self.shown:
            return
        mine = message.author_id == self.page.user.id
        with self.log:
            # One element per message, for every viewer: its HTML is built (and escaped) here.
            bubble = ui.html(self._bubble(message, mine), sanitize=False).classes("w-full")
        self.shown[message.id] = bubble
        self.messages[message.id] = message
        if mine and not message.internal:
            self.receipts.add(message.id)
        position = sum(1 for shown_id in self.order if shown_id < message.id)
        self.order.insert(position, message.id)
        if position != len(self.order) - 1:
            bubble.move(self.log, target_index=position)

    def _stamp(self, message: ChatMessage, mine: bool) -> str:
        stamp, seen = when(message.created_at), _("Seen")
        receipt = mine and not message.internal and message.id <= self.seen_up_to  # notes are never "seen"
        return f"{stamp} · {seen}" if receipt else stamp

    def _bubble(self, message: ChatMessage, mine: bool) -> str:
        """Quasar's chat-message markup, so it looks like ui.chat_message at a fraction of the cost."""
        side = "sent" if mine else "received"
        note = _("internal note")
        name = f"{message.author_name} · {note}" if message.internal else message.author_name
        colour = " bg-amber-2" if message.internal else ""
        return (
            f'<div class="q-message q-message-{side}" data-message-id="{message.id}">'
            f'<div class="q-message-container row items-end no-wrap{" reverse" if mine else ""}"><div>'
            f'<div class="q-message-name q-message-name--{side}">{escape(name)}</div>'
            f'<div class="q-message-text q-message-text--{side}{colour}">'
            f'<div class="q-message-text-content q-message-text-content--{side}">'
            f"<div>{render_body(message.body)}{_files(message)}</div>"
            f'<div class="q-message-stamp">{escape(self._stamp(message, mine))}</div>'
            "</div></div></div></div></div>"
        )

    def show_all(self, messages: list[ChatMessage], seen_up_to: int) -> None:
        self.seen_up_to = seen_up_to
        for message in messages:
            self.show(message)

    async def catch_up(self) -> None:
        """After a reconnect: whatever was saved meanwhile, from the database, without doubles.
        Also puts back a draft the browser kept (the page was reloaded, or the server restarted)."""
        while True:
            after = self.order[-1] if self.order else 0
            result = await self.page.call(chat.history, self.ticket_id, after)
            if result is FAILED:
                return
            for message in result:
                self.show(message)
            if len(result) < chat.HISTORY_LIMIT:
                break
        self._schedule_seen()
        await drafts.restore({self.draft_key: self.input})

    # --- live events ----------------------------------------------------------------------------

    def _on_event(self, event: object) -> None:
        match event:
            case MessagePosted():
                self._on_message(event.message)
            case MessagesSeen():
                self._on_seen(event)
            case Typing():
                self._on_typing(event)
            case PresenceChanged():
                self.show_presence(event.viewers)

    def _on_message(self, message: ChatMessage) -> None:
        self.show(message)
        if message.author_id != self.page.user.id:
            self.typing.set_text("")
            self._schedule_seen()

    def _schedule_seen(self) -> None:
        # Only a connected page has the messages on screen. One the user just left lives on for the
        # reconnect window and still receives messages: it must not mark them seen (catch_up on
        # reconnection reports them then).
        if self.order and self.log.client.has_socket_connection:
            chat.queue_seen(self.page.user, self.ticket_id, self.order[-1])  # written by the next flush

    def _on_seen(self, event: MessagesSeen) -> None:
        other_side = (
            event.is_technician if self.page.user.id == self.requester_id else event.user_id == self.requester_id
        )
        if not other_side or event.user_id == self.page.user.id or event.last_read_id <= self.seen_up_to:
            return
        previous, self.seen_up_to = self.seen_up_to, event.last_read_id
        for message_id in self.order:
            bubble = self.shown[message_id]
            if previous < message_id <= self.seen_up_to and message_id in self.receipts:
                bubble.set_content(self._bubble(self.messages[message_id], mine=True))

    def _on_typing(self, event: Typing) -> None:
        if event.user_id == self.page.user.id:
            return
        self.typing.set_text(_("{name} is typing…", name=event.user_name))
        if self._typing_clear is not None:
            self._typing_clear.cancel()
        self._typing_clear = asyncio.get_running_loop().call_later(TYPING_SHOWN_FOR, lambda: self.typing.set_text(""))

    def show_presence(self, viewers: tuple[tuple[int, str, bool], ...]) -> None:
        others = [name for user_id, name, _tech in viewers if user_id != self.page.user.id]
        here = _("Also here: {names}", names=", ".join(others)) if others else ""
        heading = escape(_("Conversation"))
        self.presence.set_content(
            f'<div class="flex items-center justify-between"><span class="text-sm font-bold text-muted">'
            f'{heading}</span><span class="{MUTED}">{escape(here)}</span></div>'
        )

    # --- sending --------------------------------------------------------------------------------

    def _internal(self) -> bool:
        return bool(self.note and self.note.value)

    async def send(self) -> None:
        """Nothing is cleared before the server has said it saved the message: a message that
        could not be saved stays in the box, marked as not sent."""
        text = self.input.value or ""
        if not text.strip():
            ui.notify(_("Write a message first."), type="warning")
            return
        limit = get_settings().chat_max_length
        if len(text.strip()) > limit:
            ui.notify(_("A message can hold at most {max} characters.", max=limit), type="warning")
            return
        if self.sending:
            return  # Enter pressed twice: one message
        self.sending = True
        try:
            result = await self.page.call(chat.post, self.ticket_id, text, self._internal())
        finally:
            self.sending = False
        if result is FAILED:
            if not self.unsent.is_deleted:
                self.unsent.set_visibility(True)
            return
        # What was typed while this one travelled stays in the box, and in the browser's draft.
        current = self.input.value or ""
        rest = current[len(text) :] if current.startswith(text) else current
        self.input.value = rest
        self.unsent.set_visibility(False)
        drafts.keep({self.draft_key: rest})
        self.show(result)

    def _typed(self) -> None:
        presence.typing(self.page.user, self.ticket_id, self._internal())

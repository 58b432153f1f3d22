"""`/tickets/{id}`: one ticket, its actions and its timeline, kept live in place."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from babel.dates import format_timedelta
from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from nicegui.events import ValueChangeEventArguments

from helpdesk.core.errors import HelpdeskError, NotAuthenticated
from helpdesk.core.events import BusResumed, RemoteChanged, TicketChanged
from helpdesk.domain import chat, presence, tickets, users
from helpdesk.domain.tickets import TicketView, TimelineEntry
from models import Category, EndReason, Priority, RemoteMode, RemoteStep, Status, TicketEventKind
from models.ticket import DESCRIPTION_MAX, TITLE_MAX
from pages.app import live
from pages.app.i18n import _, ago, locale, when
from pages.app.tab import FAILED, Tab, open_tab
from pages.app.text import render_body
from pages.app.theme import (
    MUTED,
    category_label,
    frame,
    not_found,
    priority_badge,
    priority_label,
    status_badge,
    status_label,
)
from pages.components.chat_panel import ChatPanel
from pages.components.controls import dialog_actions
from pages.components.remote_panel import TechnicianRemote, end_reason_text

UNASSIGNED = 0  # the assignee select's value for "nobody"


def _value_label(kind: TicketEventKind, value: str | None) -> str:
    if value is None:
        return "—"
    if kind == TicketEventKind.status:
        return status_label(Status(value))
    if kind == TicketEventKind.priority:
        return priority_label(Priority(value))
    if kind == TicketEventKind.category:
        return category_label(value)
    return value


def _rows(*pairs: tuple[str, str]) -> str:
    """Label/value lines as HTML, every text escaped here on the server."""
    return "".join(
        f'<div class="flex justify-between gap-2 no-wrap py-1"><span class="{MUTED}">{escape(label)}</span>'
        f'<span class="text-right wrap-anywhere">{escape(value)}</span></div>'
        for label, value in pairs
    )


def describe(entry: TimelineEntry) -> str:
    who = entry.actor_name or _("Someone")
    before, after = _value_label(entry.kind, entry.from_value), _value_label(entry.kind, entry.to_value)
    match entry.kind:
        case TicketEventKind.created:
            return _("{who} created the ticket", who=who)
        case TicketEventKind.status:
            return _("{who} changed the status from {before} to {after}", who=who, before=before, after=after)
        case TicketEventKind.priority:
            return _("{who} changed the priority from {before} to {after}", who=who, before=before, after=after)
        case TicketEventKind.category:
            return _("{who} changed the category from {before} to {after}", who=who, before=before, after=after)
        case TicketEventKind.assignee if entry.to_value is None:
            return _("{who} unassigned {before}", who=who, before=before)
        case TicketEventKind.assignee if entry.to_value == who:
            return _("{who} took the ticket", who=who)
        case TicketEventKind.assignee:
            return _("{who} assigned the ticket to {after}", who=who, after=after)
        case TicketEventKind.remote:
            return describe_remote(entry, who)
        case TicketEventKind.title:
            return _("{who} renamed the ticket to “{after}”", who=who, after=after)
        case _:
            return _("{who} edited the description", who=who)


def _duration(seconds: int) -> str:
    return format_timedelta(timedelta(seconds=seconds), locale=locale(), threshold=1.0)


def describe_remote(entry: TimelineEntry, who: str) -> str:
    detail = entry.remote
    match detail.step if detail else None:
        case RemoteStep.requested if detail.mode == RemoteMode.control:
            return _("{who} asked to control the requester's computer", who=who)
        case RemoteStep.requested:
            return _("{who} asked to see the requester's screen", who=who)
        case RemoteStep.accepted:
            return _("{who} accepted remote assistance", who=who)
        case RemoteStep.declined:
            return _("{who} declined remote assistance", who=who)
        case RemoteStep.expired:
            return _("The remote assistance request expired unanswered")
        case RemoteStep.started:
            return _("The remote session started")
    if detail is not None and detail.reason == EndReason.cancelled:
        return _("{who} withdrew the remote assistance request", who=who)
    return _(
        "The remote session ended after {duration} ({reason})",
        duration=_duration(detail.seconds if detail else 0),
        reason=end_reason_text(detail.reason if detail else None),
    )


class TicketScreen:
    """The ticket page's elements; `show` patches them in place from a fresh TicketView."""

    def __init__(self, page: Tab, view: TicketView, technicians: list, messages: list, seen_up_to: int) -> None:
        self.page = page
        self.ticket_id = view.ticket.id
        self.view = view
        self.last_event_id = 0
        is_tech = page.user.is_technician
        self.heading = ui.html("", sanitize=False).classes("w-full").mark("ticket-heading")
        self.remote: TechnicianRemote | None = None
        with ui.row().classes("w-full gap-4 items-start no-wrap max-md:flex-wrap"):
            with ui.column().classes("grow gap-4 min-w-0 ticket-main") as main:
                with ui.card().classes("w-full"):
                    self.description = ui.html("", sanitize=False).classes("w-full").mark("ticket-description")
                self.chat = ChatPanel(page, view.ticket.id, view.ticket.requester_id)
                self.chat.show_all(messages, seen_up_to)
                with ui.card().classes("w-full"):
                    # Title and entries in one element; an entry re-renders it (timelines are short).
                    self.timeline = ui.html("", sanitize=False).classes("w-full").mark("timeline")
                    heading = escape(_("Timeline"))
                    self.timeline_rows = [f'<div class="text-sm font-bold text-muted q-mb-sm">{heading}</div>']
            # On a phone the side card (state and actions) comes first, not after the whole chat.
            with ui.card().classes("w-80 max-md:w-full max-md:order-first gap-2") as side:
                # One element for the whole block: every element costs memory on every open page.
                self.details = (
                    ui.html("", sanitize=False).classes("w-full pb-2 border-b border-gray-300").mark("details")
                )
                if is_tech:
                    self._technician_actions(technicians)
                    self.remote = TechnicianRemote(page, view.ticket.id, main=main, actions=side)
                else:
                    self._requester_actions()
        self.show(view)

    def _technician_actions(self, technicians: list) -> None:
        self.take = ui.button(_("Take"), icon="pan_tool", on_click=self._take).classes("w-full").mark("take")
        with ui.row().classes("w-full gap-2 no-wrap"):
            self.start = (
                ui.button(_("Start work"), icon="play_arrow", on_click=lambda: self._status(Status.in_progress))
                .classes("grow")
                .mark("start")
            )
            # green-9 (#2e7d32): white text at 5.1:1; "positive" was 2.5:1 (WCAG AA asks 4.5:1)
            self.resolve = (
                ui.button(_("Resolve"), icon="check", color="green-9", on_click=lambda: self._status(Status.resolved))
                .classes("grow")
                .mark("resolve")
            )
        self._reopen_button()
        self.priority_select = (
            ui.select({p.value: priority_label(p) for p in Priority}, label=_("Priority"), on_change=self._priority)
            .classes("w-full")
            .mark("priority-select")
        )
        self.category_select = (
            ui.select({c.value: category_label(c) for c in Category}, label=_("Category"), on_change=self._category)
            .classes("w-full")
            .mark("category-select")
        )
        options = {UNASSIGNED: _("Nobody")} | {t.id: t.name for t in technicians}
        self.assignee_select = (
            ui.select(options, label=_("Assignee"), on_change=self._assign).classes("w-full").mark("assignee-select")
        )

    def _reopen_button(self) -> None:
        self.reopen = (
            ui.button(_("Reopen"), icon="replay", on_click=lambda: self._status(Status.open))
            .props("outline")
            .classes("w-full")
            .mark("reopen")
        )

    def _requester_actions(self) -> None:
        self._reopen_button()
        self.edit = (
            ui.button(_("Edit"), icon="edit", on_click=self._edit).props("outline").classes("w-full").mark("edit")
        )

    def show(self, view: TicketView) -> None:
        self.view = view
        t = view.ticket
        # Headings as escaped HTML: one element each instead of four and two, on every open page.
        self.heading.set_content(
            f'<div class="flex flex-wrap items-center gap-x-3 gap-y-1"><span class="text-2xl text-muted">#{t.id}</span>'
            f'<h1 class="text-2xl font-bold wrap-anywhere min-w-0 m-0" data-role="title">{escape(t.title)}</h1>'
            f'<span data-role="status">{status_badge(t.status)}</span>{priority_badge(t.priority)}</div>'
        )
        self.description.set_content(
            f'<h2 class="text-sm font-bold text-muted q-mb-sm m-0">{escape(_("Description"))}</h2>'
            f'<div class="wrap-anywhere">{render_body(t.description)}</div>'
        )
        self.details.set_content(
            _rows(
                (_("Requester"), view.requester_name),
                (_("Assignee"), view.assignee_name or _("Nobody")),
                (_("Category"), category_label(t.category)),
                (_("Created"), when(t.created_at)),
                (_("Last update"), ago(t.updated_at)),
                (_("First response"), when(t.first_response_at)),
                (_("Resolved"), when(t.resolved_at)),
            )
        )
        resolved = t.status == Status.resolved
        self.reopen.set_visibility(resolved)
        if self.page.user.is_technician:
            self.take.set_visibility(t.assignee_id is None and not resolved)
            self.start.set_visibility(t.status == Status.open)
            self.resolve.set_visibility(not resolved)
            self.priority_select.set_value(t.priority.value)
            self.category_select.set_value(t.category.value)
            if t.assignee_id is not None and t.assignee_id not in self.assignee_select.options:
                self.assignee_select.options[t.assignee_id] = view.assignee_name or "?"
                self.assignee_select.update()
            self.assignee_select.set_value(t.assignee_id or UNASSIGNED)
            if self.remote is not None:
                self.remote.show(view)
        else:
            self.edit.set_visibility(t.status == Status.open)

    def append_timeline(self, entries: list[TimelineEntry]) -> None:
        new = [entry for entry in entries if entry.id > self.last_event_id]
        for entry in new:
            self.timeline_rows.append(
                f'<div class="flex items-baseline gap-2 no-wrap q-py-xs"><span class="text-primary">●</span>'
                f'<span class="grow">{escape(describe(entry))}</span>'
                f'<span class="{MUTED} whitespace-nowrap">{escape(when(entry.created_at))}</span></div>'
            )
            self.last_event_id = entry.id
        if new or not self.timeline.content:
            self.timeline.set_content("".join(self.timeline_rows))

    async def reload(self) -> None:
        """Fetch the ticket and the timeline entries not shown yet, and patch them in."""
        result = await self.page.call(
            lambda actor: (
                tickets.get(actor, self.ticket_id),
                tickets.timeline(actor, self.ticket_id, self.last_event_id),
            )
        )
        if result is FAILED:
            return
        view, entries = result
        self.show(view)
        self.append_timeline(entries)

    async def on_change(self, event: object) -> None:
        if isinstance(event, TicketChanged | RemoteChanged | BusResumed) and not self.heading.is_deleted:
            await self.reload()
            if isinstance(event, BusResumed):  # events were missed: the chat catches up too
                await self.chat.catch_up()
            if self.heading.client.has_socket_connection:  # in front of someone, not a tab just closed
                chat.queue_viewed(self.page.user, self.ticket_id)

    async def _take(self) -> None:
        if await self.page.call(tickets.take, self.ticket_id) is not FAILED:
            ui.notify(_("You took this ticket."), type="positive")
        await self.reload()

    async def _change(self, service: Callable[..., object], value: object) -> None:
        if await self.page.call(service, self.ticket_id, value) is FAILED:
            await self.reload()  # put the controls back to the ticket's true state

    async def _status(self, status: Status) -> None:
        await self._change(tickets.set_status, status)

    async def _priority(self, event: ValueChangeEventArguments) -> None:
        if event.value and event.value != self.view.ticket.priority.value:
            await self._change(tickets.set_priority, Priority(event.value))

    async def _category(self, event: ValueChangeEventArguments) -> None:
        if event.value and event.value != self.view.ticket.category.value:
            await self._change(tickets.set_category, Category(event.value))

    async def _assign(self, event: ValueChangeEventArguments) -> None:
        assignee = None if event.value in (None, UNASSIGNED) else int(event.value)
        if event.value is not None and assignee != self.view.ticket.assignee_id:
            await self._change(tickets.assign, assignee)

    def _edit(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-xl"):
            ui.label(_("Edit ticket")).classes("text-lg font-bold")
            title = (
                ui.input(_("Title"), value=self.view.ticket.title)
                .props(f"maxlength={TITLE_MAX}")
                .classes("w-full")
                .mark("edit-title")
            )
            description = (
                ui.textarea(_("Description"), value=self.view.ticket.description)
                .props(f"maxlength={DESCRIPTION_MAX} autogrow")
                .classes("w-full")
                .mark("edit-description")
            )

            async def save() -> None:
                if (
                    await self.page.call(tickets.edit, self.ticket_id, title.value or "", description.value or "")
                    is not FAILED
                ):
                    dialog.close()

            dialog_actions(dialog, _("Save"), save, "edit-save")
        dialog.open()


@dataclass
class Loaded:
    view: TicketView
    timeline: list[TimelineEntry]
    technicians: list
    messages: list
    seen_up_to: int


def _load(page: Tab, ticket_id: int) -> Loaded | None:
    try:
        view = tickets.get(page.user, ticket_id)
        return Loaded(
            view,
            tickets.timeline(page.user, ticket_id),
            users.technicians() if page.user.is_technician else [],
            chat.history(page.user, ticket_id),
            chat.seen_by_other_side(page.user, ticket_id),
        )
    except NotAuthenticated:
        raise
    except HelpdeskError:
        return None


async def ticket_page(request: Request, ticket_id: str) -> RedirectResponse | None:
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    try:
        loaded = (
            await run.io_bound(_load, page, int(ticket_id)) if ticket_id.isdigit() and len(ticket_id) < 12 else None
        )
    except NotAuthenticated:
        return RedirectResponse("/login")
    if loaded is None:
        not_found(page, _("This ticket does not exist."))
        return None
    ticket_id_ = loaded.view.ticket.id
    with frame(page, f"#{ticket_id_} {loaded.view.ticket.title}", ticket_id=ticket_id_):
        screen = TicketScreen(page, loaded.view, loaded.technicians, loaded.messages, loaded.seen_up_to)
        screen.append_timeline(loaded.timeline)
    live.on_ticket(page, ticket_id_, screen.heading, screen.on_change)
    live.on_every(page, screen.heading, screen.on_change, BusResumed)  # Redis was away (core/cluster.py)
    _track_presence(page, screen.chat)
    chat.queue_viewed(page.user, ticket_id_)  # they see it as it is now: no email needs to tell them
    return None


def _track_presence(page: Tab, panel: ChatPanel) -> None:
    """Present while connected; on every (re)connection, catch up from the database."""
    client = ui.context.client
    key = client.id

    async def connected() -> None:
        presence.join(panel.ticket_id, key, page.user)
        panel.show_presence(presence.viewers(panel.ticket_id))
        await panel.catch_up()

    client.on_connect(connected)
    client.on_disconnect(lambda: presence.leave(panel.ticket_id, key))
    client.on_delete(lambda: presence.leave(panel.ticket_id, key))

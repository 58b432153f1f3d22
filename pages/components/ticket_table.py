"""A table of tickets with server-side paging and sorting, refreshed in place on live changes."""

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui
from nicegui.events import GenericEventArguments

from helpdesk.core.events import MessagePosted, TicketChanged
from helpdesk.domain import chat, queue
from models import User
from pages.app import live
from pages.app.i18n import _, ago
from pages.app.tab import FAILED, Tab
from pages.app.theme import PRIORITY_COLOR, STATUS_COLOR, category_label, priority_label, status_label

REFRESH_DELAY = 0.15  # coalesces a burst of changes into one query per open table

_STATUS_SLOT = """<q-td :props="props">
  <q-badge rounded :color="props.row.status_color" :label="props.value" class="px-2 py-1"/>
</q-td>"""
_UNREAD_SLOT = """<q-td :props="props">
  <q-badge v-if="props.value" rounded color="red-7" :label="props.value"><q-icon name="chat" class="q-ml-xs"/></q-badge>
</q-td>"""
_PRIORITY_SLOT = """<q-td :props="props">
  <q-badge rounded outline :color="props.row.priority_color" :label="props.value" class="px-2 py-1"/>
</q-td>"""


class TicketTable:
    def __init__(self, page: Tab, query: queue.QueueQuery, *, show_requester: bool) -> None:
        self.page = page
        self.query = query
        self._refresh_scheduled = False
        self.on_refreshed: list[Callable[[], Awaitable[None]]] = []
        columns = [
            {"name": "id", "label": "#", "field": "id", "sortable": True, "align": "left"},
            {"name": "title", "label": _("Title"), "field": "title", "sortable": True, "align": "left"},
            {"name": "status", "label": _("Status"), "field": "status_label", "sortable": True, "align": "left"},
            {"name": "priority", "label": _("Priority"), "field": "priority_label", "sortable": True, "align": "left"},
            {"name": "category", "label": _("Category"), "field": "category_label", "align": "left"},
        ]
        if show_requester:
            columns.append({"name": "requester", "label": _("Requester"), "field": "requester", "align": "left"})
        columns += [
            {"name": "unread", "label": _("Unread"), "field": "unread", "align": "left"},
            {"name": "assignee", "label": _("Assignee"), "field": "assignee", "align": "left"},
            {"name": "updated", "label": _("Last update"), "field": "updated", "sortable": True, "align": "left"},
        ]
        pagination = {
            "page": query.page,
            "rowsPerPage": query.per_page,
            "rowsNumber": 0,
            "sortBy": query.sort.value,
            "descending": query.descending,
        }
        # Given at creation: a table made without `pagination` has no bottom bar (no paging controls).
        self.table = (
            ui.table(columns=columns, rows=[], row_key="id", pagination=pagination).classes("w-full").mark("tickets")
        )
        empty = _("No tickets here.")
        self.table.props(f'flat bordered :rows-per-page-options="[10,25,50,100]" no-data-label="{empty}"')
        self.table.add_slot("body-cell-status", _STATUS_SLOT)
        self.table.add_slot("body-cell-priority", _PRIORITY_SLOT)
        self.table.add_slot("body-cell-unread", _UNREAD_SLOT)
        self.table.on("request", self._on_request)
        self.table.on("row-click", lambda e: ui.navigate.to(f"/tickets/{int(e.args[1]['id'])}"))
        self.table.classes("cursor-pointer")
        if page.user.is_technician:  # the whole queue: every change and message may concern it
            live.on_every(page, self.table, self._on_event, TicketChanged, MessagePosted)
        else:  # their own tickets: only what is routed to them, so others' changes cost this page nothing
            live.on_user(page, self.table, self._on_event)

    async def _on_request(self, event: GenericEventArguments) -> None:
        pagination = event.args["pagination"]
        self.query.page = int(pagination.get("page") or 1)
        self.query.per_page = max(1, min(int(pagination.get("rowsPerPage") or 25), queue.PER_PAGE_MAX))
        sort_by = pagination.get("sortBy") or "updated"
        self.query.sort = queue.Sort(sort_by) if sort_by in queue.Sort.__members__ else queue.Sort.updated
        self.query.descending = bool(pagination.get("descending"))
        await self.refresh()

    async def refresh(self) -> None:
        loaded = await self.page.call(self._load)
        if loaded is FAILED:
            return
        result, unread = loaded
        self.table.rows = [self._row(item, unread.get(item.id, 0)) for item in result.items]
        self.table.pagination = {
            "page": result.page,
            "rowsPerPage": result.per_page,
            "rowsNumber": result.total,
            "sortBy": self.query.sort.value,
            "descending": self.query.descending,
        }
        self.table.update()
        for callback in self.on_refreshed:
            await callback()

    def _load(self, actor: User) -> tuple[queue.QueuePage, dict[int, int]]:
        result = queue.list_tickets(actor, self.query)
        return result, chat.unread_counts(actor, [item.id for item in result.items])

    def _row(self, item: queue.QueueRow, unread: int) -> dict:
        return {
            "unread": unread,
            "id": item.id,
            "title": item.title,
            "status_label": status_label(item.status),
            "status_color": STATUS_COLOR[item.status],
            "priority_label": priority_label(item.priority),
            "priority_color": PRIORITY_COLOR[item.priority],
            "category_label": category_label(item.category),
            "requester": item.requester_name,
            "assignee": item.assignee_name or "—",
            "updated": ago(item.updated_at),
        }

    # Plain functions, not coroutines: every technician's table hears every change, and NiceGUI
    # would make a task for each call of a coroutine. Only the tables concerned schedule a refresh.
    # Live routing has dropped what this user may not see (pages/app/live.py).
    def _on_event(self, event: object) -> None:
        if isinstance(event, TicketChanged | MessagePosted):
            self._refresh_soon()

    def _refresh_soon(self) -> None:
        if not self._refresh_scheduled:
            self._refresh_scheduled = True
            background_tasks.create(self._refresh_later(), name="table refresh")

    async def _refresh_later(self) -> None:
        await asyncio.sleep(REFRESH_DELAY)
        self._refresh_scheduled = False
        if not self.table.is_deleted:
            with self.table:  # a new task starts with no page context; notifications need one
                await self.refresh()

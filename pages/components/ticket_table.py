"""A table of tickets with server-side paging and sorting, refreshed in place on live changes."""

import asyncio
from collections.abc import Awaitable, Callable
from html import escape

from nicegui import background_tasks, ui
from nicegui.events import GenericEventArguments

from helpdesk.core.events import BusResumed, MessagePosted, TicketChanged
from helpdesk.domain import chat, queue
from models import User
from pages.app import live
from pages.app.i18n import _, ago
from pages.app.tab import FAILED, Tab
from pages.app.theme import PRIORITY_CLASS, STATUS_CLASS, category_label, priority_label, status_label

REFRESH_DELAY = 0.15  # coalesces a burst of changes into one query per open table

# Every row's title is a link to the ticket: reachable by Tab, opened by Enter, in a new tab by a
# middle click. A header that sorts is a button. On a phone each row is laid out as a card by CSS
# (pages/static/app.css, .ticket-table): title first, then status, priority, assignee, last update.
_HEADER_CELL = """<q-th :props="props" :aria-sort="props.col.aria_sort">
  <button v-if="props.col.sortable" type="button" class="sort-button" @click.stop="props.sort(props.col)">
    {{ props.col.label }}</button>
  <span v-else>{{ props.col.label }}</span>
</q-th>"""
_CELLS = {
    "id": '<q-td key="id" :props="props" class="text-muted cell-id">#{{ props.row.id }}</q-td>',
    "title": '<q-td key="title" :props="props" class="wrap-anywhere cell-title" style="white-space: normal">'
    '<a :href="\'/tickets/\' + props.row.id" class="ticket-link">{{ props.row.title }}</a></q-td>',
    "status": '<q-td key="status" :props="props"><span :class="props.row.status_class">'
    "{{ props.row.status_label }}</span></q-td>",
    "priority": '<q-td key="priority" :props="props"><span :class="props.row.priority_class">'
    "{{ props.row.priority_label }}</span></q-td>",
    "unread": '<q-td key="unread" :props="props" class="cell-unread">'
    '<span v-if="props.row.unread" class="badge unread-badge" :aria-label="props.row.unread_label">'
    "{{ props.row.unread }}</span></q-td>",
}


def _cell(column: dict) -> str:
    name, field = column["name"], column["field"]
    return _CELLS.get(name, f'<q-td key="{name}" :props="props" class="cell-{name}">{{{{ props.row.{field} }}}}</q-td>')


def _body_slot(columns: list[dict], selectable: bool) -> str:
    check = (
        '<q-td auto-width class="cell-select">'
        '<q-checkbox dense v-model="props.selected" :aria-label="props.row.select_label"/></q-td>'
        if selectable
        else ""
    )
    return f'<q-tr :props="props">{check}{"".join(_cell(c) for c in columns)}</q-tr>'


class TicketTable:
    def __init__(self, page: Tab, query: queue.QueueQuery, *, show_requester: bool, selectable: bool = False) -> None:
        self.page = page
        self.query = query
        self._refresh_scheduled = False
        self.on_refreshed: list[Callable[[], Awaitable[None]]] = []
        # Called after the reader changed the sort or the page (the queue writes its address).
        self.on_request_done: list[Callable[[], None]] = []
        columns = [
            {"name": "id", "label": "#", "field": "id", "sortable": True, "align": "left"},
            {"name": "title", "label": _("Title"), "field": "title", "sortable": True, "align": "left"},
            {"name": "status", "label": _("Status"), "field": "status_label", "sortable": True, "align": "left"},
            {"name": "priority", "label": _("Priority"), "field": "priority_label", "sortable": True, "align": "left"},
            {"name": "category", "label": _("Category"), "field": "category_label", "align": "left"},
        ]
        self.selectable = selectable
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
        self.table = ui.table(
            columns=columns,
            rows=[],
            row_key="id",
            pagination=pagination,
            selection="multiple" if selectable else None,
        )
        self.table.classes("w-full ticket-table").mark("tickets")
        empty = _("No tickets here.")
        self.table.props(f'flat bordered :rows-per-page-options="[10,25,50,100]" no-data-label="{empty}"')
        self.table.add_slot("header-cell", _HEADER_CELL)
        self.table.add_slot("body", _body_slot(columns, selectable))
        if selectable:
            every = escape(_("Select every ticket on this page"))
            checkbox = f'<q-checkbox dense v-model="props.selected" aria-label="{every}"/>'
            self.table.add_slot("header-selection", checkbox)
        self.table.on("request", self._on_request)
        if page.user.is_technician:  # the whole queue: every change and message may concern it
            live.on_every(page, self.table, self._on_event, TicketChanged, MessagePosted)
        else:  # their own tickets: only what is routed to them, so others' changes cost this page nothing
            live.on_user(page, self.table, self._on_event)
        live.on_every(page, self.table, self._on_event, BusResumed)  # events were missed: read again

    async def _on_request(self, event: GenericEventArguments) -> None:
        pagination = event.args["pagination"]
        self.query.page = int(pagination.get("page") or 1)
        self.query.per_page = max(1, min(int(pagination.get("rowsPerPage") or 25), queue.PER_PAGE_MAX))
        sort_by = pagination.get("sortBy") or "updated"
        self.query.sort = queue.Sort(sort_by) if sort_by in queue.Sort.__members__ else queue.Sort.updated
        self.query.descending = bool(pagination.get("descending"))
        await self.refresh()
        for callback in self.on_request_done:
            callback()

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
        for column in self.table.columns:
            if column.get("sortable"):
                sorted_here = column["name"] == self.query.sort.value
                column["aria_sort"] = (
                    ("descending" if self.query.descending else "ascending") if sorted_here else "none"
                )
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
            "status_class": f"badge {STATUS_CLASS[item.status]}",
            "priority_label": priority_label(item.priority),
            "priority_class": f"badge badge-outline {PRIORITY_CLASS[item.priority]}",
            "select_label": _("Select ticket #{id}", id=item.id),
            "unread_label": _("{count} unread", count=unread),
            "category_label": category_label(item.category),
            "requester": item.requester_name,
            "assignee": item.assignee_name or _("Nobody"),
            "updated": ago(item.updated_at),
        }

    # Plain functions, not coroutines: every technician's table hears every change, and NiceGUI
    # would make a task for each call of a coroutine. Only the tables concerned schedule a refresh.
    # Live routing has dropped what this user may not see (pages/app/live.py).
    def _on_event(self, event: object) -> None:
        if isinstance(event, TicketChanged | MessagePosted | BusResumed):
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

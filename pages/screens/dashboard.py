"""`/`: the signed-in role's dashboard. Employees see their tickets; technicians the queue."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import GenericEventArguments, ValueChangeEventArguments

from helpdesk.core.errors import NotFound
from helpdesk.domain import queue, tickets
from models import User
from pages.app import queue_url
from pages.app.i18n import _
from pages.app.tab import FAILED, Tab, open_tab
from pages.app.theme import MUTED, frame
from pages.components.bulk_bar import BulkBar
from pages.components.queue_filters import QueueFilters
from pages.components.ticket_table import TicketTable


async def dashboard_page(request: Request) -> RedirectResponse | None:
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    if page.user.is_technician:
        await _technician_queue(page, request)
    else:
        await _employee_dashboard(page)
    return None


async def _employee_dashboard(page: Tab) -> None:
    with frame(page, _("My tickets")):
        with ui.row().classes("w-full items-center justify-between"):
            with ui.column().classes("gap-0"):
                ui.label(_("My tickets")).classes("text-2xl font-bold")
                ui.label(_("Follow your requests; changes appear here as they happen.")).classes(MUTED)
            ui.button(_("Report a problem"), icon="add", on_click=lambda: ui.navigate.to("/tickets/new")).mark(
                "new-ticket"
            )
        table = TicketTable(page, queue.QueueQuery(view=queue.View.all), show_requester=False)
    await table.refresh()


def _view_labels() -> dict[queue.View, str]:
    return {
        queue.View.unassigned: _("Unassigned"),
        queue.View.mine: _("Mine"),
        queue.View.open: _("All open"),
        queue.View.resolved: _("Resolved"),
        queue.View.all: _("All"),
    }


async def _technician_queue(page: Tab, request: Request) -> None:
    labels = _view_labels()
    default = queue.QueueQuery(view=queue.View.unassigned)
    query, ignored = queue_url.parse(request.query_params, default)
    with frame(page, _("Ticket queue")):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(_("Ticket queue")).classes("text-2xl font-bold")
            search = (
                ui.input(value=query.q, placeholder=_("Search tickets, people, messages or #number"))
                .props(f"dense outlined clearable debounce=300 maxlength={queue.QUERY_MAX} type=search")
                .props(f'aria-label="{_("Search the queue")}" aria-keyshortcuts="/"')
                .classes("w-96 max-w-full")
                .props("data-shortcut=search")
                .mark("search")
            )
            with search.add_slot("prepend"):
                ui.icon("search")
        with ui.tabs().classes("w-full").props("align=left no-caps") as tabs:
            tab_for = {view: ui.tab(view.value, label=labels[view]).mark(f"view-{view.value}") for view in queue.View}
        address = QueueAddress(query, default)

        async def filters_changed() -> None:
            await table.refresh()
            address.write(table.query)

        filters = QueueFilters(page, query, default, filters_changed)
        bulk = BulkBar(page)
        table = TicketTable(page, query, show_requester=True, selectable=True)
        bulk.attach(table)
    if ignored:
        ui.notify(_("Some filters in this address were not understood and are left out."), type="warning")

    async def update_counts() -> None:
        counts = await page.call(queue.counts)
        if counts is FAILED:
            return
        for view, count in counts.items():
            tab_for[view].props(f'label="{labels[view]} ({count})"')

    async def change_view(event: ValueChangeEventArguments) -> None:
        if table.query.view == event.value:
            return
        table.query.view = queue.View(event.value)
        table.query.page = 1
        await table.refresh()
        address.write(table.query)

    async def change_search(event: ValueChangeEventArguments) -> None:
        table.query.q = (event.value or "")[: queue.QUERY_MAX]
        table.query.page = 1
        await table.refresh()
        address.write(table.query, replace=True)  # typing is one step of history, not one per word

    async def jump(event: GenericEventArguments) -> None:
        """Enter on "#123" or "123" opens that ticket, if the reader may see it."""
        # The typed text comes with the key: the field's value may still be in its debounce.
        number = queue.ticket_number(str(event.args or ""))
        if number is not None and await page.call(_visible, number) is True:
            ui.navigate.to(f"/tickets/{number}")

    tabs.set_value(query.view.value)
    tabs.on_value_change(change_view)
    search.on_value_change(change_search)
    search.on("keydown.enter", jump, js_handler="(e) => emit(e.target.value)")
    table.on_refreshed.append(update_counts)
    table.on_request_done.append(lambda: address.write(table.query))
    await filters.load()
    await table.refresh()


def _visible(actor: User, ticket_id: int) -> bool:
    try:
        tickets.get(actor, ticket_id)
    except NotFound:
        return False
    return True


class QueueAddress:
    """Keeps the address bar in step with the queue, so Back, reload and a link restore it."""

    def __init__(self, query: queue.QueueQuery, default: queue.QueueQuery) -> None:
        self.default = default
        self.last = queue_url.encode(query, default)
        # Back and Forward change the address without a request: the page reloads to show it.
        ui.element("span").props("data-url-state hidden")

    def write(self, query: queue.QueueQuery, *, replace: bool = False) -> None:
        encoded = queue_url.encode(query, self.default)
        if encoded == self.last:
            return
        self.last = encoded
        url = f"/?{encoded}" if encoded else "/"
        if replace:
            ui.navigate.history.replace(url)
        else:
            ui.navigate.history.push(url)

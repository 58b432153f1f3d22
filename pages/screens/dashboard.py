"""`/`: the signed-in role's dashboard. Employees see their tickets; technicians the queue."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from helpdesk.domain import queue
from pages.app.i18n import _
from pages.app.tab import FAILED, Tab, open_tab
from pages.app.theme import MUTED, frame
from pages.components.ticket_table import TicketTable


async def dashboard_page(request: Request) -> RedirectResponse | None:
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    if page.user.is_technician:
        await _technician_queue(page)
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


async def _technician_queue(page: Tab) -> None:
    labels = _view_labels()
    with frame(page, _("Ticket queue")):
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(_("Ticket queue")).classes("text-2xl font-bold")
            search = (
                ui.input(placeholder=_("Search title, description or #number"))
                .props("dense outlined clearable debounce=300 maxlength=200")
                .classes("w-80")
                .mark("search")
            )
            with search.add_slot("prepend"):
                ui.icon("search")
        with ui.tabs().classes("w-full").props("align=left no-caps") as tabs:
            tab_for = {view: ui.tab(view.value, label=labels[view]).mark(f"view-{view.value}") for view in queue.View}
        table = TicketTable(page, queue.QueueQuery(view=queue.View.unassigned), show_requester=True)

    async def update_counts() -> None:
        counts = await page.call(queue.counts)
        if counts is FAILED:
            return
        for view, count in counts.items():
            tab_for[view].props(f'label="{labels[view]} ({count})"')

    async def change_view(event: ValueChangeEventArguments) -> None:
        table.query.view = queue.View(event.value)
        table.query.page = 1
        await table.refresh()

    async def change_search(event: ValueChangeEventArguments) -> None:
        table.query.q = (event.value or "")[: queue.QUERY_MAX]
        table.query.page = 1
        await table.refresh()

    tabs.set_value(queue.View.unassigned.value)
    tabs.on_value_change(change_view)
    search.on_value_change(change_search)
    table.on_refreshed.append(update_counts)
    await table.refresh()

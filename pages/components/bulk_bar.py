"""Actions on the queue's selected rows: take, assign, set status, set priority.

Shown only while rows are selected. Each ticket is changed by the same service as one at a time
(its own timeline entry, its own live update); the bar says how many were done and why any
were not.
"""

from nicegui import ui

from helpdesk.domain import tickets
from helpdesk.domain.tickets import Changes
from models import Priority, Status
from pages.app.i18n import _, error_text
from pages.app.tab import FAILED, Tab
from pages.app.theme import priority_label, status_label
from pages.components.controls import choice_menu
from pages.components.queue_filters import technician_names
from pages.components.ticket_table import TicketTable


class BulkBar:
    def __init__(self, page: Tab) -> None:
        self.page = page
        self.table: TicketTable | None = None
        self.technicians: list[tuple[int, str]] | None = None
        self.bar = ui.row().classes("w-full items-center gap-2 p-2 rounded bulk-bar").mark("bulk")
        self.bar.props('role=toolbar aria-label="' + _("Actions on the selected tickets") + '"')
        self.bar.set_visibility(False)

    def attach(self, table: TicketTable) -> None:
        self.table = table
        table.table.on_select(lambda _e: self.render())
        table.on_refreshed.append(self._after_refresh)

    async def _after_refresh(self) -> None:
        self.render()

    def _selected_ids(self) -> list[int]:
        if self.table is None:
            return []
        shown = {row["id"] for row in self.table.table.rows}
        return [row["id"] for row in self.table.table.selected if row["id"] in shown]

    def render(self) -> None:
        ids = self._selected_ids()
        self.bar.set_visibility(bool(ids))
        self.bar.clear()
        if not ids:
            return
        with self.bar:
            ui.label(_("Selected: {count}", count=len(ids))).classes("font-bold").mark("selected-count")
            ui.button(_("Take"), icon="pan_tool", on_click=lambda: self._run(take_them=True)).props(
                "dense no-caps"
            ).mark("bulk-take")
            with self._menu_button(_("Assign"), "bulk-assign"):
                menu = ui.menu().props("role=menu")
                menu.on("before-show", lambda: self._fill_assignees(menu))
            with self._menu_button(_("Status"), "bulk-status"):
                choice_menu([(s, status_label(s)) for s in Status], lambda s: self._run(Changes(status=s)))
            with self._menu_button(_("Priority"), "bulk-priority"):
                choice_menu([(p, priority_label(p)) for p in Priority], lambda p: self._run(Changes(priority=p)))
            ui.space()
            ui.button(_("Clear selection"), on_click=self._clear).props("flat dense no-caps")

    @staticmethod
    def _menu_button(label: str, mark: str) -> ui.button:
        return ui.button(label).props("dense outline no-caps icon-right=arrow_drop_down").mark(mark)

    async def _fill_assignees(self, menu: ui.menu) -> None:
        if self.technicians is None:
            technicians = await self.page.call(technician_names)
            if technicians is FAILED:
                return
            self.technicians = technicians
        menu.clear()
        with menu:
            for uid, name in [(None, _("Nobody")), *self.technicians]:
                ui.menu_item(name, on_click=lambda _e, u=uid: self._run(Changes(assignee_id=u))).props("role=menuitem")

    def _clear(self) -> None:
        if self.table is not None:
            self.table.table.selected = []
            self.table.table.update()
        self.render()

    async def _run(self, changes: Changes | None = None, *, take_them: bool = False) -> None:
        ids = self._selected_ids()
        if not ids or self.table is None:
            return
        result = await self.page.call(tickets.bulk, ids, changes, take_them=take_them)
        if result is FAILED:
            return
        if result.done:
            ui.notify(_("Tickets changed: {count}.", count=len(result.done)), type="positive")
        for ticket_id, refusal in result.refused.items():
            ui.notify(f"#{ticket_id}: {error_text(refusal)}", type="warning")
        self.table.table.selected = []
        await self.table.refresh()

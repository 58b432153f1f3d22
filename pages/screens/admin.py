"""What every administrator screen shares: the gate in front of it and its table of records
with a row of action buttons."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from helpdesk.domain import policy
from pages.app.tab import FAILED, Tab, open_tab
from pages.app.theme import frame, not_found


class Screen(Protocol):
    async def refresh(self) -> None: ...


async def admin_page(request: Request, title: str, make_screen: Callable[[Tab], Screen]) -> RedirectResponse | None:
    """Signed-in administrators get the screen; anyone else a page that does not exist."""
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    if not policy.is_admin(page.user):
        not_found(page)
        return None
    with frame(page, title):
        screen = make_screen(page)
    await screen.refresh()
    return None


class Records:
    """An administrator's table of records, one row of action buttons each, re-read on demand."""

    page: Tab
    table: ui.table

    def load(self, actor: Any) -> list:
        raise NotImplementedError

    def row(self, record: Any) -> dict:
        """The record's other columns and action labels (its id and name are added)."""
        raise NotImplementedError

    async def refresh(self) -> None:
        result = await self.page.call(self.load)
        if result is not FAILED:
            self.table.rows = [{"id": record.id, "name": record.name} | self.row(record) for record in result]


def column(name: str, label: str, field: str | None = None, sortable: bool = False) -> dict:
    return {"name": name, "label": label, "field": field or name, "align": "left", "sortable": sortable}


def action_table(
    columns: list[dict], actions_slot: str, marker: str, actions: dict[str, Callable[[dict], Awaitable[Any] | Any]]
) -> ui.table:
    """A table whose last column holds buttons; each button emits one of `actions` with its row."""
    table = (
        ui.table(columns=[*columns, {"name": "actions", "label": "", "field": "id"}], rows=[], row_key="id")
        .props("flat bordered")
        .classes("w-full")
        .mark(marker)
    )
    table.add_slot("body-cell-actions", actions_slot)
    for event, handler in actions.items():
        table.on(event, lambda e, handler=handler: handler(e.args))
    return table

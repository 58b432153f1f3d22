"""The queue's filters: a menu per filter, each active one a removable chip, and saved views.

Changing a filter calls `on_change` (the queue reloads its table and writes the address); the
bar then draws itself again from the query, so what it shows is always what is applied.
"""

from collections.abc import Awaitable, Callable
from datetime import date

from nicegui import ui

from helpdesk.domain import saved_views, users
from helpdesk.domain.queue import QueueQuery
from models import Category, Priority, Status, User
from pages.app import queue_url
from pages.app.i18n import _
from pages.app.tab import FAILED, Tab
from pages.app.theme import category_label, priority_label, status_label
from pages.components.controls import choice_menu, dialog_actions, icon_button

Change = Callable[[], Awaitable[None]]
CHIP = "filter-chip"


def technician_names(_actor: User) -> list[tuple[int, str]]:
    return [(u.id, u.name) for u in users.technicians() if u.id is not None]


def _person(_actor: User, user_id: int) -> str | None:
    person = users.get(user_id)
    return person.name if person is not None else None


def _people(actor: User, text: str) -> list[tuple[int, str]]:
    return [(u.id, f"{u.name} <{u.email}>") for u in users.find_people(actor, text) if u.id is not None]


class QueueFilters:
    def __init__(self, page: Tab, query: QueueQuery, default: QueueQuery, on_change: Change) -> None:
        self.page, self.query, self.default, self.on_change = page, query, default, on_change
        self.technicians: list[tuple[int, str]] = []
        self.requester_name: str | None = None
        self.views: list[saved_views.View] = []
        self.bar = ui.row().classes("w-full items-center gap-2").mark("filters")
        self.chips = ui.row().classes("w-full items-center gap-1").mark("active-filters")

    async def load(self) -> None:
        technicians = await self.page.call(technician_names)
        views = await self.page.call(saved_views.list_views)
        if technicians is FAILED or views is FAILED:
            return
        self.technicians, self.views = technicians, views
        await self._name_requester()
        self.render()

    async def _name_requester(self) -> None:
        if self.query.requester is None:
            self.requester_name = None
            return
        name = await self.page.call(_person, self.query.requester)
        self.requester_name = name if isinstance(name, str) else f"#{self.query.requester}"

    # -- drawing ---------------------------------------------------------------------------------

    def render(self) -> None:
        self.bar.clear()
        with self.bar:
            ui.label(_("Filter:")).classes("text-muted text-sm")
            self._choice(_("Status"), "status", [(s, status_label(s)) for s in Status])
            self._choice(_("Priority"), "priority", [(p, priority_label(p)) for p in Priority])
            self._choice(_("Category"), "category", [(c, category_label(c)) for c in Category])
            self._choice(_("Assignee"), "assignee", self._assignees())
            self._requester_menu()
            self._dates_menu(_("Created"), "created")
            self._dates_menu(_("Updated"), "updated")
            ui.space()
            self._views_menu()
        self.chips.clear()
        with self.chips:
            for label, name in self._active():
                remove = _("Remove filter {filter}", filter=label).replace('"', "'")
                chip = ui.chip(label, removable=True, color=None)
                chip.props(f'outline color=primary remove-aria-label="{remove}"')
                chip.classes(CHIP).on_value_change(lambda _e, n=name: self._clear(n))
            if queue_url.has_filters(self.query):
                ui.button(_("Clear filters"), on_click=self._clear_all).props("flat dense no-caps").mark(
                    "clear-filters"
                )
        self.chips.set_visibility(queue_url.has_filters(self.query))

    def _assignees(self) -> list[tuple[str, str]]:
        people = [(str(uid), name) for uid, name in self.technicians]
        return [("me", _("Me")), ("none", _("Nobody")), ("someone", _("Someone")), *people]

    def _menu_button(self, label: str, name: str) -> ui.button:
        name_for_readers = _("Filter by {name}", name=label).replace('"', "'")
        return (
            ui.button(label)
            .props(f'outline dense no-caps icon-right=arrow_drop_down aria-label="{name_for_readers}"')
            .mark(f"filter-{name}")
        )

    def _choice(self, label: str, name: str, options: list[tuple[object, str]]) -> None:
        with self._menu_button(label, name):
            choice_menu(options, lambda value: self._set(name, value))

    def _requester_menu(self) -> None:
        with self._menu_button(_("Requester"), "requester"):
            with ui.menu(), ui.column().classes("p-2 gap-1 w-72"):
                search = ui.input(_("Name or email")).props("dense outlined autofocus maxlength=100").classes("w-full")
                results = ui.column().classes("w-full gap-0")

                async def look_up() -> None:
                    found = await self.page.call(_people, search.value or "")
                    results.clear()
                    if found is FAILED:
                        return
                    with results:
                        for uid, text in found:
                            ui.item(text, on_click=lambda _e, u=uid: self._set("requester", u)).classes("w-full")
                        if not found:
                            ui.label(_("Nobody found.")).classes("text-muted text-sm")

                search.props("debounce=300").on_value_change(look_up)

    def _dates_menu(self, label: str, prefix: str) -> None:
        with self._menu_button(label, prefix):
            with ui.menu(), ui.column().classes("p-3 gap-2"):
                first = ui.input(_("From"), value=self._iso(f"{prefix}_from")).props(
                    "type=date dense outlined stack-label"
                )
                last = ui.input(_("To"), value=self._iso(f"{prefix}_to")).props("type=date dense outlined stack-label")

                async def apply() -> None:
                    try:
                        start = date.fromisoformat(first.value) if first.value else None
                        end = date.fromisoformat(last.value) if last.value else None
                    except ValueError:
                        ui.notify(_("Enter dates as shown by the date picker."), type="warning")
                        return
                    if start and end and start > end:
                        ui.notify(_("A date range must not end before it starts."), type="warning")
                        return
                    setattr(self.query, f"{prefix}_from", start)
                    setattr(self.query, f"{prefix}_to", end)
                    await self._changed()

                ui.button(_("Apply"), on_click=apply).props("dense").mark(f"apply-{prefix}")

    def _iso(self, name: str) -> str:
        value = getattr(self.query, name)
        return value.isoformat() if value else ""

    def _views_menu(self) -> None:
        with ui.button(_("Views"), icon="bookmarks").props("flat dense no-caps").mark("views"):
            with ui.menu().props("role=menu").classes("min-w-64"):
                for view in self.views:
                    with ui.item(on_click=lambda _e, v=view: ui.navigate.to(f"/?{v.query}")).props("role=menuitem"):
                        with ui.item_section():
                            ui.item_label(view.name)
                        with ui.item_section().props("side"):
                            icon_button(
                                "delete",
                                _("Delete the view {name}", name=view.name),
                                lambda _e, v=view: self._delete(v),
                                "flat round dense size=sm",
                            ).on("click.stop", lambda: None)
                if self.views:
                    ui.separator()
                ui.menu_item(_("Save these filters as a view…"), on_click=self._ask_name).props("role=menuitem").mark(
                    "save-view"
                )

    def _active(self) -> list[tuple[str, str]]:
        q = self.query
        active = []
        if q.status is not None:
            active.append((f"{_('Status')}: {status_label(q.status)}", "status"))
        if q.priority is not None:
            active.append((f"{_('Priority')}: {priority_label(q.priority)}", "priority"))
        if q.category is not None:
            active.append((f"{_('Category')}: {category_label(q.category)}", "category"))
        if q.assignee is not None:
            names = dict(self._assignees())
            active.append((f"{_('Assignee')}: {names.get(q.assignee, '#' + q.assignee)}", "assignee"))
        if q.requester is not None:
            active.append((f"{_('Requester')}: {self.requester_name or '#' + str(q.requester)}", "requester"))
        for label, prefix in ((_("Created"), "created"), (_("Updated"), "updated")):
            first, last = getattr(q, f"{prefix}_from"), getattr(q, f"{prefix}_to")
            if first or last:
                span = f"{first.isoformat() if first else '…'} – {last.isoformat() if last else '…'}"
                active.append((f"{label}: {span}", prefix))
        return active

    # -- changing --------------------------------------------------------------------------------

    async def _changed(self) -> None:
        self.query.page = 1
        await self._name_requester()
        await self.on_change()
        self.render()

    async def _set(self, name: str, value: object) -> None:
        setattr(self.query, name, value)
        await self._changed()

    async def _clear(self, name: str) -> None:
        if name in ("created", "updated"):
            setattr(self.query, f"{name}_from", None)
            setattr(self.query, f"{name}_to", None)
        else:
            setattr(self.query, name, None)
        await self._changed()

    async def _clear_all(self) -> None:
        for name in queue_url.FILTERS:
            setattr(self.query, name, None)
        await self._changed()

    async def _delete(self, view: saved_views.View) -> None:
        if await self.page.call(saved_views.delete, view.id) is FAILED:
            return
        self.views = [v for v in self.views if v.id != view.id]
        ui.notify(_("View “{name}” deleted.", name=view.name))
        self.render()

    def _ask_name(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm gap-3"):
            ui.label(_("Save these filters as a view")).classes("text-lg font-bold")
            name = ui.input(_("Name")).props("autofocus maxlength=60").classes("w-full").mark("view-name")

            async def save() -> None:
                query = queue_url.encode(self.query, self.default, page=False)
                saved = await self.page.call(saved_views.save, name.value or "", query)
                if saved is FAILED:
                    return  # told why; the dialog stays open with the name typed
                dialog.close()
                self.views = sorted([v for v in self.views if v.id != saved.id] + [saved], key=lambda v: v.name)
                ui.notify(_("View “{name}” saved.", name=saved.name), type="positive")
                self.render()

            name.on("keydown.enter", save)
            dialog_actions(dialog, _("Save"), save, "confirm-save-view")
        dialog.open()

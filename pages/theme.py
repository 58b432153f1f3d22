"""The look of every page: design constants in one place and the shared frame."""

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from models import Priority, Status
from pages.i18n import _
from pages.notifier import MessageNotifier
from pages.session import PageSession

PRIMARY = "#1f4e79"
STATUS_COLOR = {Status.open: "blue-7", Status.in_progress: "orange-8", Status.resolved: "green-7"}
PRIORITY_COLOR = {
    Priority.low: "grey-6",
    Priority.normal: "blue-grey-6",
    Priority.high: "deep-orange-7",
    Priority.urgent: "red-9",
}
CONTENT = "w-full max-w-6xl mx-auto p-4 gap-4"
CARD = "w-full"
MUTED = "text-grey-7 text-sm"


def status_label(status: Status) -> str:
    return {Status.open: _("Open"), Status.in_progress: _("In progress"), Status.resolved: _("Resolved")}[
        Status(status)
    ]


def priority_label(priority: Priority) -> str:
    labels = {
        Priority.low: _("Low"),
        Priority.normal: _("Normal"),
        Priority.high: _("High"),
        Priority.urgent: _("Urgent"),
    }
    return labels[Priority(priority)]


def category_label(category: str) -> str:
    labels = {
        "hardware": _("Hardware"),
        "software": _("Software"),
        "network": _("Network"),
        "access": _("Access"),
        "other": _("Other"),
    }
    return labels[str(category)]


def status_badge(status: Status) -> ui.badge:
    return ui.badge(status_label(status), color=STATUS_COLOR[Status(status)]).props("rounded").classes("px-2 py-1")


def priority_badge(priority: Priority) -> ui.badge:
    badge = ui.badge(priority_label(priority), color=PRIORITY_COLOR[Priority(priority)])
    return badge.props("outline rounded").classes("px-2 py-1")


@contextmanager
def frame(page: PageSession | None, title: str, ticket_id: int | None = None) -> Iterator[ui.column]:
    """Header, navigation and a centred content column, the same on every signed-in page."""
    ui.page_title(f"{title} · Helpdesk")
    if page is not None:
        MessageNotifier(page, title, ticket_id)
    ui.colors(primary=PRIMARY)
    ui.query("body").classes("bg-grey-1")
    ui.add_css(".q-message-text a { text-decoration: underline; color: inherit; }")
    with ui.header().classes("items-center justify-between px-4 py-2 bg-primary"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("support_agent", size="28px")
            ui.link("Helpdesk", "/").classes("text-white text-lg font-bold no-underline")
        if page is not None:
            with ui.row().classes("items-center gap-1"):
                ui.button(_("Dashboard"), icon="dashboard", on_click=lambda: ui.navigate.to("/")).props(
                    "flat color=white no-caps"
                )
                ui.button(_("New ticket"), icon="add", on_click=lambda: ui.navigate.to("/tickets/new")).props(
                    "flat color=white no-caps"
                ).mark("nav-new-ticket")
                if page.user.is_technician and page.user.is_admin:
                    ui.button(_("Users"), icon="group", on_click=lambda: ui.navigate.to("/admin/users")).props(
                        "flat color=white no-caps"
                    )
                with (
                    ui.button(page.user.name, icon="account_circle").props("flat color=white no-caps").mark("user-menu")
                ):
                    with ui.menu():
                        ui.menu_item(_("Profile"), on_click=lambda: ui.navigate.to("/profile"))
                        ui.menu_item(_("Sign out"), on_click=lambda: ui.navigate.to("/auth/logout")).mark("logout")
    with ui.column().classes(CONTENT) as content:
        yield content

"""The look of every page: design constants in one place and the shared frame."""

from collections.abc import Iterator
from contextlib import contextmanager
from html import escape

from nicegui import app, background_tasks, ui

from helpdesk.domain import policy
from models import Priority, Status, Theme
from pages.app.i18n import _, set_page_options
from pages.app.static import static_url
from pages.app.tab import Tab
from pages.components.notifier import MessageNotifier
from pages.components.remote_consent import EmployeeConsent

PRIMARY = "#1f4e79"
# Badge colours are classes of pages/static/app.css, each readable (WCAG AA) in light and dark mode.
STATUS_CLASS = {Status.open: "status-open", Status.in_progress: "status-progress", Status.resolved: "status-resolved"}
PRIORITY_CLASS = {
    Priority.low: "priority-low",
    Priority.normal: "priority-normal",
    Priority.high: "priority-high",
    Priority.urgent: "priority-urgent",
}
CONTENT = "w-full max-w-6xl mx-auto p-4 max-sm:px-2 gap-4"
MUTED = "text-muted text-sm"


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


def status_badge(status: Status) -> str:
    return f'<span class="badge {STATUS_CLASS[Status(status)]}">{escape(status_label(status))}</span>'


def priority_badge(priority: Priority) -> str:
    label = escape(priority_label(priority))
    return f'<span class="badge badge-outline {PRIORITY_CLASS[Priority(priority)]}">{label}</span>'


def register() -> None:
    app.colors(primary=PRIMARY)
    # Shared by every page (added once, not per page: each per-page element costs memory).
    ui.add_head_html(f'<link rel="stylesheet" href="{static_url("app.css")}">', shared=True)
    ui.add_body_html(f'<script src="{static_url("drafts.js")}"></script>', shared=True)
    ui.add_body_html(f'<script src="{static_url("lists.js")}"></script>', shared=True)
    ui.add_body_html(f'<script src="{static_url("shortcuts.js")}"></script>', shared=True)
    ui.add_body_html(f'<script src="{static_url("countdown.js")}"></script>', shared=True)


def _nav_link(href: str, icon: str, text: str, title: str = "") -> str:
    label = f'<span class="max-sm:hidden">{escape(text)}</span>' if text else ""
    return (
        f'<a href="{href}" title="{escape(title or text)}" aria-label="{escape(title or text)}" '
        'class="flex items-center gap-1 text-white no-underline px-3 py-2 rounded hover:bg-white/10">'
        f'<i class="q-icon material-icons" aria-hidden="true">{icon}</i>{label}</a>'
    )


def _header_html(page: Tab | None) -> str:
    brand = (
        '<a href="/" class="flex items-center gap-2 text-white text-lg font-bold no-underline">'
        '<i class="q-icon material-icons text-[28px]" aria-hidden="true">support_agent</i>Helpdesk</a>'
    )
    if page is None:
        return f'<nav class="flex items-center justify-between">{brand}</nav>'
    links = [_nav_link("/", "dashboard", _("Dashboard")), _nav_link("/tickets/new", "add", _("New ticket"))]
    if policy.is_admin(page.user):
        links.append(_nav_link("/admin/users", "group", _("Users")))
        links.append(_nav_link("/admin/displays", "tv", _("Displays")))
        links.append(_nav_link("/admin/email", "mail", _("Email")))
    links.append(_nav_link("/profile", "account_circle", page.user.name))
    keys = escape(_("Keyboard shortcuts"))
    links.append(
        f'<button type="button" title="{keys} (?)" aria-label="{keys}" onclick="emitEvent(\'helpdesk-shortcuts\')" '
        'class="flex items-center text-white px-3 py-2 rounded hover:bg-white/10 max-sm:hidden">'
        '<i class="q-icon material-icons" aria-hidden="true">keyboard</i></button>'
    )
    sign_out = escape(_("Sign out"))
    # A form post (checked for its Origin): no other site can sign anyone out with a link.
    links.append(
        f'<form method="post" action="/auth/logout" class="m-0"><button type="submit" title="{sign_out}" '
        f'aria-label="{sign_out}" class="flex items-center text-white px-3 py-2 rounded hover:bg-white/10">'
        '<i class="q-icon material-icons" aria-hidden="true">logout</i></button></form>'
    )
    menu = f'<div class="flex items-center gap-1">{"".join(links)}</div>'
    return f'<nav class="flex items-center justify-between" data-shortcuts>{brand}{menu}</nav>'


def _shortcuts(page: Tab) -> list[tuple[str, str]]:
    home = _("Go to the queue") if page.user.is_technician else _("Go to my tickets")
    return [
        ("/", _("Search the queue")),
        ("j / k", _("Next / previous ticket in a list")),
        ("Enter", _("Open it")),
        ("n", _("New ticket")),
        ("g q", home),
        ("?", _("Show these shortcuts")),
    ]


def show_shortcuts(page: Tab) -> None:
    """The list of keyboard shortcuts, made when asked for (not on every page load)."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm gap-2").mark("shortcuts"):
        ui.label(_("Keyboard shortcuts")).classes("text-lg font-bold")
        rows = "".join(
            f'<tr><td class="pr-4 py-1"><kbd>{escape(key)}</kbd></td><td>{escape(text)}</td></tr>'
            for key, text in _shortcuts(page)
        )
        ui.html(f"<table>{rows}</table>", sanitize=False)
        with ui.row().classes("w-full justify-end"):
            ui.button(_("Close"), on_click=dialog.close).props("flat")
    dialog.on("hide", dialog.delete)
    dialog.open()


@contextmanager
def frame(page: Tab | None, title: str, ticket_id: int | None = None) -> Iterator[ui.column]:
    """Header, navigation and a centred content column, the same on every signed-in page."""
    ui.page_title(f"{title} · Helpdesk")
    if page is not None:
        if page.user.theme != Theme.system:  # else as the page was made: following the device
            set_page_options(dark=page.user.theme == Theme.dark)
        MessageNotifier(page, title, ticket_id)
        ui.on("helpdesk-shortcuts", lambda: show_shortcuts(page))
        if not page.user.is_technician:
            consent = EmployeeConsent(page)
            background_tasks.create(consent.load(), name="remote consent")

    with ui.header().classes("px-4 py-2 bg-primary"):
        # Plain links in one element: the header is on every page, and every element costs memory there.
        ui.html(_header_html(page), sanitize=False).classes("w-full").mark("header")
    with ui.column().classes(CONTENT) as content:
        yield content


def not_found(page: Tab | None, text: str | None = None) -> None:
    """What an address shows to someone who may not know it exists."""
    with frame(page, _("Not found")):
        with ui.card().classes("w-full max-w-lg mx-auto mt-10 p-6 items-center gap-3").mark("not-found"):
            ui.icon("search_off", size="48px").classes("text-muted")
            ui.label(text or _("This page does not exist.")).classes("text-xl text-center")
            ui.link(_("Back to the dashboard"), "/").classes("text-primary")

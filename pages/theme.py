"""The look of every page: design constants in one place and the shared frame."""

from collections.abc import Iterator
from contextlib import contextmanager
from html import escape

from nicegui import background_tasks, ui

from models import Priority, Status
from pages.i18n import _
from pages.notifier import MessageNotifier
from pages.remote import EmployeeConsent
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


# Shared by every page (added once, not per page: each per-page element costs memory).
SHARED_CSS = f"""<style>
body {{ --q-primary: {PRIMARY} !important; background: #fafafa; }}
.q-message-text a {{ text-decoration: underline; color: inherit; }}
.chat-log:empty::before {{ content: attr(data-empty); color: #757575; font-size: 0.875rem; }}
</style>"""


def register() -> None:
    ui.add_head_html(SHARED_CSS, shared=True)


def _nav_link(href: str, icon: str, text: str, title: str = "") -> str:
    label = f'<span class="max-sm:hidden">{escape(text)}</span>' if text else ""
    return (
        f'<a href="{href}" title="{escape(title or text)}" aria-label="{escape(title or text)}" '
        'class="flex items-center gap-1 text-white no-underline px-3 py-2 rounded hover:bg-white/10">'
        f'<i class="q-icon material-icons" aria-hidden="true">{icon}</i>{label}</a>'
    )


def _header_html(page: PageSession | None) -> str:
    brand = (
        '<a href="/" class="flex items-center gap-2 text-white text-lg font-bold no-underline">'
        '<i class="q-icon material-icons text-[28px]" aria-hidden="true">support_agent</i>Helpdesk</a>'
    )
    if page is None:
        return f'<nav class="flex items-center justify-between">{brand}</nav>'
    links = [_nav_link("/", "dashboard", _("Dashboard")), _nav_link("/tickets/new", "add", _("New ticket"))]
    if page.user.is_technician and page.user.is_admin:
        links.append(_nav_link("/admin/users", "group", _("Users")))
        links.append(_nav_link("/admin/displays", "tv", _("Displays")))
    links.append(_nav_link("/profile", "account_circle", page.user.name))
    sign_out = escape(_("Sign out"))
    # A form post (checked for its Origin): no other site can sign anyone out with a link.
    links.append(
        f'<form method="post" action="/auth/logout" class="m-0"><button type="submit" title="{sign_out}" '
        f'aria-label="{sign_out}" class="flex items-center text-white px-3 py-2 rounded hover:bg-white/10">'
        '<i class="q-icon material-icons" aria-hidden="true">logout</i></button></form>'
    )
    menu = f'<div class="flex items-center gap-1">{"".join(links)}</div>'
    return f'<nav class="flex items-center justify-between">{brand}{menu}</nav>'


@contextmanager
def frame(page: PageSession | None, title: str, ticket_id: int | None = None) -> Iterator[ui.column]:
    """Header, navigation and a centred content column, the same on every signed-in page."""
    ui.page_title(f"{title} · Helpdesk")
    if page is not None:
        MessageNotifier(page, title, ticket_id)
        if not page.user.is_technician:
            consent = EmployeeConsent(page)
            background_tasks.create(consent.load(), name="remote consent")

    with ui.header().classes("px-4 py-2 bg-primary"):
        # Plain links in one element: the header is on every page, and every element costs memory there.
        ui.html(_header_html(page), sanitize=False).classes("w-full").mark("header")
    with ui.column().classes(CONTENT) as content:
        yield content


def not_found(page: PageSession | None) -> None:
    """What an address shows to someone who may not know it exists."""
    with frame(page, _("Not found")):
        ui.label(_("This page does not exist.")).classes("text-xl").mark("not-found")

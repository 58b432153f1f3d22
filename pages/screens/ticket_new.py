"""`/tickets/new`: report a problem."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from helpdesk.domain import tickets
from models import Category, Priority
from models.ticket import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN
from pages.app.i18n import _
from pages.app.tab import FAILED, open_tab
from pages.app.theme import MUTED, category_label, frame, priority_label
from pages.components import drafts


async def new_ticket_page(request: Request) -> RedirectResponse | None:
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    with frame(page, _("New ticket")), ui.card().classes("w-full max-w-2xl mx-auto p-6 gap-4"):
        ui.label(_("Report a problem")).classes("text-2xl font-bold")
        ui.label(_("Say what is wrong and what you were doing; a technician will pick it up.")).classes(MUTED)
        # No maxlength: a paste longer than allowed is kept whole and the field says what is wrong,
        # rather than being cut silently.
        title_rule = _("The title must be {min} to {max} characters.", min=TITLE_MIN, max=TITLE_MAX)
        title = (
            ui.input(_("Title"), validation={title_rule: lambda v: TITLE_MIN <= len((v or "").strip()) <= TITLE_MAX})
            .props("counter autofocus")
            .classes("w-full")
            .mark("title")
        )
        title.without_auto_validation()
        description_rule = _("The description must be at most {max} characters.", max=DESCRIPTION_MAX)
        description = (
            ui.textarea(_("Description"), validation={description_rule: lambda v: len(v or "") <= DESCRIPTION_MAX})
            .props("autogrow counter")
            .classes("w-full")
            .mark("description")
        )
        description.without_auto_validation()
        # Typed text is kept in the browser until the ticket is saved (pages/components/drafts.py).
        kept = {f"new-ticket:{page.user.id}:title": title, f"new-ticket:{page.user.id}:description": description}
        for key, field in kept.items():
            drafts.mark(field, key)
        for field in (title, description):
            # An error shown after a submit goes as soon as the text is right again.
            field.on_value_change(lambda _e, field=field: field.validate() if field.error else None)
        with ui.row().classes("w-full gap-4"):
            priority = (
                ui.select(
                    {p.value: priority_label(p) for p in Priority}, value=Priority.normal.value, label=_("Priority")
                )
                .classes("w-48")
                .mark("priority")
            )
            category = (
                ui.select(
                    {c.value: category_label(c) for c in Category}, value=Category.other.value, label=_("Category")
                )
                .classes("w-48")
                .mark("category")
            )

        async def submit() -> None:
            if not all([title.validate(), description.validate()]):
                return
            button.disable()
            try:
                ticket = await page.call(
                    tickets.create,
                    title.value or "",
                    description.value or "",
                    Priority(priority.value),
                    Category(category.value),
                )
            finally:
                button.enable()  # whatever happened, the form can be sent again
            if ticket is FAILED:
                unsent.set_visibility(True)
                return
            drafts.keep(dict.fromkeys(kept, ""))
            ui.notify(_("Ticket #{id} created.", id=ticket.id), type="positive")
            ui.navigate.to(f"/tickets/{ticket.id}")

        with ui.column().classes("w-full gap-1").props("data-composer"):
            unsent = drafts.unsent_notice(
                _("Not sent: the server could not be reached or could not save it. What you typed is kept here.")
            )
            with ui.row().classes("w-full justify-end"):
                ui.button(_("Cancel"), on_click=lambda: ui.navigate.to("/")).props("flat")
                button = ui.button(_("Create ticket"), icon="send", on_click=submit).props("data-send").mark("submit")
    ui.context.client.on_connect(lambda: drafts.restore(kept))
    return None

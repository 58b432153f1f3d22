"""`/profile`: one's language, light or dark pages and password; for employees, the workstation
remote assistance reaches."""

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from helpdesk.core import i18n
from helpdesk.core.config import get_settings
from helpdesk.domain import auth, notify, remote, users
from models import NoticeKind, Theme
from pages.app.i18n import _
from pages.app.tab import FAILED, Tab, open_tab
from pages.app.theme import MUTED, frame
from pages.components.controls import password_input

BROWSER = "browser"


async def profile_page(request: Request) -> RedirectResponse | None:
    page = await open_tab(request)
    if page is None:
        return RedirectResponse("/login")
    with frame(page, _("Profile")):
        ui.label(_("Profile")).classes("text-2xl font-bold")
        with ui.card().classes("w-full max-w-xl gap-2"):
            ui.label(page.user.name).classes("text-lg font-bold")
            ui.label(page.user.email).classes(MUTED)
            options = {BROWSER: _("Browser language")} | dict(i18n.LANGUAGE_NAMES)
            language = (
                ui.select(options, value=page.user.language or BROWSER, label=_("Language"))
                .classes("w-64")
                .mark("language")
            )

            async def save_language() -> None:
                value = None if language.value == BROWSER else language.value
                if await page.call(users.set_language, value) is not FAILED:
                    ui.navigate.reload()

            language.on_value_change(save_language)
            themes = {Theme.system: _("As the device is set"), Theme.light: _("Light"), Theme.dark: _("Dark")}
            theme = ui.select(themes, value=page.user.theme, label=_("Appearance")).classes("w-64").mark("theme")

            async def save_theme() -> None:
                if await page.call(users.set_theme, theme.value) is not FAILED:
                    ui.navigate.reload()

            theme.on_value_change(save_theme)
            if not page.user.is_technician:
                host, port = remote.workstation(page.user)
                where = f"{host}:{port}" if host else _("not known yet (it is where you sign in from)")
                ui.label(_("Workstation for remote assistance: {where}", where=where)).classes(MUTED).mark(
                    "workstation"
                )
                ui.label(_("Technicians set it when they offer remote assistance.")).classes(MUTED)
        await _email_choices(page)
        with ui.card().classes("w-full max-w-xl gap-2"):
            ui.label(_("Change password")).classes("text-lg font-bold")
            current = password_input(_("Current password"), "current-password")
            new = password_input(_("New password (8 characters or more)"), "new-password", "new-password")
            ui.label(_("Your other sessions will be signed out.")).classes(MUTED)

            async def change() -> None:
                page.reissuing = True
                user = await page.call(users.change_password, current.value or "", new.value or "")
                if user is FAILED:
                    page.reissuing = False
                    return
                # This tab keeps its session: a fresh token replaces the one the change revoked.
                ui.notify(_("Password changed."), type="positive")
                code = auth.exchange_code(auth.start_session(user), page.browser)
                ui.navigate.to(f"/auth/session?code={code}&next=/profile")

            ui.button(_("Change password"), on_click=change).mark("change-password")
    return None


async def _email_choices(page: Tab) -> None:
    """Which emails one gets (the emails' List-Unsubscribe and footer link here, to #email)."""
    chosen = await page.call(notify.preferences)
    if chosen is FAILED:
        return
    with ui.card().classes("w-full max-w-xl gap-1").props('id="email"'):
        ui.label(_("Email notifications")).classes("text-lg font-bold")
        if get_settings().smtp_url is None:
            ui.label(_("The helpdesk sends no email yet: an administrator has not set a mail server.")).classes(MUTED)
        ui.label(_("Nothing is sent for what you already saw on the page.")).classes(MUTED)
        for kind, enabled in chosen.items():
            ui.checkbox(_(notify.LABELS[kind]), value=enabled, on_change=_saver(page, kind)).mark(f"email-{kind}")


def _saver(page: Tab, kind: NoticeKind) -> Callable[[ValueChangeEventArguments], Awaitable[None]]:
    async def save(event: ValueChangeEventArguments) -> None:
        if await page.call(notify.set_preference, kind, bool(event.value)) is not FAILED:
            ui.notify(_("Saved."), type="positive")

    return save

"""`/admin/displays`: administrators create wall displays, pair, edit and revoke them."""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from helpdesk.core import i18n
from helpdesk.core.events import DisplayChanged
from helpdesk.domain import kiosk
from models import Display
from pages.app import live
from pages.app.i18n import _, when
from pages.app.tab import FAILED, Tab
from pages.app.theme import MUTED
from pages.components.controls import dialog_actions
from pages.screens.admin import Records, action_table, admin_page, column

_ACTIONS_SLOT = """
<q-td :props="props" auto-width>
  <template v-if="!props.row.revoked">
    <q-btn flat dense icon="link" :title="props.row.pair_action" :aria-label="props.row.pair_action"
           @click.stop="$parent.$emit('pair', props.row)"/>
    <q-btn flat dense icon="edit" :title="props.row.edit_action" :aria-label="props.row.edit_action"
           @click.stop="$parent.$emit('edit', props.row)"/>
    <q-btn flat dense icon="block" :title="props.row.revoke_action" :aria-label="props.row.revoke_action"
           @click.stop="$parent.$emit('revoke', props.row)"/>
  </template>
</q-td>
"""


def _state(display: Display) -> str:
    if display.revoked_at is not None:
        return _("Revoked")
    if display.secret_hash is not None:
        return _("Paired")
    return _("Waiting for pairing")


class DisplaysScreen(Records):
    load = staticmethod(kiosk.list_displays)

    def __init__(self, page: Tab, base_url: str) -> None:
        self.page = page
        self.base_url = base_url.rstrip("/")
        with ui.row().classes("w-full items-center justify-between"):
            with ui.column().classes("gap-0"):
                ui.label(_("Displays")).classes("text-2xl font-bold")
                ui.label(_("Wall screens that show the live queue at /kiosk, without signing in.")).classes(MUTED)
            ui.button(_("New display"), icon="tv", on_click=self.edit_dialog).mark("new-display")
        columns = [
            column("name", _("Name"), sortable=True),
            column("language", _("Language"), "language_label"),
            column("privacy", _("Privacy mode"), "privacy_label"),
            column("state", _("State")),
            column("seen", _("Last seen")),
        ]
        # A screen that pairs (or a revocation elsewhere) shows here without a reload.
        live.on_every(page, ui.context.client.layout, lambda _event: self.refresh(), DisplayChanged)
        actions = {"pair": self.pair, "edit": self.edit_dialog, "revoke": self.revoke_dialog}
        self.table = action_table(columns, _ACTIONS_SLOT, "displays", actions)

    def show_link(self, display: Display, code: str) -> None:
        link = f"{self.base_url}/kiosk/pair?code={code}"
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-xl gap-3"):
            ui.label(_("Pairing link for {name}", name=display.name)).classes("text-lg font-bold")
            ui.label(
                _("Open it in the screen's browser within 15 minutes. It works once; a new link replaces the screen.")
            ).classes(MUTED)
            ui.input(_("Pairing link"), value=link).props("readonly outlined").classes("w-full font-mono").mark(
                "pairing-link"
            )
            with ui.row().classes("w-full justify-end"):
                ui.button(_("Copy"), icon="content_copy", on_click=lambda: ui.clipboard.write(link)).props("flat")
                ui.button(_("Close"), on_click=dialog.close)
        dialog.open()

    async def pair(self, row: dict) -> None:
        result = await self.page.call(kiosk.new_pairing_code, int(row["id"]))
        if result is not FAILED:
            self.show_link(*result)
            await self.refresh()

    def edit_dialog(self, row: dict | None = None) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md gap-3"):
            ui.label(_("Edit display") if row else _("New display")).classes("text-lg font-bold")
            name = (
                ui.input(_("Name"), value=row["name"] if row else "", placeholder=_("e.g. IT office TV"))
                .props("maxlength=100 autofocus")
                .classes("w-full")
                .mark("display-name")
            )
            language = (
                ui.select(dict(i18n.LANGUAGE_NAMES), value=row["language"] if row else self.page.locale)
                .props(f'label="{_("Language")}"')
                .classes("w-full")
                .mark("display-language")
            )
            privacy = ui.switch(
                _("Privacy mode: hide requester names and descriptions"), value=row["privacy"] if row else True
            )
            privacy.mark("display-privacy")

            async def save() -> None:
                args = (name.value or "", language.value, bool(privacy.value))
                if row:
                    result = await self.page.call(kiosk.update_display, int(row["id"]), *args)
                else:
                    result = await self.page.call(kiosk.create_display, *args)
                if result is FAILED:
                    return
                dialog.close()
                if not row:
                    self.show_link(*result)
                await self.refresh()

            dialog_actions(dialog, _("Save") if row else _("Create"), save, "display-save")
        dialog.open()

    def revoke_dialog(self, row: dict) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm gap-3"):
            ui.label(_("Revoke {name}?", name=row["name"])).classes("text-lg font-bold")
            ui.label(_("The screen leaves the board within seconds and its pairing stops working for good.")).classes(
                MUTED
            )

            async def revoke() -> None:
                if await self.page.call(kiosk.revoke_display, int(row["id"])) is FAILED:
                    return
                dialog.close()
                ui.notify(_("Display revoked."))
                await self.refresh()

            dialog_actions(dialog, _("Revoke"), revoke, "revoke-confirm", props="color=negative")
        dialog.open()

    @staticmethod
    def row(d: Display) -> dict:
        return {
            "language": d.language,
            "language_label": i18n.LANGUAGE_NAMES.get(d.language, d.language),
            "privacy": d.privacy,
            "privacy_label": _("On") if d.privacy else _("Off (names and descriptions shown)"),
            "state": _state(d),
            "revoked": d.revoked_at is not None,
            "seen": when(d.last_seen_at),
            "pair_action": _("New pairing link"),
            "edit_action": _("Edit"),
            "revoke_action": _("Revoke"),
        }


async def displays_page(request: Request) -> RedirectResponse | None:
    return await admin_page(request, _("Displays"), lambda page: DisplaysScreen(page, str(request.base_url)))

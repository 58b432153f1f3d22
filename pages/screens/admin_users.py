"""`/admin/users`: administrators create, deactivate, reactivate, re-role and reset accounts."""

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from helpdesk.domain import users
from models import Role, User
from pages.app.i18n import _, when
from pages.app.tab import FAILED, Tab
from pages.app.theme import MUTED
from pages.components.controls import confirm, dialog_actions, icon_button, password_input
from pages.screens.admin import Records, action_table, admin_page, column

_ACTIONS_SLOT = """
<q-td :props="props" auto-width>
  <q-btn flat dense icon="badge" :title="props.row.role_action" :aria-label="props.row.role_action"
         @click.stop="$parent.$emit('role', props.row)"/>
  <q-btn flat dense icon="key" :title="props.row.reset_action" :aria-label="props.row.reset_action"
         @click.stop="$parent.$emit('reset', props.row)"/>
  <q-btn flat dense :icon="props.row.active ? 'block' : 'check_circle'" :title="props.row.active_action"
         :aria-label="props.row.active_action" @click.stop="$parent.$emit('active', props.row)"/>
</q-td>
"""


def _role_label(role: Role, is_admin: bool) -> str:
    if role == Role.technician:
        return _("Technician (admin)") if is_admin else _("Technician")
    return _("Employee")


class UsersScreen(Records):
    load = staticmethod(users.list_users)

    def __init__(self, page: Tab) -> None:
        self.page = page
        with ui.row().classes("w-full items-center justify-between"):
            ui.label(_("Users")).classes("text-2xl font-bold")
            ui.button(_("New user"), icon="person_add", on_click=self.create_dialog).mark("new-user")
        columns = [
            column("name", _("Name"), sortable=True),
            column("email", _("Email"), sortable=True),
            column("role", _("Role"), "role_label", sortable=True),
            column("state", _("State")),
            column("created", _("Created")),
        ]
        actions = {"role": self.role_dialog, "reset": self.reset, "active": self.toggle_active}
        self.table = action_table(columns, _ACTIONS_SLOT, "users", actions)

    def create_dialog(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-md gap-3"):
            ui.label(_("New user")).classes("text-lg font-bold")
            name = ui.input(_("Name")).props("maxlength=100").classes("w-full").mark("new-name")
            email = ui.input(_("Email")).props("type=email maxlength=254").classes("w-full").mark("new-email")
            password = password_input(_("Password (8 characters or more)"), "new-password", "new-password", toggle=True)
            role = (
                ui.select({r.value: _role_label(r, False) for r in Role}, value=Role.employee.value, label=_("Role"))
                .classes("w-full")
                .mark("new-role")
            )
            admin = ui.checkbox(_("Administrator (technicians only)")).mark("new-admin")

            async def save() -> None:
                created = await self.page.call(
                    users.create,
                    email.value or "",
                    name.value or "",
                    password.value or "",
                    Role(role.value),
                    bool(admin.value),
                )
                if created is FAILED:
                    return
                ui.notify(_("Account created for {email}.", email=created.email), type="positive")
                dialog.close()
                await self.refresh()

            dialog_actions(dialog, _("Create"), save, "new-save")
        dialog.open()

    def role_dialog(self, row: dict) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm gap-3"):
            ui.label(_("Role of {name}", name=row["name"])).classes("text-lg font-bold")
            choices = {"employee": _("Employee"), "technician": _("Technician"), "admin": _("Technician (admin)")}
            current = "admin" if row["admin"] else row["role"]
            choice = ui.radio(choices, value=current).mark("role-choice")
            ui.label(_("Changing the role signs this person out everywhere.")).classes(MUTED)

            async def save() -> None:
                role = Role.employee if choice.value == "employee" else Role.technician
                if (
                    await self.page.call(users.update, int(row["id"]), role=role, is_admin=choice.value == "admin")
                    is FAILED
                ):
                    return
                dialog.close()
                await self.refresh()

            dialog_actions(dialog, _("Save"), save, "role-save")
        dialog.open()

    async def _still_admin(self) -> bool:
        """Checked before a question is even asked: an account demoted meanwhile goes to sign-in."""
        if await self.page.still_valid():
            return True
        self.page.end()
        return False

    @staticmethod
    def _question(kind: str, name: str) -> tuple[str, str, str]:
        """(question, what follows, the action's name) before a destructive action."""
        if kind == "reset":
            return (
                _("Reset the password of {name}?", name=name),
                _("Their current password stops working and their sessions end at once."),
                _("Reset password"),
            )
        return (
            _("Deactivate {name}?", name=name),
            _("They are signed out everywhere and cannot sign in until an administrator reactivates them."),
            _("Deactivate"),
        )

    async def _ask(self, kind: str, row: dict, then: Callable[[], Awaitable[None]]) -> None:
        if await self._still_admin():
            question, detail, action = self._question(kind, row.get("name", "?"))
            confirm(question, detail, action, then, f"{kind}-confirm")

    async def reset(self, row: dict) -> None:
        await self._ask("reset", row, lambda: self._reset(row))

    async def _reset(self, row: dict) -> None:
        password = await self.page.call(users.reset_password, int(row["id"]))
        if password is FAILED:
            return
        with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm gap-3"):
            ui.label(_("New password for {name}", name=row["name"])).classes("text-lg font-bold")
            ui.label(_("Give it to them privately; it is shown only once. Their sessions have ended.")).classes(MUTED)
            with ui.row().classes("w-full items-center no-wrap gap-1"):
                ui.input(_("New password"), value=password).props("readonly outlined").classes("grow font-mono").mark(
                    "temp-password"
                )
                icon_button("content_copy", _("Copy"), lambda: self._copied(password), "flat round").mark(
                    "copy-password"
                )
            ui.button(_("Close"), on_click=dialog.close).classes("self-end")
        dialog.open()

    @staticmethod
    def _copied(password: str) -> None:
        ui.clipboard.write(password)
        ui.notify(_("Copied."), type="positive")

    async def toggle_active(self, row: dict) -> None:
        if row["active"]:
            await self._ask("deactivate", row, lambda: self._set_active(row))
        elif await self._still_admin():
            await self._set_active(row)  # reactivating takes nothing from anyone: no question

    async def _set_active(self, row: dict) -> None:
        if await self.page.call(users.update, int(row["id"]), is_active=not row["active"]) is FAILED:
            return
        ui.notify(_("Account deactivated.") if row["active"] else _("Account reactivated."))
        await self.refresh()

    @staticmethod
    def row(u: User) -> dict:
        return {
            "email": u.email,
            "role": u.role.value,
            "admin": u.is_admin,
            "role_label": _role_label(u.role, u.is_admin),
            "active": u.is_active,
            "state": _("Active") if u.is_active else _("Deactivated"),
            "created": when(u.created_at),
            "role_action": _("Change role"),
            "reset_action": _("Reset password"),
            "active_action": _("Deactivate") if u.is_active else _("Reactivate"),
        }


async def users_page(request: Request) -> RedirectResponse | None:
    return await admin_page(request, _("Users"), UsersScreen)

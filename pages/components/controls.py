"""Controls every screen uses: labelled icon buttons, password fields, a dialog's closing row."""

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from html import escape
from typing import Any

from nicegui import ui

from models.clock import utcnow
from pages.app.i18n import _

Handler = Callable[[], Awaitable[Any] | Any]


def dialog_actions(dialog: ui.dialog, label: str, on_click: Handler, mark: str, props: str = "") -> ui.button:
    """A dialog's last row: Cancel, then its action."""
    with ui.row().classes("w-full justify-end"):
        ui.button(_("Cancel"), on_click=dialog.close).props("flat")
        return ui.button(label, on_click=on_click).props(props).mark(mark)


def password_input(label: str, mark: str, autocomplete: str = "current-password", toggle: bool = False) -> ui.input:
    """A password field: never truncated below the server's limit, never suggested by the browser
    for the wrong account."""
    return (
        ui.input(label, password=True, password_toggle_button=toggle)
        .props(f"autocomplete={autocomplete} maxlength=1024")
        .classes("w-full")
        .mark(mark)
    )


def icon_button(icon: str, label: str, on_click: Handler | None = None, props: str = "") -> ui.button:
    """A button that shows only an icon: named for screen readers, with the browser's tooltip."""
    safe = label.replace('"', "'")
    return ui.button(icon=icon, on_click=on_click).props(f'{props} aria-label="{safe}" title="{safe}"')


def confirm(question: str, detail: str, action: str, on_confirm: Handler, mark: str) -> None:
    """Ask before something that cannot be undone; the action runs only on the second click."""
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm gap-3"):
        ui.label(question).classes("text-lg font-bold")
        ui.label(detail).classes("text-muted")

        async def confirmed() -> None:
            dialog.close()
            result = on_confirm()
            if hasattr(result, "__await__"):
                await result

        dialog_actions(dialog, action, confirmed, mark, props="color=negative")
    dialog.open()


def choice_menu(options: Iterable[tuple[Any, str]], on_pick: Callable[[Any], Any]) -> ui.menu:
    """A menu of choices (inside the button that opens it), each a menu item for screen readers."""
    with ui.menu().props("role=menu") as menu:
        for value, text in options:
            ui.menu_item(text, on_click=lambda _e, v=value: on_pick(v)).props("role=menuitem")
    return menu


def countdown(until: datetime, text: str) -> str:
    """HTML: `text` with its `{time}` (m:ss) counting down to `until` in the browser (static/countdown.js)."""
    left = max(0, int((until - utcnow()).total_seconds()))
    now = text.replace("{time}", f"{left // 60}:{left % 60:02d}")
    return f'<span data-countdown="{left}" data-countdown-text="{escape(text)}">{escape(now)}</span>'

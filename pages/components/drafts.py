"""What a user types is kept in their browser until the server has saved it (pages/static/drafts.js).

A field is marked with its draft's key; when the page connects, drafts the browser kept are put
back into empty fields; once the server saved what was sent, the draft becomes what is left. Keys
name the user, so a shared browser never shows one person's draft to another (signing out also
clears them).
"""

import json
from html import escape

from nicegui import ui

from pages.app.i18n import _


def mark(field: ui.input, key: str) -> ui.input:
    return field.props(f"data-draft={key}")


async def restore(fields: dict[str, ui.input]) -> None:
    """Put the browser's kept drafts back into the fields that are empty (after a reload or restart)."""
    try:
        kept = await ui.run_javascript(f"helpdeskDrafts.read({json.dumps(list(fields))})", timeout=5.0)
    except TimeoutError:
        return  # a browser that does not answer keeps its drafts for the next connection
    if not isinstance(kept, dict):
        return
    for key, field in fields.items():
        text = kept.get(key)
        if isinstance(text, str) and text and not field.value and not field.is_deleted:
            field.value = text


def keep(drafts: dict[str, str]) -> None:
    """The browser's drafts become these texts (an empty one is removed)."""
    ui.run_javascript(f"helpdeskDrafts.set({json.dumps(drafts)})")


def unsent_notice(text: str) -> ui.html:
    """Hidden until a send fails, here or in the browser while the server is unreachable. Its
    Retry button is the browser's own (drafts.js presses the composer's send button once online)."""
    retry = escape(_("Retry"))
    notice = (
        ui.html(
            f'<div class="flex items-center gap-2 text-negative text-sm" role="status">'
            '<i class="q-icon material-icons" aria-hidden="true">error_outline</i>'
            f'<span class="grow">{escape(text)}</span>'
            f'<button type="button" data-retry class="q-btn q-btn--flat q-btn--dense q-px-sm text-negative">'
            f"{retry}</button></div>",
            sanitize=False,
        )
        .classes("w-full")
        .props("data-unsent")
        .mark("unsent")
    )
    notice.set_visibility(False)
    return notice

"""`/kiosk`: the wall board of the live queue, and `/kiosk/pair`, which pairs a screen.

The board has no controls and no user session: a display cookie opens it. It is drawn from the
hub's rendered blocks (pages/kiosk/board.py, render.py); ages and the clock tick in the browser
(pages/static/kiosk.js).

The browser must never show an error page. NiceGUI reloads the page when the socket's connect
attempt times out, which during an outage would load the browser's own error page. The board's
script turns that timeout off and reloads only once `/healthz` answers.
"""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from helpdesk.core import events, i18n
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_
from helpdesk.domain import kiosk
from models import Display
from models.clock import utcnow
from pages.app.i18n import set_locale
from pages.app.static import json_script, static_url
from pages.kiosk.board import BOARD_EVENT, BoardHub, BoardView
from pages.kiosk.render import WAIT_ALERT, WAIT_WARN

_t = i18n.gettext  # (locale, message, **params): the board is drawn per language, not per page


def _e(locale: str, message: str, **params: object) -> str:
    return escape(_t(locale, message, **params))


hub = BoardHub()
_unsubscribe = None


def _message_screen(locale: str, title: str, text: str) -> None:
    ui.page_title(_t(locale, N_("Helpdesk board")))
    ui.add_head_html(f'<link rel="stylesheet" href="{static_url("kiosk.css")}">')
    ui.html(f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", sanitize=False).classes("kiosk-message").mark(
        "kiosk-message"
    )


async def kiosk_page(request: Request, pairing: str = "") -> None:
    display: Display | None = await run.io_bound(kiosk.verify_cookie, request.cookies.get(kiosk.COOKIE))
    if display is None:
        locale = i18n.negotiate(None, request.headers.get("accept-language"))
        set_locale(locale)
        if pairing == "invalid":
            text = N_("This pairing link was already used or has expired. Ask an administrator for a new one.")
        else:
            text = N_("An administrator can pair it from Displays in the helpdesk's admin menu.")
        _message_screen(locale, _t(locale, N_("This screen is not paired")), _t(locale, text))
        return
    locale = display.language if display.language in i18n.SUPPORTED else "en"
    set_locale(locale)
    blocks = await hub.blocks_for_new_page((locale, display.privacy))
    ui.page_title(_t(locale, N_("Helpdesk board")) + f" · {display.name}")
    ui.add_head_html(f'<link rel="stylesheet" href="{static_url("kiosk.css")}">')
    config = {
        "lang": locale,
        "tz": get_settings().timezone,
        "day": _t(locale, N_("d")),
        "warn": WAIT_WARN,
        "alert": WAIT_ALERT,
        "server_now": int(utcnow().timestamp() * 1000),
        "reconnecting": _t(locale, N_("Reconnecting…")),
        "event": BOARD_EVENT,
    }
    now = datetime.now(ZoneInfo(get_settings().timezone))
    heading = _e(locale, N_("Helpdesk queue"))
    with ui.element("div").classes("kiosk").mark("kiosk"):
        ui.html(
            f'<div><h1>{heading}<span class="name">{escape(display.name)}</span>'
            f'</h1></div><div class="flex items-center"><span id="kiosk-date"></span>'
            f'<span id="kiosk-clock">{now:%H:%M}</span></div>',
            sanitize=False,
        ).classes("kiosk-top")
        view = BoardView(
            display_id=display.id,
            secret_hash=display.secret_hash,
            locale=locale,
            privacy=display.privacy,
            counters=ui.html(blocks["counters"], sanitize=False).classes("kiosk-counters").mark("counters"),
            tickets=ui.html(blocks["tickets"], sanitize=False).classes("panel").mark("board-tickets"),
            loads=ui.html(blocks["loads"], sanitize=False).classes("panel").mark("board-loads"),
        )
    config["blocks"] = {name: element.id for name, element in view.blocks.items()}
    ui.add_body_html(json_script("kiosk-config", config))
    ui.add_body_html(f'<script src="{static_url("kiosk.js")}"></script>')
    hub.add(view)


def pair_route(code: str = "") -> RedirectResponse:
    value = kiosk.pair(code)
    if value is None:
        return RedirectResponse("/kiosk?pairing=invalid", status_code=303)
    response = RedirectResponse("/kiosk", status_code=303)
    response.set_cookie(
        kiosk.COOKIE,
        value,
        max_age=kiosk.COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/kiosk",
    )
    return response


def start_hub() -> None:
    """A fresh hub for this app start, following the bus."""
    global hub, _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    hub = BoardHub()
    _unsubscribe = events.subscribe(lambda event: hub.on_event(event))

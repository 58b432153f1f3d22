"""`/kiosk`: the wall board of the live queue, and `/kiosk/pair`, which pairs a screen.

The board has no controls and no user session: a display cookie opens it. One `BoardHub` per
process reads the board once per change (at most twice a second: the changes of a burst are
gathered into one refresh), renders it once per language and privacy setting, and broadcasts
each changed block once to all the displays showing that variant: one socket.io message,
encoded once, for the whole room, instead of one per display through each page's outbox. The
pages' elements keep the HTML they were built with; a display that (re)connects is sent its
whole board, so one that missed a broadcast catches up. Ages and the clock tick in the browser.

The browser must never show an error page. NiceGUI reloads the page when the socket's connect
attempt times out, which during an outage would load the browser's own error page. The board
turns that timeout off and reloads only once `/healthz` answers (see `_SCRIPT`).
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, background_tasks, core, run, ui

from helpdesk import events, i18n, kiosk
from helpdesk.config import get_settings
from helpdesk.errors import N_
from models import Display, Priority, Status
from models.clock import utcnow
from pages import live

log = logging.getLogger(__name__)

# Unassigned tickets get warmer the longer they wait (seconds).
WAIT_WARN, WAIT_ALERT = 15 * 60, 60 * 60
RECHECK_SECONDS = 60.0
# The board is read and sent at most this often. A lone change shows at once; the changes of a
# burst are gathered into one refresh per interval, so 100 changes cost a handful of refreshes
# instead of one each, and the last one still shows well within a second.
MIN_REFRESH_INTERVAL = 0.5
# The socket.io event that carries changed blocks, {block name: HTML}, to the board's script.
BOARD_EVENT = "kiosk_board"
BLOCKS = ("counters", "tickets", "loads")

PRIORITY = {
    Priority.low: N_("Low"),
    Priority.normal: N_("Normal"),
    Priority.high: N_("High"),
    Priority.urgent: N_("Urgent"),
}

_CSS = """
html, body { overflow: hidden; background: #0b1220; cursor: none; }
.nicegui-content { padding: 0; }
.kiosk { position: fixed; inset: 0; display: grid; gap: 2vh 1.6vw; padding: 2.5vh 2vw;
  grid-template-columns: 2.2fr 1fr; grid-template-rows: 7vh 15vh minmax(0, 1fr);
  color: #e5e7eb; font-family: system-ui, sans-serif; font-size: 2.3vh; line-height: 1.25; }
.kiosk-top { grid-column: 1 / -1; display: flex; align-items: center; justify-content: space-between; }
.kiosk-top h1 { font-size: 4.4vh; font-weight: 700; margin: 0; }
.kiosk-top .name { color: #94a3b8; font-size: 2.8vh; margin-left: 1.2vw; }
#kiosk-clock { font-size: 5vh; font-weight: 700; font-variant-numeric: tabular-nums; }
#kiosk-date { color: #94a3b8; font-size: 2.4vh; margin-right: 1.4vw; }
.kiosk-counters { grid-column: 1 / -1; display: grid; grid-template-columns: repeat(4, 1fr); gap: 1.6vw; }
.tile { background: #131c2e; border-radius: 1.2vh; padding: 1.4vh 1.4vw; display: flex; flex-direction: column;
  justify-content: center; border-top: 0.6vh solid #334155; }
.tile b { font-size: 7.5vh; line-height: 1; font-variant-numeric: tabular-nums; }
.tile span { color: #94a3b8; font-size: 2.6vh; margin-top: 0.8vh; }
.tile.open { border-color: #3b82f6; } .tile.unassigned { border-color: #f59e0b; }
.tile.progress { border-color: #f97316; } .tile.resolved { border-color: #22c55e; }
.panel { background: #131c2e; border-radius: 1.2vh; padding: 1.6vh 1.2vw; overflow: hidden;
  display: flex; flex-direction: column; gap: 0.9vh; min-height: 0; }
.panel h2 { font-size: 2.6vh; color: #94a3b8; font-weight: 600; margin: 0 0 0.4vh;
  text-transform: uppercase; letter-spacing: 0.05em; }
.row { display: grid; grid-template-columns: 11vh 8vh minmax(0, 1fr) 26vh 12vh; align-items: center; gap: 1vw;
  height: 6vh; padding: 0 0.8vw; border-radius: 0.8vh; background: #182338; border-left: 0.7vh solid transparent; }
.row .title { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-size: 2.6vh; }
.row .title small, .row .who small { display: block; color: #94a3b8; font-size: 1.8vh;
  overflow: hidden; text-overflow: ellipsis; }
.row .num { color: #94a3b8; font-variant-numeric: tabular-nums; }
.row .who { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: #cbd5e1; }
.row .age { text-align: right; font-variant-numeric: tabular-nums; font-size: 2.8vh; font-weight: 600; }
.prio { border-radius: 0.6vh; padding: 0.3vh 0; text-align: center; font-size: 1.9vh; font-weight: 700; }
.prio.low { background: #334155; } .prio.normal { background: #475569; }
.prio.high { background: #c2410c; } .prio.urgent { background: #b91c1c; }
.row.unassigned .who { color: #fbbf24; font-weight: 600; }
.row.wait-1 { border-left-color: #fbbf24; }
.row.wait-2 { border-left-color: #f97316; background: #2a1f14; }
.row.wait-3 { border-left-color: #ef4444; background: #3a1618; }
.more, .empty { color: #94a3b8; font-size: 2.2vh; padding: 0.4vh 0.8vw; }
.load { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 0.4vh 1vw; align-items: center; }
.load .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; font-size: 2.5vh; }
.load .n { font-size: 3vh; font-weight: 700; font-variant-numeric: tabular-nums; }
.load .bar { grid-column: 1 / -1; height: 0.8vh; background: #1e293b; border-radius: 0.4vh; overflow: hidden; }
.load .bar i { display: block; height: 100%; background: #3b82f6; }
.load .bar i.busy { background: #f97316; }
.load .detail { grid-column: 1 / -1; color: #94a3b8; font-size: 1.8vh; margin-top: -0.3vh; }
.kiosk-message { position: fixed; inset: 0; display: flex; flex-direction: column; align-items: center;
  justify-content: center; gap: 3vh; color: #e5e7eb; font-family: system-ui, sans-serif; text-align: center; }
.kiosk-message h1 { font-size: 6vh; margin: 0; } .kiosk-message p { font-size: 3vh; color: #94a3b8; margin: 0; }
#popup { inset: 0; margin: 0; border: 0; border-radius: 0; align-items: center; justify-content: center;
  background: rgba(11, 18, 32, 0.85) !important; color: #e5e7eb; }
#popup > span { display: none; }
#popup::before { content: attr(data-text); font-size: 5vh; font-weight: 700; }
"""

# Ticking ages and clock, the reconnect guard. `{config}` is this display's settings as JSON.
_SCRIPT = """
<script>
(() => {
  const cfg = %s;
  // The TV's own clock may be wrong: ages and the clock follow the server's.
  const skew = cfg.server_now - Date.now();
  const pad = (n) => String(n).padStart(2, "0");
  function age(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 3600) return Math.floor(seconds / 60) + ":" + pad(seconds %% 60);
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h " + pad(Math.floor(seconds %% 3600 / 60));
    return Math.floor(seconds / 86400) + " " + cfg.day + " " + pad(Math.floor(seconds %% 86400 / 3600)) + " h";
  }
  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll("[data-since]").forEach((el) => {
      const waited = (now - Number(el.dataset.since)) / 1000;
      el.textContent = age(waited);
      const row = el.closest(".row.unassigned");
      if (row) {
        const level = waited >= cfg.alert ? 3 : waited >= cfg.warn ? 2 : 1;
        if (!row.classList.contains("wait-" + level)) {
          row.classList.remove("wait-1", "wait-2", "wait-3");
          row.classList.add("wait-" + level);
        }
      }
    });
    const date = new Date(now);
    const clock = document.getElementById("kiosk-clock");
    const time = {hour: "2-digit", minute: "2-digit", timeZone: cfg.tz};
    if (clock) clock.textContent = date.toLocaleTimeString(cfg.lang, time);
    const day = document.getElementById("kiosk-date");
    const today = {weekday: "long", day: "numeric", month: "long", timeZone: cfg.tz};
    if (day) day.textContent = date.toLocaleDateString(cfg.lang, today);
    const popup = document.getElementById("popup");
    if (popup && !popup.dataset.text) popup.dataset.text = cfg.reconnecting;
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
  // Changed blocks arrive as one broadcast per language and privacy setting, not as NiceGUI
  // updates: set them on the elements' data, and Vue redraws them. The listener goes on the
  // socket as NiceGUI creates it, before it can connect, so no message is missed.
  function show(blocks) {
    for (const [name, html] of Object.entries(blocks)) {
      const element = typeof mounted_app === "undefined" ? null : mounted_app.elements[cfg.blocks[name]];
      if (element) element.props.innerHTML = html;
    }
    tick();
  }
  let socket;
  Object.defineProperty(window, "socket", {
    configurable: true,
    get: () => socket,
    set: (value) => { socket = value; socket.on(cfg.event, show); },
  });
  // Never let NiceGUI reload into the browser's error page: no connect timeout, and reload
  // ourselves only when the server answers but the socket still cannot resume.
  let downSince = null;
  setInterval(async () => {
    if (!window.socket) return;
    if (window.socket.io._timeout !== false) window.socket.io.timeout(false);
    if (window.socket.connected) { downSince = null; return; }
    downSince = downSince || Date.now();
    if (Date.now() - downSince < 15000) return;
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 4000);
      const answer = await fetch("/healthz", {cache: "no-store", signal: controller.signal});
      if (answer.ok) window.location.reload();
    } catch (e) { /* still down: keep the overlay */ }
  }, 5000);
})();
</script>
"""


_t = i18n.gettext  # (locale, message, **params): the board is drawn per language, not per page
_pt = i18n.pgettext  # (locale, context, message): where a word's translation depends on its place
_nt = i18n.ngettext  # (locale, singular, plural, count): a count's words agree with it


def _e(locale: str, message: str, **params: object) -> str:
    return escape(_t(locale, message, **params))


def age_text(seconds: float, locale: str) -> str:
    """The same text the browser's ticker shows, for the first paint."""
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    day = _t(locale, N_("d"))  # the abbreviation of "day(s)"
    return f"{seconds // 86400} {day} {seconds % 86400 // 3600:02d} h"


def _wait_level(seconds: float) -> int:
    return 3 if seconds >= WAIT_ALERT else 2 if seconds >= WAIT_WARN else 1


def _counters_html(board: kiosk.Board, locale: str) -> str:
    tiles = (
        ("open", board.open, _pt(locale, "board counter", "Open")),
        ("unassigned", board.unassigned, _pt(locale, "board counter", "Unassigned")),
        ("progress", board.in_progress, _pt(locale, "board counter", "In progress")),
        ("resolved", board.resolved_today, _pt(locale, "board counter", "Resolved today")),
    )
    return "".join(
        f'<div class="tile {kind}" data-counter="{kind}"><b>{count}</b><span>{escape(label)}</span></div>'
        for kind, count, label in tiles
    )


def _ticket_html(ticket: kiosk.BoardTicket, now: datetime, locale: str, privacy: bool) -> str:
    waited = (now - ticket.created_at).total_seconds()
    since = int(ticket.created_at.timestamp() * 1000)
    title = escape(ticket.title)
    if not privacy:
        detail = escape(ticket.requester_name) + (f" · {escape(ticket.excerpt)}" if ticket.excerpt else "")
        title += f"<small>{detail}</small>"
    if ticket.assignee_name is None:
        who = escape(_pt(locale, "ticket's assignee", "Unassigned"))
        classes = f"row unassigned wait-{_wait_level(waited)}"
    else:
        state = _t(locale, N_("In progress") if ticket.status == Status.in_progress else N_("Open"))
        classes, who = "row", f"{escape(ticket.assignee_name)}<small>{escape(state)}</small>"
    return (
        f'<div class="{classes}" data-ticket="{ticket.id}">'
        f'<span class="prio {ticket.priority.value}">{escape(_t(locale, PRIORITY[ticket.priority]))}</span>'
        f'<span class="num">#{ticket.id}</span><span class="title">{title}</span>'
        f'<span class="who">{who}</span>'
        f'<span class="age" data-since="{since}">{age_text(waited, locale)}</span></div>'
    )


def _more_html(locale: str, count: int) -> str:
    """The line under a list that shows what it has no room for."""
    more = _nt(locale, "+ {count} more", "+ {count} more", count)
    return f'<div class="more">{escape(more)}</div>'


def _tickets_html(board: kiosk.Board, locale: str, privacy: bool) -> str:
    heading = _e(locale, N_("Open tickets by priority"))
    parts = [f"<h2>{heading}</h2>"]
    parts += [_ticket_html(ticket, board.taken_at, locale, privacy) for ticket in board.tickets]
    if not board.tickets:
        empty = _e(locale, N_("No open tickets. All clear!"))
        parts.append(f'<div class="empty">{empty}</div>')
    elif board.not_shown > 0:
        parts.append(_more_html(locale, board.not_shown))
    return "".join(parts)


LOADS_SHOWN = 8


def _loads_html(board: kiosk.Board, locale: str) -> str:
    heading = _e(locale, N_("Technicians"))
    parts = [f"<h2>{heading}</h2>"]
    busiest = max((load.open + load.in_progress for load in board.loads), default=0) or 1
    # Eight fit the panel at 16:9; beyond that, seven and a line saying how many more.
    shown = board.loads if len(board.loads) <= LOADS_SHOWN else board.loads[: LOADS_SHOWN - 1]
    for load in shown:
        total = load.open + load.in_progress
        opened = _nt(locale, "{count} open", "{count} open", load.open)
        working = _t(locale, N_("{count} in progress"), count=load.in_progress)
        detail = f"{opened} · {working}"
        busy = "busy" if load.in_progress else ""
        parts.append(
            f'<div class="load" data-technician="{escape(load.name)}"><span class="name">{escape(load.name)}</span>'
            f'<span class="n">{total}</span><span class="bar"><i class="{busy}" '
            f'style="width:{round(100 * total / busiest)}%"></i></span>'
            f'<span class="detail">{escape(detail)}</span></div>'
        )
    if not board.loads:
        empty = _e(locale, N_("No technicians yet."))
        parts.append(f'<div class="empty">{empty}</div>')
    elif len(shown) < len(board.loads):
        parts.append(_more_html(locale, len(board.loads) - len(shown)))
    return "".join(parts)


Variant = tuple[str, bool]  # (language, privacy): displays of one variant show the same board


@dataclass
class BoardView:
    """One connected display: its variant, and the three HTML blocks the broadcasts replace."""

    display_id: int
    secret_hash: str | None
    locale: str
    privacy: bool
    counters: ui.html
    tickets: ui.html
    loads: ui.html

    @property
    def variant(self) -> Variant:
        return self.locale, self.privacy

    @property
    def blocks(self) -> dict[str, ui.html]:
        return dict(zip(BLOCKS, (self.counters, self.tickets, self.loads), strict=True))

    @property
    def client_id(self) -> str:
        return self.counters.client.id

    def leave(self) -> None:
        with self.counters:
            ui.navigate.reload()


class BoardHub:
    """Reads the board once per change (coalescing bursts) and shows it on every display.

    `shown` holds, per variant, the blocks rendered from `board`: what every display of that
    variant shows once its broadcasts arrived. A refresh compares blocks per variant, not per
    display, and the pages' elements keep the HTML they were built with (only the browser
    needs the new one): the work of a refresh is one render and one message per variant, plus
    socket.io's send to each display."""

    def __init__(self) -> None:
        self.views: dict[int, BoardView] = {}
        self.board: kiosk.Board | None = None
        self.shown: dict[Variant, dict[str, str]] = {}
        self._dirty = False
        self._running = False
        self.refreshes = 0
        self.broadcasts = 0

    def blocks_for(self, variant: Variant) -> dict[str, str]:
        """The current board's blocks for a variant, rendered once per board."""
        blocks = self.shown.get(variant)
        if blocks is None:
            assert self.board is not None
            blocks = self.shown[variant] = dict(zip(BLOCKS, render(self.board, *variant), strict=True))
        return blocks

    async def blocks_for_new_page(self, variant: Variant) -> dict[str, str]:
        """The blocks a page opening now is built with: a fresh board if none is held."""
        if self.board is None:
            self.board, self.shown = await live.io_bound(kiosk.board), {}
        return self.blocks_for(variant)

    def add(self, view: BoardView) -> None:
        key = id(view)
        self.views[key] = view
        client = view.counters.client
        client.on_delete(lambda: self.views.pop(key, None))
        # First connect and every reconnect: the whole board, in case a broadcast was missed.
        client.on_connect(lambda: _emit(self.blocks_for(view.variant), [view.client_id]))

    def changed(self) -> None:
        if not self.views:
            self.board, self.shown = None, {}  # stale: the next board to open reads a fresh one
            return
        self._dirty = True
        if not self._running:
            self._running = True
            background_tasks.create(self._refresh_loop(), name="kiosk board")

    async def _refresh_loop(self) -> None:
        try:
            while self._dirty:
                self._dirty = False
                board = await live.io_bound(kiosk.board)
                await self.publish(board)
                await asyncio.sleep(MIN_REFRESH_INTERVAL)  # changes meanwhile wait for one refresh
        except Exception:  # a failed read must not stop later refreshes
            log.exception("kiosk board refresh failed")
        finally:
            self._running = False

    async def publish(self, board: kiosk.Board) -> None:
        """Each variant's changed blocks go out once, to every display of that variant."""
        audiences: dict[Variant, list[str]] = {}
        for view in list(self.views.values()):
            if not view.counters.is_deleted:
                audiences.setdefault(view.variant, []).append(view.client_id)
        before, self.board, self.shown = self.shown, board, {}
        self.refreshes += 1
        for variant, client_ids in audiences.items():
            blocks, previous = self.blocks_for(variant), before.get(variant, {})
            changed = {name: html for name, html in blocks.items() if previous.get(name) != html}
            if changed:
                self.broadcasts += 1
                await _emit(changed, client_ids)

    def on_event(self, event: events.Event) -> None:
        match event:
            case events.TicketChanged():
                self.changed()
            case events.DisplayChanged():
                for view in list(self.views.values()):
                    if view.display_id == event.display_id:
                        view.leave()

    async def recheck(self) -> None:
        """Safety net, each minute: date-bound counters, renamed technicians, lost revocations."""
        if not self.views:
            return
        active = await live.io_bound(kiosk.active_secrets)
        for view in list(self.views.values()):
            if active.get(view.display_id) != view.secret_hash:
                view.leave()
        self.changed()


async def _emit(blocks: dict[str, str], client_ids: list[str]) -> None:
    """One socket.io message, encoded once, to the rooms of these pages (each page's own room)."""
    if client_ids:
        await core.sio.emit(BOARD_EVENT, blocks, room=client_ids)


def render(board: kiosk.Board, locale: str, privacy: bool) -> tuple[str, str, str]:
    return _counters_html(board, locale), _tickets_html(board, locale, privacy), _loads_html(board, locale)


hub = BoardHub()
_unsubscribe = None


def _message_screen(locale: str, title: str, text: str) -> None:
    ui.page_title(_t(locale, N_("Helpdesk board")))
    ui.add_css(_CSS)
    ui.html(f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", sanitize=False).classes("kiosk-message").mark(
        "kiosk-message"
    )


async def kiosk_page(request: Request, pairing: str = "") -> None:
    display: Display | None = await run.io_bound(kiosk.verify_cookie, request.cookies.get(kiosk.COOKIE))
    if display is None:
        locale = i18n.negotiate(None, request.headers.get("accept-language"))
        if pairing == "invalid":
            text = N_("This pairing link was already used or has expired. Ask an administrator for a new one.")
        else:
            text = N_("An administrator can pair it from Displays in the helpdesk's admin menu.")
        _message_screen(locale, _t(locale, N_("This screen is not paired")), _t(locale, text))
        return
    locale = display.language if display.language in i18n.SUPPORTED else "en"
    blocks = await hub.blocks_for_new_page((locale, display.privacy))
    ui.page_title(_t(locale, N_("Helpdesk board")) + f" · {display.name}")
    ui.add_css(_CSS)
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
    # `</` cannot end the script early: JSON escapes every `<`.
    ui.add_body_html(_SCRIPT % json.dumps(config).replace("<", "\\u003c"))
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


def register() -> None:
    global hub, _unsubscribe
    if _unsubscribe is not None:
        _unsubscribe()
    hub = BoardHub()
    _unsubscribe = events.subscribe(lambda event: hub.on_event(event))
    app.timer(RECHECK_SECONDS, lambda: hub.recheck(), immediate=False)
    ui.page("/kiosk")(kiosk_page)
    app.add_api_route("/kiosk/pair", pair_route, methods=["GET"], include_in_schema=False)

"""One `BoardHub` per process: it reads the board once per change (at most twice a second: the
changes of a burst are gathered into one refresh), renders it once per language and privacy
setting, and broadcasts each changed block once to all the displays showing that variant: one
socket.io message, encoded once, for the whole room, instead of one per display through each
page's outbox. The pages' elements keep the HTML they were built with; a display that
(re)connects is sent its whole board, so one that missed a broadcast catches up.

Displays are not users: the hub follows the bus itself (ticket changes, display changes and the
core's minute `BoardRecheck`), not through the tabs' live routing.
"""

import asyncio
import logging
from dataclasses import dataclass

from nicegui import background_tasks, core, run, ui

from helpdesk.core import events
from helpdesk.domain import kiosk
from pages.kiosk.render import BLOCKS, render

log = logging.getLogger(__name__)

# The board is read and sent at most this often. A lone change shows at once; the changes of a
# burst are gathered into one refresh per interval, so 100 changes cost a handful of refreshes
# instead of one each, and the last one still shows well within a second.
MIN_REFRESH_INTERVAL = 0.5
# The socket.io event that carries changed blocks, {block name: HTML}, to the board's script.
BOARD_EVENT = "kiosk_board"


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
            self.board, self.shown = await run.io_bound(kiosk.board), {}
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
                board = await run.io_bound(kiosk.board)
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
            case events.TicketChanged() | events.BusResumed():
                self.changed()
            case events.DisplayChanged():
                for view in list(self.views.values()):
                    if view.display_id == event.display_id:
                        view.leave()
            case events.BoardRecheck():
                background_tasks.create(self.recheck(), name="kiosk recheck")

    async def recheck(self) -> None:
        """Safety net, each minute: date-bound counters, renamed technicians, lost revocations."""
        if not self.views:
            return
        active = await run.io_bound(kiosk.active_secrets)
        for view in list(self.views.values()):
            if active.get(view.display_id) != view.secret_hash:
                view.leave()
        self.changed()


async def _emit(blocks: dict[str, str], client_ids: list[str]) -> None:
    """One socket.io message, encoded once, to the rooms of these pages (each page's own room)."""
    if client_ids:
        await core.sio.emit(BOARD_EVENT, blocks, room=client_ids)

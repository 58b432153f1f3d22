"""What both sides of remote assistance share: a page shows the user's sessions as they are when
it opens, then follows every change, showing each step once."""

from nicegui import ui

from helpdesk.core.events import RemoteChanged
from helpdesk.core.views import RemoteView
from helpdesk.domain import remote
from pages.app.tab import Tab


class RemoteFollower:
    """Subclasses say which sessions they show (`concerns`) and how (`present`)."""

    def __init__(self, page: Tab, anchor: ui.element) -> None:
        self.page = page
        self.anchor = anchor
        self.shown: tuple[int, str] | None = None  # (session, status) last shown

    async def load(self) -> None:
        with self.anchor:  # a background task starts outside the page's context
            current = await self.page.call(remote.live_for) or []
        if self.shown is not None:
            return  # a live event came meanwhile: it is newer than this snapshot
        for view in current:
            self.on_session(view)

    def on_event(self, event: object) -> None:
        if isinstance(event, RemoteChanged):
            self.on_session(event.remote)

    def on_session(self, view: RemoteView) -> None:
        # The page's first load and a live event may tell the same thing: show it once.
        if self.concerns(view) and self.shown != (view.remote_id, view.status):
            self.shown = (view.remote_id, view.status)
            self.present(view)

    def concerns(self, view: RemoteView) -> bool:
        raise NotImplementedError

    def present(self, view: RemoteView) -> None:
        raise NotImplementedError

"""Who is on this page, checked again at the moment each handler runs.

Every page starts with `await open_session(request)`; every handler that changes something goes
through `PageSession.call`, which re-verifies the session token against the database, runs the
service off the event loop, and turns the errors users can cause into a notification.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from nicegui import Client, context, run, ui

from helpdesk import auth, i18n
from helpdesk.errors import HelpdeskError, NotAuthenticated
from models import User
from pages import live
from pages.i18n import error_text, set_locale

T = TypeVar("T")


class _Failed:
    def __bool__(self) -> bool:
        return False


FAILED: Any = _Failed()


@dataclass
class PageSession:
    token: str
    user: User
    locale: str
    client: Client  # the browser tab: once it is gone, a call's result has nothing to be drawn on
    # Set while this page itself re-issues its session (password change), so the revocation
    # event it causes does not send it to the login page.
    reissuing: bool = False

    def _verified(self) -> User:
        self.user = auth.verify(self.token).user
        return self.user

    async def call(self, service: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`service(actor, *args)` after a fresh check of the session; FAILED if it was refused, or
        if the tab closed while it ran (the service's work is done, but no handler may draw)."""

        def work() -> tuple[T]:
            return (service(self._verified(), *args, **kwargs),)

        try:
            # Boxed: NiceGUI answers None, not the result, for a call cut short by the app stopping.
            boxed = await run.io_bound(work)
        except HelpdeskError as error:
            if not self.client.is_deleted:  # a closed tab has nobody to tell
                self._refused(error)
            return FAILED
        return FAILED if boxed is None or self.client.is_deleted else boxed[0]

    def _refused(self, error: HelpdeskError) -> None:
        if isinstance(error, NotAuthenticated):
            self.end()
        else:
            ui.notify(error_text(error), type="negative")

    async def still_valid(self) -> bool:
        try:
            await run.io_bound(self._verified)
            return True
        except NotAuthenticated:
            return False

    def end(self) -> None:
        ui.navigate.to("/login")

    async def _on_revoked(self, event: Any) -> None:
        if event.user_id == self.user.id and not self.reissuing and not await self.still_valid():
            self.end()


async def open_session(request: Request) -> PageSession | None:
    """The signed-in user of this page request, or None (the page then redirects to /login)."""
    token = request.cookies.get(auth.COOKIE)
    session = await run.io_bound(auth.try_verify, token) if token else None
    if session is None:
        set_locale(i18n.negotiate(None, request.headers.get("accept-language")))
        return None
    locale = i18n.negotiate(session.user.language, request.headers.get("accept-language"))
    set_locale(locale)
    page = PageSession(token=session.token, user=session.user, locale=locale, client=context.client)
    live.sessions_revoked.subscribe(page._on_revoked)
    return page

"""Who is on this page, checked again at the moment each handler runs.

Every page starts with `await open_tab(request)`; every handler that changes something goes
through `Tab.call`, which re-verifies the session token against the database, runs the
service off the event loop, and turns the errors users can cause into a notification.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from nicegui import Client, background_tasks, context, core, run, ui

from helpdesk.core import i18n
from helpdesk.core.errors import UNEXPECTED, HelpdeskError, NotAuthenticated
from helpdesk.core.events import SessionsRevoked
from helpdesk.domain import auth
from models import SessionEnd, User
from pages.app import live
from pages.app.i18n import _, error_text, set_locale

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Failed:
    def __bool__(self) -> bool:
        return False


FAILED: Any = _Failed()


@dataclass
class Tab:
    token: str
    user: User
    locale: str
    client: Client  # the browser tab: once it is gone, a call's result has nothing to be drawn on
    browser: str = ""  # the browser's id (pages/screens/login.py BrowserId), which sign-in codes are bound to
    # Set while this page itself re-issues its session (password change), so the revocation
    # event it causes does not send it to the login page.
    reissuing: bool = False
    # Why every session of the account ended, once the event saying so reached this page; and
    # whether the page has been sent to sign-in already.
    revocation: SessionEnd | None = None
    ended: bool = False

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
        except Exception:  # a bug: logged with its traceback, the user told plainly, their input kept
            log.exception("%s failed", getattr(service, "__name__", "a service call"))
            if not self.client.is_deleted:
                with self.client:
                    ui.notify(_(UNEXPECTED), type="negative")
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

    def end(self, reason: SessionEnd | None = None) -> None:
        """Sends the tab to the sign-in page (which says why, when it is known), then ends it on
        the server: its sockets are cut and its elements and subscriptions dropped, so nothing more
        reaches even a tab that ignores the redirect.

        Without a reason (a call found the session over), it waits a moment first: the event
        that says why (a role change, a password reset) may be on its way, and the sign-in page
        should say it."""
        if self.client.is_deleted or self.ended:
            return
        if reason is None and self.revocation is None:
            background_tasks.create(self._end_after_grace(), name="end page")
        else:
            self._leave(reason or self.revocation)

    async def _end_after_grace(self) -> None:
        await asyncio.sleep(REASON_GRACE)
        if not self.client.is_deleted and not self.ended:
            self._leave(self.revocation)

    def _leave(self, reason: SessionEnd | None) -> None:
        self.ended = True
        with self.client:
            ui.navigate.to(f"/login?ended={SessionEnd(reason).value}" if reason else "/login")
        background_tasks.create(_close(self.client), name="end page")

    async def _on_revoked(self, event: Any) -> None:
        if not isinstance(event, SessionsRevoked) or self.reissuing:
            return
        if event.jti is None:  # every session of the account: the reason holds for this one too
            self.revocation = event.reason
        if not await self.still_valid():
            self.end(event.reason)


CLOSE_AFTER = 0.3  # seconds for the redirect to reach the browser first
REASON_GRACE = 1.0  # seconds a page whose session ended waits for the reason before it leaves


async def _close(client: Client) -> None:
    await asyncio.sleep(CLOSE_AFTER)
    for socket_id in list(client._socket_to_document_id):
        if not socket_id.startswith("test-"):
            transport = core.sio.manager.eio_sid_from_sid(socket_id, "/")
            await core.sio.disconnect(socket_id)
            if transport is not None:  # the connection itself, not only socket.io's namespace
                await core.sio.eio.disconnect(transport)
    if not client.is_deleted:
        # NiceGUI's own deletion, due after its reconnect timeout, would find the client gone.
        for document_id in list(client._delete_tasks):
            client._cancel_delete_task(document_id)
        client.delete()


def browser_id(request: Request) -> str:
    return request.cookies.get(auth.BROWSER_COOKIE) or getattr(request.state, "browser_id", "")


async def open_tab(request: Request) -> Tab | None:
    """The signed-in user of this page request, or None (the page then redirects to /login)."""
    token = request.cookies.get(auth.COOKIE)
    session = await run.io_bound(auth.try_verify, token) if token else None
    if session is None:
        set_locale(i18n.negotiate(None, request.headers.get("accept-language")), request.headers.get("accept-language"))
        return None
    locale = i18n.negotiate(session.user.language, request.headers.get("accept-language"))
    set_locale(locale, request.headers.get("accept-language"))
    page = Tab(
        token=session.token, user=session.user, locale=locale, client=context.client, browser=browser_id(request)
    )
    live.on_user(page, context.client.layout, page._on_revoked)
    return page

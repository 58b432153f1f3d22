"""Sign-in, sign-out and first-run set-up.

The forms run over NiceGUI's websocket, which cannot set cookies; on success they send the
browser to /auth/session with a one-time code, and that plain HTTP route sets the HttpOnly
session cookie.
"""

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse
from nicegui import run, ui

from helpdesk.core.config import get_settings
from helpdesk.core.errors import HelpdeskError
from helpdesk.core.security import SESSION, decode_token
from helpdesk.domain import auth, setup
from models import SessionEnd
from pages.app.i18n import _, error_text
from pages.app.tab import browser_id, open_tab
from pages.app.theme import frame
from pages.components.controls import password_input


def _client_address(request: Request) -> str:
    # The peer's address; behind a proxy listed in HELPDESK_TRUSTED_PROXIES, the one it forwards.
    return request.client.host if request.client else "unknown"


class BrowserId:
    """Gives each browser a random id (HttpOnly cookie) on its first request, which sign-in codes
    are bound to; `browser_id(request)` reads it, even on the response that sets it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = Request(scope).cookies
        if auth.BROWSER_COOKIE in cookies:
            await self.app(scope, receive, send)
            return
        new_id = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["browser_id"] = new_id
        secure = "; Secure" if get_settings().cookie_secure else ""
        cookie = f"{auth.BROWSER_COOKIE}={new_id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000{secure}"
        if _sticky_first_visit(scope):
            # In a cluster the proxy picks a browser's process by this cookie: a page built before
            # the browser had it would live in one process and connect its websocket to another.
            # So the first page is asked for again, with the cookie.
            location = _local_path(scope.get("raw_path", b"/").decode("latin-1"))  # never "//elsewhere"
            query = scope.get("query_string", b"").decode("latin-1")
            await send_redirect(send, location + (f"?{query}" if query else ""), cookie)
            return

        async def with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, with_cookie)


def _sticky_first_visit(scope: Any) -> bool:
    """A browser's first page request, in a cluster (HELPDESK_REDIS_URL): not an API call, a
    file or the websocket's polling."""
    if not get_settings().redis_url or scope.get("method") != "GET":
        return False
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    return b"text/html" in accept and not scope.get("path", "").startswith(("/api/", "/_nicegui"))


async def send_redirect(send: Any, location: str, cookie: str) -> None:
    headers = [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()), (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 307, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def same_origin(request: Request) -> bool:
    """A state-changing form post must come from one of our own pages (never another site)."""
    origin = (request.headers.get("origin") or "").rstrip("/")
    if not origin or origin == "null":
        return request.headers.get("sec-fetch-site") == "same-origin"
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin == own or origin in get_settings().allowed_origins


def _ended_text(ended: str) -> str | None:
    """Why this browser was sent here, when its session was ended elsewhere."""
    texts = {
        SessionEnd.signed_out: _("You signed out (in this or another tab)."),
        SessionEnd.password_changed: _("Your password was changed. Sign in with the new one."),
        SessionEnd.password_reset: _("An administrator reset your password. Sign in with the new one."),
        SessionEnd.role_changed: _("An administrator changed your role or rights. Sign in again to go on."),
        SessionEnd.deactivated: _("An administrator deactivated your account."),
    }
    return texts.get(SessionEnd(ended)) if ended in SessionEnd.__members__ else None


async def login_page(request: Request, ended: str = "") -> RedirectResponse | None:
    if await open_tab(request) is not None:
        return RedirectResponse("/")
    address = _client_address(request)
    browser = browser_id(request)
    device = request.cookies.get(auth.DEVICE_COOKIE)
    with frame(None, _("Sign in")), ui.card().classes("w-full max-w-sm mx-auto mt-16 p-6 gap-3"):
        ui.label(_("Sign in to the helpdesk")).classes("text-xl font-bold")
        why = _ended_text(ended)
        if why:
            with (
                ui.row()
                .classes("w-full no-wrap items-center gap-2 p-2 rounded bg-blue-1 text-blue-10")
                .props("role=status")
            ):
                ui.icon("info")
                ui.label(why).mark("session-ended")
        email = (
            ui.input(_("Email"))
            .props("type=email autocomplete=username maxlength=254 autofocus")
            .classes("w-full")
            .mark("email")
        )
        password = password_input(_("Password"), "password")

        async def submit() -> None:
            if not email.value or not password.value:
                ui.notify(_("Enter your email and password."), type="warning")
                return
            button.disable()
            try:
                user = await run.io_bound(auth.authenticate, email.value, password.value, address, browser, device)
                token = auth.start_session(user)
            except HelpdeskError as error:
                ui.notify(error_text(error), type="negative")
                password.value = ""
                return
            finally:
                button.enable()
            ui.navigate.to(f"/auth/session?code={auth.exchange_code(token, browser)}")

        password.on("keydown.enter", submit)
        button = ui.button(_("Sign in"), on_click=submit).classes("w-full").mark("sign-in")
    return None


async def setup_page(request: Request, token: str = "") -> RedirectResponse | None:
    await open_tab(request)  # sets the language
    if not setup.token_valid(token):
        if await run.io_bound(setup.needs_setup):
            with frame(None, _("Set-up")):
                ui.label(_("This set-up link is not valid any more. Restart the server for a new one.")).classes(
                    "text-lg"
                )
            return None
        return RedirectResponse("/login")
    browser = browser_id(request)
    with frame(None, _("Set-up")), ui.card().classes("w-full max-w-md mx-auto mt-10 p-6 gap-3"):
        ui.label(_("Create the first administrator")).classes("text-xl font-bold")
        ui.label(_("This account is a technician with administrator rights.")).classes("text-muted")
        name = ui.input(_("Name")).props("maxlength=100").classes("w-full").mark("name")
        email = ui.input(_("Email")).props("type=email maxlength=254").classes("w-full").mark("email")
        password = password_input(_("Password (8 characters or more)"), "password", "new-password")

        async def create() -> None:
            try:
                user = await run.io_bound(
                    setup.create_first_admin, token, email.value or "", name.value or "", password.value or ""
                )
            except HelpdeskError as error:
                ui.notify(error_text(error), type="negative")
                return
            ui.navigate.to(f"/auth/session?code={auth.exchange_code(auth.start_session(user), browser)}")

        ui.button(_("Create and sign in"), on_click=create).classes("w-full").mark("create")
    return None


def _local_path(target: str) -> str:
    # Only same-site paths: never an open redirect.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def session_route(request: Request, code: str = "", next: str = "/") -> RedirectResponse:
    token = auth.redeem_code(code, browser_id(request))
    if token is None:
        return RedirectResponse("/login", status_code=303)
    response = RedirectResponse(_local_path(next), status_code=303)
    secure = get_settings().cookie_secure
    response.set_cookie(
        auth.COOKIE, token, max_age=auth.session_max_age(), httponly=True, samesite="lax", secure=secure, path="/"
    )
    claims = decode_token(token, SESSION)
    if claims is not None:  # this browser is now its owner's known one (see auth.authenticate)
        proof = auth.device_proof(claims.user_id, browser_id(request))
        response.set_cookie(
            auth.DEVICE_COOKIE, proof, max_age=365 * 86400, httponly=True, samesite="lax", secure=secure, path="/"
        )
    return response


async def logout_route(request: Request) -> Any:
    if not same_origin(request):
        return JSONResponse({"detail": "Sign out from the helpdesk's own page."}, status_code=403)
    await run.io_bound(auth.logout, request.cookies.get(auth.COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response

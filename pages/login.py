"""Sign-in, sign-out and first-run set-up.

The forms run over NiceGUI's websocket, which cannot set cookies; on success they send the
browser to /auth/session with a one-time code, and that plain HTTP route sets the HttpOnly
session cookie.
"""

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui

from helpdesk import auth, setup
from helpdesk.config import get_settings
from helpdesk.errors import HelpdeskError
from pages.i18n import _, error_text
from pages.session import open_session
from pages.theme import frame


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def login_page(request: Request) -> RedirectResponse | None:
    if await open_session(request) is not None:
        return RedirectResponse("/")
    address = _client_address(request)
    with frame(None, _("Sign in")), ui.card().classes("w-full max-w-sm mx-auto mt-16 p-6 gap-3"):
        ui.label(_("Sign in to the helpdesk")).classes("text-xl font-bold")
        email = (
            ui.input(_("Email"))
            .props("type=email autocomplete=username maxlength=254 autofocus")
            .classes("w-full")
            .mark("email")
        )
        password = (
            ui.input(_("Password"), password=True)
            .props("autocomplete=current-password maxlength=1024")
            .classes("w-full")
            .mark("password")
        )

        async def submit() -> None:
            if not email.value or not password.value:
                ui.notify(_("Enter your email and password."), type="warning")
                return
            button.disable()
            try:
                user = await run.io_bound(auth.authenticate, email.value, password.value, address)
                token = auth.start_session(user)
            except HelpdeskError as error:
                ui.notify(error_text(error), type="negative")
                password.value = ""
                return
            finally:
                button.enable()
            ui.navigate.to(f"/auth/session?code={auth.exchange_code(token)}")

        password.on("keydown.enter", submit)
        button = ui.button(_("Sign in"), on_click=submit).classes("w-full").mark("sign-in")
    return None


async def setup_page(request: Request, token: str = "") -> RedirectResponse | None:
    if not setup.token_valid(token):
        if await run.io_bound(setup.needs_setup):
            with frame(None, _("Set-up")):
                ui.label(_("This set-up link is not valid any more. Restart the server for a new one.")).classes(
                    "text-lg"
                )
            return None
        return RedirectResponse("/login")
    await open_session(request)  # sets the language
    with frame(None, _("Set-up")), ui.card().classes("w-full max-w-md mx-auto mt-10 p-6 gap-3"):
        ui.label(_("Create the first administrator")).classes("text-xl font-bold")
        ui.label(_("This account is a technician with administrator rights.")).classes("text-grey-7")
        name = ui.input(_("Name")).props("maxlength=100").classes("w-full").mark("name")
        email = ui.input(_("Email")).props("type=email maxlength=254").classes("w-full").mark("email")
        password = (
            ui.input(_("Password (8 characters or more)"), password=True)
            .props("maxlength=1024")
            .classes("w-full")
            .mark("password")
        )

        async def create() -> None:
            try:
                user = await run.io_bound(
                    setup.create_first_admin, token, email.value or "", name.value or "", password.value or ""
                )
            except HelpdeskError as error:
                ui.notify(error_text(error), type="negative")
                return
            ui.navigate.to(f"/auth/session?code={auth.exchange_code(auth.start_session(user))}")

        ui.button(_("Create and sign in"), on_click=create).classes("w-full").mark("create")
    return None


def _local_path(target: str) -> str:
    # Only same-site paths: never an open redirect.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def session_route(code: str = "", next: str = "/") -> RedirectResponse:
    token = auth.redeem_code(code)
    if token is None:
        return RedirectResponse("/login", status_code=303)
    response = RedirectResponse(_local_path(next), status_code=303)
    response.set_cookie(
        auth.COOKIE,
        token,
        max_age=auth.session_max_age(),
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path="/",
    )
    return response


def logout_route(request: Request) -> RedirectResponse:
    auth.logout(request.cookies.get(auth.COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


def register() -> None:
    ui.page("/login")(login_page)
    ui.page("/setup")(setup_page)
    app.add_api_route("/auth/session", session_route, methods=["GET"], include_in_schema=False)
    app.add_api_route("/auth/logout", logout_route, methods=["GET"], include_in_schema=False)

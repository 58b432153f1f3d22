"""The REST API: `install(app)` adds the v1 routes and turns service errors into JSON."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from helpdesk import i18n
from helpdesk.api.routes import router
from helpdesk.errors import HelpdeskError


async def _error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HelpdeskError)
    locale = i18n.negotiate(None, request.headers.get("accept-language"))
    headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
    return JSONResponse(
        {"detail": i18n.gettext(locale, error.message, **error.params)}, status_code=error.status_code, headers=headers
    )


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(HelpdeskError, _error)

"""The REST API: `install(app)` adds the v1 routes and turns service errors into JSON;
`create_app()` is the API on its own, as its process (`python -m helpdesk.api`) serves it."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from helpdesk import i18n
from helpdesk.api.routes import router
from helpdesk.errors import HelpdeskError

DOCS = {"title": "Helpdesk API", "version": "1", "description": "REST API v1 over the helpdesk services."}


async def _error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HelpdeskError)
    locale = i18n.negotiate(None, request.headers.get("accept-language"))
    headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
    return JSONResponse(
        {"detail": i18n.gettext(locale, error.message, **error.params)}, status_code=error.status_code, headers=headers
    )


def healthz() -> dict[str, str]:
    return {"status": "ok"}


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(HelpdeskError, _error)


def create_app() -> FastAPI:
    app = FastAPI(**DOCS)
    install(app)
    app.add_api_route("/healthz", healthz, include_in_schema=False)
    return app

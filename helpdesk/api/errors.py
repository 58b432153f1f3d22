"""The one mapping of the errors users can cause to HTTP: a status and a JSON `detail` in the
caller's language. The REST API installs it as its exception handler; the pages' own JSON routes
(uploads) answer with it too."""

import logging

from fastapi import Request
from fastapi.responses import JSONResponse

from helpdesk.core import i18n
from helpdesk.core.errors import UNEXPECTED, HelpdeskError

log = logging.getLogger(__name__)


def error_response(error: HelpdeskError, locale: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
    detail = i18n.gettext(locale, error.message, **error.params)
    return JSONResponse({"detail": detail}, status_code=error.status_code, headers=headers)


async def handle(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HelpdeskError)
    return error_response(error, i18n.negotiate(None, request.headers.get("accept-language")))


async def unexpected(request: Request, error: Exception) -> JSONResponse:
    """A bug, not the caller's doing: logged with its traceback here, answered with JSON and no
    detail of it (never a text/plain 500 or a traceback)."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    locale = i18n.negotiate(None, request.headers.get("accept-language"))
    return JSONResponse({"detail": i18n.gettext(locale, UNEXPECTED)}, status_code=500)

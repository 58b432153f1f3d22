"""The REST API: `install(app)` adds the v1 routes and turns service errors into JSON;
`create_app()` is the API on its own, as its process (`python -m helpdesk.api`) serves it."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

from helpdesk.api import errors
from helpdesk.api.routes import router
from helpdesk.core import cluster, httpguard
from helpdesk.core.config import get_settings
from helpdesk.core.errors import HelpdeskError
from helpdesk.runtime import health

DOCS = {"title": "Helpdesk API", "version": "1", "description": "REST API v1 over the helpdesk services."}
# Swagger UI from npm (package.json), served by the API itself: FastAPI's default page loads it
# from a CDN, which leaves /docs blank on a network without internet access.
SWAGGER_UI = Path(__file__).parents[2] / "node_modules" / "swagger-ui-dist"


def healthz() -> JSONResponse:
    """200 when this process can serve and write; 503 (with the reason) when its database refuses
    writes. Redis ("off" without a cluster) is reported, but its loss is no 503: every process
    shares it, so a proxy would have nowhere better to send anyone, and pages still work."""
    state = health.check()
    redis = cluster.ping()
    body = {
        "status": "ok" if state.ok and redis in ("ok", "off") else "degraded",
        "instance": get_settings().instance_name,
        "database": state.database,
        "redis": redis,
    }
    return JSONResponse(body, status_code=200 if state.ok else 503)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(HelpdeskError, errors.handle)
    app.add_exception_handler(Exception, errors.unexpected)


def _docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{DOCS['title']} - Swagger UI",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )


def create_app() -> FastAPI:
    app = FastAPI(**DOCS, docs_url=None, redoc_url=None)
    install(app)
    app.add_api_route("/healthz", healthz, include_in_schema=False)
    app.add_api_route("/docs", _docs, include_in_schema=False)
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_UI, check_dir=False), name="swagger-ui")
    httpguard.install(app)
    return app

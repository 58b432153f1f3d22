"""Wires the app: settings, database, pages, API routers, ui.run()."""

import asyncio

from nicegui import app, ui

import pages
from helpdesk import api, db, events, memory, setup
from helpdesk.config import get_settings
from helpdesk.supervisor import bridge

settings = get_settings()
db.init()
db.migrate()
pages.register()
api.install(app)


@app.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _on_startup() -> None:
    events.bind_loop(asyncio.get_running_loop())
    memory.tune(asyncio.get_running_loop())
    token = setup.new_link_token()
    if token is not None:
        # The one time a secret is printed: the operator needs it to create the first account.
        print(
            f"\nNo account yet. Create the first administrator here (one use):\n"
            f"  http://{settings.host}:{settings.port}/setup?token={token}\n",
            flush=True,
        )


app.on_startup(_on_startup)
if settings.remote_enabled:
    app.on_startup(bridge.start)
    app.on_shutdown(bridge.stop)

if __name__ in {"__main__", "__mp_main__"}:
    ui.run(
        host=settings.host,
        port=settings.port,
        title="Helpdesk",
        favicon="🛟",
        reload=False,
        show=False,
        show_welcome_message=False,
        # A page survives a network blip this long (and catches up after): pings every 8 s.
        reconnect_timeout=10.0,
        fastapi_docs={
            "title": "Helpdesk API",
            "version": "1",
            "description": "REST API v1 over the helpdesk services.",
        },
    )

"""Wires the app: settings, database, runtime jobs, pages, API, child processes, ui.run()."""

import asyncio
import os
import sys
from pathlib import Path

from helpdesk.runtime import memory

# Only when this file is the process's own program (`python main.py`), never when a test harness
# runs it (runpy sets sys.argv[0] to it, but not sys.orig_argv).
if __name__ == "__main__" and [Path(a).resolve() for a in sys.orig_argv[1:2]] == [Path(__file__).resolve()]:
    memory.allocator_settings()  # first, before anything allocates: a closed page's memory goes back

from fastapi.responses import JSONResponse
from nicegui import app, ui

import pages
from helpdesk import api
from helpdesk.core import cluster, db, events, httpguard, logsafe, security, storage
from helpdesk.core.config import get_settings
from helpdesk.domain import presence, setup
from helpdesk.runtime import backup, jobs, relay
from helpdesk.runtime.supervisor import api_server, bridge

os.umask(0o077)  # the data dir, database, WAL, attachments and backups: the service's user only
settings = get_settings()
storage.private_data_dir()
app_lock = backup.hold_app_lock()  # `helpdesk restore` refuses while any app process holds it
db.init()
db.migrate()
security.signing_key()  # made here if new, before a child process could race to make its own
pages.register()
httpguard.install(app)
app.add_api_route("/healthz", api.healthz, include_in_schema=False)


async def _on_startup() -> None:
    events.bind_loop(asyncio.get_running_loop())
    logsafe.install()
    memory.tune(asyncio.get_running_loop())
    token = setup.new_link_token()
    if token is not None:
        # The one time a secret is printed: the operator needs it to create the first account.
        print(
            f"\nNo account yet. Create the first administrator here (one use):\n"
            f"  http://{settings.host}:{settings.port}/setup?token={token}\n",
            flush=True,
        )


app.on_startup(_on_startup)  # first: the event bus is bound before anything publishes
if settings.redis_url:  # one of several processes: events, presence and jobs' leases over Redis
    bus = cluster.RedisBus(settings.redis_url)
    app.on_startup(bus.start)
    app.on_startup(lambda: presence.share(settings.instance_name))
    app.on_shutdown(presence.stop_sharing)
    app.on_shutdown(bus.stop)
app.on_delete(memory.page_closed)  # a closed page's memory is reclaimed (helpdesk/runtime/memory.py)
# Email's jobs run in the API's process when there is one (helpdesk/api/__main__.py), else here.
job_runner = jobs.Runner(jobs.default_jobs() + ([] if settings.api_port else jobs.mail_jobs()))
app.on_startup(job_runner.start)
app.on_shutdown(job_runner.stop)
if settings.api_port:  # the API in its own process; its events come back through the relay (or Redis)
    if not settings.redis_url:
        relay_server = relay.RelayServer()
        app.on_startup(relay_server.start)  # before the API process, whose events it receives
        app.on_shutdown(relay_server.stop)
    app.on_startup(api_server.start)
    app.on_shutdown(api_server.stop)

    @app.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def api_elsewhere(path: str) -> JSONResponse:
        return JSONResponse({"detail": f"The REST API answers at {settings.api_url}/api/"}, status_code=404)

else:
    api.install(app)

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
        # The API's own process has its docs; served here, the API brings them here.
        fastapi_docs=False if settings.api_port else api.DOCS,
        **settings.proxy_options,
    )

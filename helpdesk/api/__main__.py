"""`python -m helpdesk.api`: the REST API in its own process, as the app starts it.

It shares the database with the app (which has migrated it before starting this process) and
sends its services' live-update events to the app through the relay socket, or to every process
of the cluster through Redis.
"""

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from helpdesk.api import create_app
from helpdesk.core import cluster, db, logsafe
from helpdesk.core.config import get_settings
from helpdesk.runtime import backup, jobs, relay
from helpdesk.runtime.supervisor import exit_with_parent


def lower_priority(niceness: int) -> None:
    """Below the app's priority: when writes through the API burst, the CPU serves the pages first.

    This process has a session of its own (the supervisor's process group needs one), and with
    the kernel's autogroup scheduling (on in Debian's kernels) each session is one group that
    gets an equal share of the CPU against the app's, whatever its processes' nice: the group's
    own nice is set too.
    """
    os.nice(niceness)
    with contextlib.suppress(OSError):  # not Linux, no autogroup, not allowed: os.nice still holds
        Path("/proc/self/autogroup").write_text(str(niceness))


def with_jobs(app: FastAPI, runner: jobs.Runner, bus: cluster.RedisBus | None = None) -> FastAPI:
    """The app, running `runner`'s jobs while it serves: email's (runtime/jobs.py), whose Python
    work would otherwise compete with the pages for the app's interpreter (bench/email). In a
    cluster, `bus` carries its events to every process."""
    serving = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[object]:
        async with serving(app_) as state:
            if bus is not None:
                await bus.start()
            await runner.start()
            try:
                yield state
            finally:
                await runner.stop()
                if bus is not None:
                    await bus.stop()

    app.router.lifespan_context = lifespan
    return app


def main() -> None:
    os.umask(0o077)
    settings = get_settings()
    logging.basicConfig(level=logging.WARNING, format="api %(levelname)s %(name)s: %(message)s")
    logsafe.install()
    lower_priority(settings.api_niceness)
    db.init()
    app_lock = backup.hold_app_lock()  # noqa: F841 (held until the process ends)
    bus = cluster.RedisBus(settings.redis_url) if settings.redis_url else None
    if bus is None:
        relay.forward_events()
    exit_with_parent()
    uvicorn.run(
        with_jobs(create_app(), jobs.Runner(jobs.mail_jobs()), bus),
        host=settings.api_host or settings.host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
        log_config=None,  # the root's handler, whose lines are escaped (helpdesk/core/logsafe.py)
        **settings.proxy_options,
    )


if __name__ == "__main__":
    main()

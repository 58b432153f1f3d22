"""`python -m helpdesk.api`: the REST API in its own process, as the app starts it.

It shares the database with the app (which has migrated it before starting this process) and
sends its services' live-update events to the app through the relay socket.
"""

import contextlib
import logging
import os
from pathlib import Path

import uvicorn

from helpdesk.api import create_app
from helpdesk.core import db, logsafe
from helpdesk.core.config import get_settings
from helpdesk.runtime import backup, relay
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


def main() -> None:
    os.umask(0o077)
    settings = get_settings()
    logging.basicConfig(level=logging.WARNING, format="api %(levelname)s %(name)s: %(message)s")
    logsafe.install()
    lower_priority(settings.api_niceness)
    db.init()
    app_lock = backup.hold_app_lock()  # noqa: F841 (held until the process ends)
    relay.forward_events()
    exit_with_parent()
    uvicorn.run(
        create_app(),
        host=settings.api_host or settings.host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
        log_config=None,  # the root's handler, whose lines are escaped (helpdesk/core/logsafe.py)
        **settings.proxy_options,
    )


if __name__ == "__main__":
    main()

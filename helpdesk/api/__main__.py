"""`python -m helpdesk.api`: the REST API in its own process, as the app starts it.

It shares the database with the app (which has migrated it before starting this process) and
sends its services' live-update events to the app through the relay socket.
"""

import logging
import os

import uvicorn

from helpdesk import db, relay
from helpdesk.api import create_app
from helpdesk.config import get_settings
from helpdesk.supervisor import exit_with_parent


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.WARNING, format="api %(levelname)s %(name)s: %(message)s")
    # Below the app's priority: when writes through the API burst, the CPU serves the pages first.
    os.nice(settings.api_niceness)
    db.init()
    relay.forward_events()
    exit_with_parent()
    uvicorn.run(
        create_app(),
        host=settings.api_host or settings.host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,  # like the app's: uvicorn's defaults otherwise (X-Forwarded-For from 127.0.0.1)
    )


if __name__ == "__main__":
    main()

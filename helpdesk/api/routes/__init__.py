"""REST API v1, one module per resource. Every route calls the same service functions as the
pages, so permissions are written once (domain/policy.py) and a change made here appears live in
open browsers."""

from helpdesk.api.routes import attachments, auth, messages, tickets, users
from helpdesk.api.routes.common import router

__all__ = ["attachments", "auth", "messages", "router", "tickets", "users"]

"""First run: no default account, but a one-time link that creates the first administrator."""

import hmac
import secrets

from helpdesk.core.errors import N_, PermissionDenied
from helpdesk.core.security import token_digest
from helpdesk.domain import users
from models import Role, User

_token_hash: str | None = None


def needs_setup() -> bool:
    return users.count() == 0


def new_link_token() -> str | None:
    """A fresh set-up token if the database has no user yet (printed once on the console)."""
    global _token_hash
    if not needs_setup():
        _token_hash = None
        return None
    token = secrets.token_urlsafe(32)
    _token_hash = token_digest(token)
    return token


def token_valid(token: str | None) -> bool:
    return bool(token) and _token_hash is not None and hmac.compare_digest(token_digest(token), _token_hash)


def create_first_admin(token: str, email: str, name: str, password: str) -> User:
    global _token_hash
    if not token_valid(token):
        raise PermissionDenied(N_("This set-up link is not valid any more."))
    user = users.create_unchecked(email, name, password, Role.technician, is_admin=True, first=True)
    _token_hash = None
    return user

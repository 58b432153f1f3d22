"""Errors users can cause. Services raise them; pages and the API turn them into messages.

`message` is an English msgid for the translation catalogue; `params` fill its `{placeholders}`.
"""

from typing import Any, TypeVar

T = TypeVar("T")


def N_(message: str) -> str:
    """Marks a string for extraction into the catalogue; translated where it is shown."""
    return message


# What a user is told of a bug (never its details, which go to the log).
UNEXPECTED = N_("Something went wrong on the server. Nothing you sent was lost; try again.")


class HelpdeskError(Exception):
    status_code = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


class InvalidInput(HelpdeskError):
    """What the user typed or sent is not acceptable; the message says how to fix it."""

    status_code = 422


class NotAuthenticated(HelpdeskError):
    status_code = 401  # no session, or one that has ended: the page goes to the sign-in page


class PermissionDenied(HelpdeskError):
    """The actor may see the thing, but not do this to it."""

    status_code = 403


class NotFound(HelpdeskError):
    status_code = 404  # also what the actor may not see: its existence is not confirmed


class Conflict(HelpdeskError):
    """Someone else changed it first (a ticket taken, a request already answered)."""

    status_code = 409


class RateLimited(HelpdeskError):
    status_code = 429


class StorageUnavailable(HelpdeskError):
    """The server cannot save right now (a full disk, a database that refuses writes); nothing
    was changed, and the same request can be tried again later."""

    status_code = 503


def found(row: T | None, message: str, **params: Any) -> T:
    """`row`, or NotFound(message) when there is none."""
    if row is None:
        raise NotFound(message, **params)
    return row

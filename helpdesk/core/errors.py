"""Errors users can cause. Services raise them; pages and the API turn them into messages.

`message` is an English msgid for the translation catalogue; `params` fill its `{placeholders}`.
"""

from typing import Any


def N_(message: str) -> str:
    """Marks a string for extraction into the catalogue; translated where it is shown."""
    return message


class HelpdeskError(Exception):
    status_code = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


class InvalidInput(HelpdeskError):
    status_code = 422


class NotAuthenticated(HelpdeskError):
    status_code = 401


class PermissionDenied(HelpdeskError):
    status_code = 403


class NotFound(HelpdeskError):
    status_code = 404


class Conflict(HelpdeskError):
    status_code = 409


class RateLimited(HelpdeskError):
    status_code = 429

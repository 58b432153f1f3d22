"""Who is calling: a bearer token only (no cookie, so no cross-site request forgery)."""

from typing import Annotated

from fastapi import Depends, Header, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from helpdesk.api.schemas import ID_MAX
from helpdesk.core.errors import N_, NotAuthenticated
from helpdesk.core.security import ACCESS
from helpdesk.domain import auth
from models import User
from models.idempotency import KEY_MAX

_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/token")


def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    if credentials is None:
        raise NotAuthenticated(N_("Send a bearer token from /api/v1/auth/token."))
    return credentials.credentials


BearerToken = Annotated[str, Depends(bearer_token)]


def current_user(token: BearerToken) -> User:
    return auth.verify(token, ACCESS).user


CurrentUser = Annotated[User, Depends(current_user)]
ItemId = Annotated[int, Path(ge=1, le=ID_MAX)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=KEY_MAX,
        description=(
            "Any unique string (a UUID): a retry with the same key, by the same user within 24 hours, "
            "returns the first request's result and writes nothing. Reusing a key for another request "
            "is refused (422)."
        ),
    ),
]

"""Tokens: sign in for a bearer token, revoke it."""

from fastapi import Request, Response

from helpdesk.api.deps import BearerToken
from helpdesk.api.routes.common import router
from helpdesk.api.schemas import (
    ErrorBody,
    TokenRequest,
    TokenResponse,
)
from helpdesk.core.errors import InvalidInput, NotAuthenticated
from helpdesk.core.security import ACCESS
from helpdesk.domain import auth


@router.post("/auth/token", tags=["auth"], responses={429: {"model": ErrorBody}})
def token(body: TokenRequest, request: Request) -> TokenResponse:
    address = request.client.host if request.client else "unknown"
    try:
        user = auth.authenticate(body.email, body.password, address)
    except InvalidInput as error:
        raise NotAuthenticated(error.message) from None
    access_token, expires_in = auth.start_api_token(user)
    return TokenResponse(access_token=access_token, expires_in=expires_in)


@router.post("/auth/logout", tags=["auth"], status_code=204)
def logout(credentials: BearerToken) -> Response:
    """Revokes this bearer token now (every token of the account ends on a password change,
    deactivation or role change anyway)."""
    auth.verify(credentials, ACCESS)
    auth.logout(credentials, ACCESS)
    return Response(status_code=204)

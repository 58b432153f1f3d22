"""Accounts: the caller's own, and the administrators' management of all of them."""

from helpdesk.api.deps import CurrentUser, ItemId
from helpdesk.api.routes.common import router
from helpdesk.api.schemas import (
    UserCreate,
    UserPublic,
    UserUpdate,
)
from helpdesk.domain import users
from models import User


def _user(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users/me", tags=["users"])
def me(actor: CurrentUser) -> UserPublic:
    return _user(actor)


@router.get("/users", tags=["users"], summary="All accounts (administrators)")
def list_users(actor: CurrentUser) -> list[UserPublic]:
    return [_user(u) for u in users.list_users(actor)]


@router.post("/users", tags=["users"], status_code=201, summary="Create an account (administrators)")
def create_user(body: UserCreate, actor: CurrentUser) -> UserPublic:
    return _user(users.create(actor, body.email, body.name, body.password, body.role, body.is_admin))


@router.patch(
    "/users/{user_id}", tags=["users"], summary="Change name, role, admin right or activation (administrators)"
)
def update_user(user_id: ItemId, body: UserUpdate, actor: CurrentUser) -> UserPublic:
    user = users.update(actor, user_id, name=body.name, role=body.role, is_admin=body.is_admin, is_active=body.active)
    return _user(user)

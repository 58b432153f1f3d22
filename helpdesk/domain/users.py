"""Accounts: creation, roles, activation, passwords, language. Admin rules live here."""

import re
import secrets

from sqlalchemy import func
from sqlmodel import Session, select

from helpdesk.core import db, events
from helpdesk.core.errors import N_, Conflict, InvalidInput, PermissionDenied, found
from helpdesk.core.security import PASSWORD_MAX, PASSWORD_MIN, hash_password, verify_password
from helpdesk.domain import policy, remote
from helpdesk.domain.policy import load_actor
from models import EndReason, Role, SessionEnd, Theme, User
from models.user import EMAIL_MAX, NAME_MAX

LANGUAGES = ("en", "fr")
# One rule for the service and the API schema: something@domain.tld, no spaces.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if not re.fullmatch(EMAIL_PATTERN, email) or len(email) > EMAIL_MAX:
        raise InvalidInput(N_("Enter a valid email address."))
    return email


def validate_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(N_("The name must be 1 to {max} characters."), max=NAME_MAX)
    return name


def validate_password(password: str) -> str:
    # Never stripped nor truncated: every character counts.
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput(N_("The password must be {min} to {max} characters."), min=PASSWORD_MIN, max=PASSWORD_MAX)
    return password


def require_admin(session: Session, actor: User, refusal: str = N_("Only administrators can manage users.")) -> User:
    """The actor, re-read, if they are an administrator now; `refusal` (a msgid) otherwise."""
    current = load_actor(session, actor)
    if not policy.is_admin(current):
        raise PermissionDenied(refusal)
    return current


def _get(session: Session, user_id: int) -> User:
    return found(session.get(User, user_id), N_("This user does not exist."))


def get_by_email(email: str) -> User | None:
    with db.read_session() as session:
        return session.exec(select(User).where(User.email == normalize_email(email))).first()


def get(user_id: int) -> User | None:
    with db.read_session() as session:
        return session.get(User, user_id)


def count() -> int:
    with db.read_session() as session:
        return session.exec(select(func.count()).select_from(User)).one()


def technicians() -> list[User]:
    with db.read_session() as session:
        query = select(User).where(User.role == Role.technician, User.is_active).order_by(User.name)
        return list(session.exec(query))


def find_people(actor: User, text: str, limit: int = 20) -> list[User]:
    """Active people whose name or email holds the text (the queue's requester filter)."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        policy.require_technician(actor, N_("Only technicians can look people up."))
        text = text.strip()[:NAME_MAX]
        query = (
            select(User)
            .where(User.is_active, db.contains(User.name, text) | db.contains(User.email, text))
            .order_by(User.name)
            .limit(limit)
        )
        return list(session.exec(query))


def create_unchecked(
    email: str,
    name: str,
    password: str,
    role: Role,
    is_admin: bool = False,
    language: str | None = None,
    first: bool = False,
) -> User:
    """Create an account without an acting user: for the console command and first-run set-up.
    With `first`, only while no account exists, checked in the same transaction (two set-up
    submits at once make one account)."""
    email, name, password = validate_email(email), validate_name(name), validate_password(password)
    if is_admin and role != Role.technician:
        raise InvalidInput(N_("Only technicians can be administrators."))
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(N_("Unknown language."))
    password_hash = hash_password(password)
    with db.write_session() as session:
        if first:
            db.lock(session, "first-account")
            if session.exec(select(func.count()).select_from(User)).one() > 0:
                raise Conflict(N_("The helpdesk is already set up."))
        if session.exec(select(User.id).where(User.email == email)).first() is not None:
            raise Conflict(N_("An account with this email already exists."))
        user = User(
            email=email, name=name, role=role, is_admin=is_admin, password_hash=password_hash, language=language
        )
        session.add(user)
        session.flush()
        return user


def create(actor: User, email: str, name: str, password: str, role: Role, is_admin: bool = False) -> User:
    with db.read_session() as session:
        require_admin(session, actor)
    return create_unchecked(email, name, password, role, is_admin)


def list_users(actor: User) -> list[User]:
    with db.read_session() as session:
        require_admin(session, actor)
        return list(session.exec(select(User).order_by(User.role.desc(), User.name)))


def _revoke(session: Session, user: User, reason: SessionEnd) -> None:
    """Every session of the account ends, on every open page once this transaction commits."""
    user.token_version += 1
    db.publish(session, events.SessionsRevoked(user.id, reason=reason))


def update(
    actor: User,
    user_id: int,
    *,
    name: str | None = None,
    role: Role | None = None,
    is_admin: bool | None = None,
    is_active: bool | None = None,
) -> User:
    """Admin changes to an account; a change of role, admin right or activation ends its sessions."""
    revoked: SessionEnd | None = None
    with db.write_session() as session:
        admin = require_admin(session, actor)
        user = _get(session, user_id)
        if user.id == admin.id and (role == Role.employee or is_admin is False or is_active is False):
            raise InvalidInput(N_("You cannot remove your own administrator access."))
        if name is not None:
            user.name = validate_name(name)
        if role is not None and role != user.role:
            user.role = role
            if role == Role.employee:
                user.is_admin = False
            revoked = SessionEnd.role_changed
        if is_admin is not None and is_admin != user.is_admin:
            if is_admin and not user.is_technician:
                raise InvalidInput(N_("Only technicians can be administrators."))
            user.is_admin = is_admin
            revoked = SessionEnd.role_changed
        if is_active is not None and is_active != user.is_active:
            user.is_active = is_active
            revoked = SessionEnd.role_changed if is_active else SessionEnd.deactivated
        if revoked is not None:
            _revoke(session, user, revoked)
            if not (user.is_active and user.is_technician):
                remote.end_for_technician(session, user.id, EndReason.reassigned)
        session.add(user)
    return user


def reset_password(actor: User, user_id: int) -> str:
    """Give the account a new random password, shown once to the admin; its sessions end."""
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)
    with db.write_session() as session:
        require_admin(session, actor)
        user = _get(session, user_id)
        user.password_hash = password_hash
        _revoke(session, user, SessionEnd.password_reset)
        session.add(user)
    return password


def change_password(actor: User, current_password: str, new_password: str) -> User:
    """Needs the current password; every session of the account ends (the caller re-issues its own)."""
    validate_password(new_password)
    with db.read_session() as session:
        user = load_actor(session, actor)
    if not verify_password(current_password, user.password_hash):
        raise InvalidInput(N_("The current password is wrong."))
    password_hash = hash_password(new_password)
    with db.write_session() as session:
        user = load_actor(session, actor)
        user.password_hash = password_hash
        _revoke(session, user, SessionEnd.password_changed)
        session.add(user)
    return user


def set_theme(actor: User, theme: str) -> User:
    if theme not in set(Theme):
        raise InvalidInput(N_("Unknown theme."))
    return _set_preference(actor, theme=Theme(theme).value)


def set_language(actor: User, language: str | None) -> User:
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(N_("Unknown language."))
    return _set_preference(actor, language=language)


def _set_preference(actor: User, **values: object) -> User:
    with db.write_session() as session:
        user = load_actor(session, actor)
        for name, value in values.items():
            setattr(user, name, value)
        session.add(user)
    return user

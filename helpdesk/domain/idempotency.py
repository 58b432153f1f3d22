"""A retried write is stored once: API writes may carry an `Idempotency-Key`.

The key is saved in the same transaction as the write it names (core/db.py's `first_write_also`),
so a request cut off after its commit and retried finds it, and one cut off before finds nothing
and writes: a write is never done twice, nor lost. The same key from the same user within a day
answers with what the first request made; the same key for another request is refused.
"""

import hashlib
import string
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from helpdesk.core import db
from helpdesk.core.errors import N_, InvalidInput
from models import IdempotencyKey, User
from models.clock import utcnow
from models.idempotency import KEY_MAX

WINDOW = timedelta(hours=24)
_ALLOWED = frozenset(string.ascii_letters + string.digits + "-_.:+/=")

T = TypeVar("T")


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), path.encode(), body))).hexdigest()


def _valid(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or not set(key) <= _ALLOWED:
        raise InvalidInput(N_("An Idempotency-Key is 1 to {max} letters, digits or -_.:+/= signs."), max=KEY_MAX)
    return key


def _previous(actor: User, key: str, print_: str) -> IdempotencyKey | None:
    with db.read_session() as session:
        row = session.get(IdempotencyKey, (actor.id, key))
    if row is None or row.created_at < utcnow() - WINDOW:
        return None
    if row.fingerprint != print_:
        raise InvalidInput(N_("This Idempotency-Key was already used for another request."))
    return row


def once(
    actor: User,
    key: str | None,
    print_: str,
    made: type[SQLModel] | None,
    write: Callable[[], T],
    replay: Callable[[int | None], T],
) -> T:
    """`write()`, unless this key already did it: then `replay(id)` with the id of the `made` row
    the first request inserted (None when the write inserts nothing, as a take)."""
    if key is None:
        return write()
    key = _valid(key)
    previous = _previous(actor, key, print_)
    if previous is not None:
        return replay(previous.resource_id)

    def claim(session: Session) -> None:
        session.execute(  # an expired key of this user may be reused
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == actor.id,
                IdempotencyKey.key == key,
                IdempotencyKey.created_at < utcnow() - WINDOW,
            )
        )
        resource = db.inserted(session, made) if made is not None else None
        session.add(IdempotencyKey(user_id=actor.id, key=key, fingerprint=print_, resource_id=resource))

    try:
        with db.first_write_also(claim):
            return write()
    except IntegrityError:
        # The same key, sent twice at once: the other request's write won and this one's was
        # rolled back whole. Answer as a retry would.
        previous = _previous(actor, key, print_)
        if previous is None:
            raise
        return replay(previous.resource_id)


def expire() -> int:
    """Forget keys older than the window (a runtime job)."""
    with db.write_session() as session:
        result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - WINDOW))
        return result.rowcount or 0

"""Bench data, written straight into the database before the app starts: a fresh migrated
database in a data dir, and accounts in bulk (one password hash for all, since hashing is slow)."""

import os
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import select

from helpdesk.core import db, security
from helpdesk.core.config import get_settings
from models import Role, User

PASSWORD = "bench password"


def fresh_database(data_dir: Path) -> None:
    """Points the helpdesk (and the app started later with the same data dir) at `data_dir`."""
    os.environ["HELPDESK_DATA_DIR"] = str(data_dir)
    get_settings.cache_clear()
    security.signing_key.cache_clear()
    db.init()
    db.migrate()


def add_accounts(*groups: tuple[str, int, Role] | tuple[str, int, Role, bool]) -> dict[str, list[User]]:
    """For each (kind, count, role[, admin]) group, `count` accounts named "kind i" with the email
    kind{i}@bench.example; returned by kind, in order."""
    password_hash = security.hash_password(PASSWORD)
    rows = [
        {"email": f"{kind}{i}@bench.example", "name": f"{kind} {i}", "role": role, "password_hash": password_hash,
         "is_admin": bool(rest and rest[0])}
        for kind, count, role, *rest in groups
        for i in range(count)
    ]  # fmt: skip
    with db.write_session() as session:
        session.execute(insert(User), rows)
    with db.read_session() as session:
        people = list(session.exec(select(User).order_by(User.id)))
    by_kind: dict[str, list[User]] = {}
    start = 0
    for kind, count, *_rest in groups:
        by_kind[kind] = people[start : start + count]
        start += count
    return by_kind

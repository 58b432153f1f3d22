"""Every test gets its own data dir holding a real, migrated SQLite database.

Migrating and hashing the standard accounts' passwords once per session, then copying the
files per test, keeps the suite fast without faking either.

With HELPDESK_TEST_POSTGRES set to a PostgreSQL server URL (a role that may create databases),
each test gets instead its own database cloned from a migrated template database.
"""

import itertools
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy.exc
from nicegui.testing import User as SimUser
from sqlalchemy import create_engine, make_url

from helpdesk.core import db, events, security
from helpdesk.core.config import get_settings
from helpdesk.domain import auth, chat, presence, users
from models import Role, User
from tests.support.app_process import REMOTE_SETTINGS
from tests.support.redis import RedisServer

PASSWORD = "correct horse battery"
POSTGRES = os.environ.get("HELPDESK_TEST_POSTGRES")
TEMPLATE_DB = f"helpdesk_template_{os.getpid()}"
_numbers = itertools.count()


@dataclass
class People:
    employee_a: User
    employee_b: User
    technician: User
    technician_2: User
    admin: User


def _postgres(database: str) -> str:
    return make_url(POSTGRES).set(database=database).render_as_string(hide_password=False)


def _postgres_admin(*statements: str) -> None:
    engine = create_engine(_postgres("postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def _point_at(data_dir: Path, monkeypatch: pytest.MonkeyPatch, database: str | None = None) -> None:
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(data_dir))
    if database:
        monkeypatch.setenv("DATABASE_URL", _postgres(database))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("HELPDESK_SECRET_KEY", raising=False)
    # Page tests run the app in-process: no child processes (the e2e tests start real ones).
    monkeypatch.setenv("HELPDESK_REMOTE_ENABLED", "false")
    monkeypatch.setenv("HELPDESK_API_PORT", "0")  # the API in-process too, where `user.http_client` reaches it
    for name, value in REMOTE_SETTINGS.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    security.signing_key.cache_clear()


def _drop(database: str) -> None:
    # FORCE may not be allowed to end a server-side worker (autovacuum) that just started on the
    # database; it is gone a moment later.
    for attempt in range(20):
        try:
            _postgres_admin(f"DROP DATABASE {database} WITH (FORCE)")
            return
        except sqlalchemy.exc.ProgrammingError:
            if attempt == 19:
                raise
            time.sleep(0.25)


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("template")
    if POSTGRES:
        _postgres_admin(f"CREATE DATABASE {TEMPLATE_DB}")
    with pytest.MonkeyPatch.context() as mp:
        _point_at(path, mp, TEMPLATE_DB if POSTGRES else None)
        db.init()
        db.migrate()
        users.create_unchecked("anna@example.com", "Anna Employee", PASSWORD, Role.employee)
        users.create_unchecked("ben@example.com", "Ben Employee", PASSWORD, Role.employee)
        users.create_unchecked("tom@example.com", "Tom Technician", PASSWORD, Role.technician)
        users.create_unchecked("tess@example.com", "Tess Technician", PASSWORD, Role.technician)
        users.create_unchecked("ada@example.com", "Ada Admin", PASSWORD, Role.technician, is_admin=True)
        security.signing_key()
        db.engine().dispose()
    get_settings.cache_clear()
    security.signing_key.cache_clear()
    yield path
    if POSTGRES:
        _postgres_admin(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")


@pytest.fixture(autouse=True)
def data_dir(template_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "data"
    shutil.copytree(template_dir, path)
    database = f"helpdesk_test_{os.getpid()}_{next(_numbers)}" if POSTGRES else None
    if database:
        _postgres_admin(f"CREATE DATABASE {database} TEMPLATE {TEMPLATE_DB}")
    _point_at(path, monkeypatch, database)
    db.init()
    auth.reset_throttle()
    chat.reset_rate_limit()
    presence.reset()
    yield path
    db.engine().dispose()
    events._subscribers.clear()
    if database:
        _drop(database)


@pytest.fixture(autouse=True)
def patient_should_see(monkeypatch: pytest.MonkeyPatch) -> None:
    """`should_see` gives up after 0.3 s by default; an argon2 check on a loaded CI machine can take
    longer. Every expectation waits up to 3 s (it still returns as soon as the text is there)."""
    original = SimUser.should_see

    async def should_see(self: SimUser, *args: object, retries: int = 30, **kwargs: object) -> None:
        await original(self, *args, retries=max(retries, 30), **kwargs)

    monkeypatch.setattr(SimUser, "should_see", should_see)


@pytest.fixture
def people(data_dir: Path) -> People:
    def by(email: str) -> User:
        user = users.get_by_email(email)
        assert user is not None
        return user

    return People(
        by("anna@example.com"),
        by("ben@example.com"),
        by("tom@example.com"),
        by("tess@example.com"),
        by("ada@example.com"),
    )


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis of the module's own (Debian's redis-server, on loopback)."""
    server = RedisServer()
    server.start()
    yield server
    server.close()

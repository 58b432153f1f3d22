"""Engine, sessions, SQLite pragmas and migrations on start."""

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from helpdesk.core import events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, StorageUnavailable

log = logging.getLogger(__name__)
CANNOT_SAVE = N_("The server cannot save right now. Nothing was changed; try again in a moment.")

MIGRATIONS = Path(__file__).parent / "migrations"

SQLITE_POOL_SIZE = 20
_engine: Engine | None = None
_write_engine: Engine | None = None


class FairGate:
    """At most `size` threads inside at once, let in strictly in the order they came.

    Reads are CPU work in this process (SQLite runs in it; rows become Python objects under the
    GIL). Twenty of them at once on two cores do not finish sooner: they take turns at the GIL
    in no fair order, and the unlucky ones wait ten times their share (bench/queue measured a
    2 ms page at 200 ms p95 with 20 readers). In a short queue served in order, each waits only
    for those before it. A thread already inside (a read within a read) passes again.
    threading.Semaphore is not enough: a thread that just left may take the place back before
    the one it woke. A thread inside a write transaction passes too (`passing`): it may hold the
    SQLite writer's lock that a reader inside waits for.
    """

    def __init__(self, size: int) -> None:
        self.free = size
        self.lock = threading.Lock()
        self.waiting: deque[threading.Lock] = deque()
        self.inside = threading.local()

    def __enter__(self) -> None:
        depth = getattr(self.inside, "depth", 0)
        self.inside.depth = depth + 1
        if depth:
            return
        with self.lock:
            if self.free and not self.waiting:
                self.free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self.waiting.append(turn)
        turn.acquire()  # released by the thread that hands over its place

    @contextmanager
    def passing(self) -> Iterator[None]:
        """Reads inside this block pass without a place."""
        self.inside.depth = getattr(self.inside, "depth", 0) + 1
        try:
            yield
        finally:
            self.inside.depth -= 1

    def __exit__(self, *_exc: object) -> None:
        self.inside.depth -= 1
        if self.inside.depth:
            return
        with self.lock:
            if self.waiting:
                self.waiting.popleft().release()  # the place passes on, never becomes free
            else:
                self.free += 1


_readers = FairGate(1)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy's begin event below (pysqlite's own is unreliable).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front so read-modify-write never loses an update;
    # readers use a plain deferred BEGIN so they never wait on each other.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A pool as wide as the threads that read at once (NiceGUI's io_bound workers, the API's
        # thread pool): past it, SQLAlchemy opens a fresh connection per request, pragmas and all.
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 5},
            pool_size=SQLITE_POOL_SIZE,
            max_overflow=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def init(url: str | None = None) -> Engine:
    """Create (or replace) the process's engine; the data dir is created if needed."""
    global _engine, _write_engine
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url or settings.effective_database_url)
    _write_engine = _engine.execution_options(immediate=True)
    global _readers
    _readers = FairGate(settings.db_readers)
    return _engine


def engine() -> Engine:
    if _engine is None:
        init()
    assert _engine is not None
    return _engine


def contains(column: Any, text: str) -> Any:
    """`column` holds `text` anywhere, case-insensitive, with LIKE's own signs taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading, once one of the HELPDESK_DB_READERS places is free (FairGate)."""
    bound = engine()
    with _readers, Session(bound, expire_on_commit=False) as session:
        yield session


# SQLite has one writer at a time. Waiting for its lock inside SQLite means sleeping in steps of
# up to 100 ms (its busy handler); waiting on this lock wakes a thread the moment it is free.
# busy_timeout still covers other processes (the console command).
_sqlite_writer = threading.Lock()


last_write_failure = 0.0  # time.monotonic() of the last write the database refused (runtime/health.py)
last_foreground_write = 0.0  # time.monotonic() of the last write made for someone waiting (not `background`)
_background: ContextVar[bool] = ContextVar("background", default=False)


@contextmanager
def background() -> Iterator[None]:
    """Writes in this block are background work (the outbox): they do not count as busy."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def wait_for_quiet(quiet: float, longest: float) -> None:
    """Sleep until this process has made no foreground write for `quiet` seconds, `longest` at most:
    background work steps aside while people's writes come in."""
    deadline = time.monotonic() + longest
    while (wait := last_foreground_write + quiet - time.monotonic()) > 0 and time.monotonic() < deadline:
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))


_QUEUED = "helpdesk.events"  # the key, in a session's `info`, of the events its commit delivers


@contextmanager
def write_session() -> Iterator[Session]:
    """One write transaction: commits on success, rolls back on any exception. The events queued
    on it with `publish` are delivered after the commit succeeded, never for a rollback.

    A database that cannot write (a full disk, a read-only file, a lock held too long) raises
    StorageUnavailable: nothing was saved, and the same change can be tried again later."""
    engine()
    assert _write_engine is not None
    if not _background.get():
        global last_foreground_write
        last_foreground_write = time.monotonic()
    serial = _sqlite_writer if _write_engine.dialect.name == "sqlite" else nullcontext()
    try:
        with _readers.passing(), serial, Session(_write_engine, expire_on_commit=False) as session:
            event.listen(session, "after_flush", _note_inserted)
            with session.begin():
                yield session
                also = _first_write_also.get()
                if also is not None:
                    _first_write_also.set(None)
                    also(session)
            queued = session.info.pop(_QUEUED, [])
    except OperationalError as error:
        global last_write_failure
        last_write_failure = time.monotonic()
        # The driver's own words (e.g. "database or disk is full"), never the statement's values.
        log.warning("a write failed: %s", str(error.orig).splitlines()[0] if error.orig else type(error).__name__)
        raise StorageUnavailable(CANNOT_SAVE) from None
    # Outside the writer's lock: subscribers may read, and a reader never waits on a writer.
    for queued_event in queued:
        events.publish(queued_event)


_INSERTED = "helpdesk.inserted"  # the key, in a session's `info`, of the rows it inserted
_first_write_also: ContextVar[Callable[[Session], None] | None] = ContextVar("first_write_also", default=None)


def _note_inserted(session: Session, _context: Any) -> None:
    session.info.setdefault(_INSERTED, []).extend(session.new)


def inserted(session: Session, kind: type) -> int | None:
    """The id of the first row of `kind` this write transaction inserted, if any."""
    return next((row.id for row in session.info.get(_INSERTED, ()) if isinstance(row, kind)), None)


@contextmanager
def first_write_also(callback: Callable[[Session], None]) -> Iterator[None]:
    """The next write transaction in this context also runs `callback` just before its commit:
    what it adds commits, or rolls back, with that write (the API's idempotency keys)."""
    token = _first_write_also.set(callback)
    try:
        yield
    finally:
        _first_write_also.reset(token)


def publish(session: Session, event: events.Event) -> None:
    """Queue a live event on this write transaction: it goes out once the transaction commits."""
    if not session.in_transaction():
        raise RuntimeError("events are published from inside a write transaction")
    session.info.setdefault(_QUEUED, []).append(event)


def lock(session: Session, name: str) -> None:
    """Serialises the rest of this write transaction with any other taking the same lock. SQLite's
    write transactions are serial already (BEGIN IMMEDIATE); PostgreSQL takes an advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=key))


def migrate() -> None:
    """Bring the schema to the newest Alembic revision (run on every start)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine()
    if engine().dialect.name != "postgresql":
        command.upgrade(cfg, "head")  # SQLite: one machine, and its writes are serial
        return
    # Several processes starting at once (a cluster): one migrates, the others wait, then find
    # nothing left to do.
    key = int.from_bytes(hashlib.sha256(b"migrations").digest()[:8], "big", signed=True)
    with engine().connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)").bindparams(key=key))
        try:
            command.upgrade(cfg, "head")
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)").bindparams(key=key))
            connection.commit()

"""What /healthz reports: this process, and whether its database can be written right now.

A database that answers reads but refuses writes (a full disk, a read-only file) is the failure
users meet as "nothing saves", so the check writes: one row, at most every few seconds (a proxy
or a monitor may ask often; between writes the last answer is given again).
"""

import threading
import time
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from helpdesk.core import db
from helpdesk.core.errors import HelpdeskError
from models import HealthProbe
from models.clock import utcnow

PROBE_EVERY = 5.0  # seconds


@dataclass(frozen=True)
class Health:
    database: str  # "ok", or why it cannot be written

    @property
    def ok(self) -> bool:
        return self.database == "ok"


_lock = threading.Lock()
_last: tuple[float, Health] | None = None


def _probe() -> Health:
    try:
        with db.write_session() as session:
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            now = utcnow()
            statement = insert(HealthProbe).values(id=1, checked_at=now)
            session.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"checked_at": now}))
    except HelpdeskError:
        return Health("cannot write")
    except Exception as error:  # unreachable, or anything else: say so, never raise from a health check
        return Health(f"unavailable ({type(error).__name__})")
    return Health("ok")


def check() -> Health:
    global _last
    with _lock:
        stale = _last is None or time.monotonic() - _last[0] > PROBE_EVERY or db.last_write_failure > _last[0]
        if stale or not _last[1].ok:
            _last = (time.monotonic(), _probe())
        return _last[1]


def reset() -> None:
    global _last
    with _lock:
        _last = None

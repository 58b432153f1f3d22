"""Listing tickets: the technician queue's views, filters, sorting, text search and paging.

One function serves the dashboards and the REST API. Employees only ever list their own
tickets. Text search finds a ticket by its title or description, its requester's name or
email, or the chat messages the reader may see (never an internal note for an employee), and
by its number. It uses a full-text index kept by triggers (FTS5 on SQLite, migration 0006;
tsvectors on PostgreSQL, migration 0009), so it stays fast at 100,000 tickets and 500,000 messages.
"""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from cachetools import TTLCache
from sqlalchemy import Select, func, literal, or_, text, union_all
from sqlmodel import Session, select

from helpdesk.core import db
from helpdesk.core.errors import N_, InvalidInput
from helpdesk.domain.policy import load_actor
from models import Assignee, Category, Message, Priority, Requester, Status, Ticket, User

PER_PAGE_MAX = 100
QUERY_MAX = 200


class View(StrEnum):
    unassigned = "unassigned"
    mine = "mine"
    open = "open"
    resolved = "resolved"
    all = "all"


class Sort(StrEnum):
    updated = "updated"
    created = "created"
    priority = "priority"
    id = "id"
    status = "status"
    title = "title"


@dataclass
class QueueQuery:
    view: View = View.all
    q: str = ""
    sort: Sort = Sort.updated
    descending: bool = True
    page: int = 1
    per_page: int = 25
    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    # "me", "none", "someone" or a user id as text
    assignee: str | None = None
    requester: int | None = None
    # Whole days, inclusive, counted in UTC.
    created_from: date | None = None
    created_to: date | None = None
    updated_from: date | None = None
    updated_to: date | None = None


@dataclass
class QueueRow:
    id: int
    title: str
    status: Status
    priority: Priority
    category: Category
    requester_id: int
    assignee_id: int | None
    created_at: datetime
    updated_at: datetime
    requester_name: str
    assignee_name: str | None


@dataclass
class QueuePage:
    items: list[QueueRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = 25


_SORT_COLUMNS = {
    Sort.updated: (Ticket.updated_at,),
    Sort.created: (Ticket.id,),
    Sort.priority: (Ticket.priority_rank, Ticket.updated_at),
    Sort.id: (Ticket.id,),
    Sort.status: (Ticket.status, Ticket.updated_at),
    Sort.title: (Ticket.title,),
}


_ROW_COLUMNS = (
    Ticket.id,
    Ticket.title,
    Ticket.status,
    Ticket.priority,
    Ticket.category,
    Ticket.requester_id,
    Ticket.assignee_id,
    Ticket.created_at,
    Ticket.updated_at,
)


def _words(q: str) -> list[str]:
    return re.findall(r"\w+", q)[:10]


def _fts_query(q: str) -> str:
    """User text as an FTS5 query: each word a quoted prefix term, so no syntax can be injected."""
    return " ".join(f'"{w}"*' for w in _words(q))


def _conditions(session: Session, actor: User, query: QueueQuery, stamp: tuple = (), walk: bool = False) -> list:
    """`walk`: in the page's shape (see `_text_condition`), which needs the data's `stamp`."""
    conditions = []
    if not actor.is_technician:
        conditions.append(Ticket.requester_id == actor.id)
    q = query.q.strip()
    matches = _matches(session, actor, q)
    found = _found(session, q, matches)
    dense = walk and found is not None and _dense(session, found, _walk_rows(query), stamp)
    # IN, not "!= resolved": SQLite answers IN from the (status, updated_at) index, != by a scan;
    # which is what walking the whole queue newest first needs (`dense`).
    not_resolved = Ticket.status != Status.resolved if dense else Ticket.status.in_([Status.open, Status.in_progress])
    match query.view:
        case View.unassigned:
            conditions += [Ticket.assignee_id.is_(None), not_resolved]
        case View.mine:
            conditions += [Ticket.assignee_id == actor.id, not_resolved]
        case View.open:
            conditions.append(not_resolved)
        case View.resolved:
            conditions.append(Ticket.status == Status.resolved)
    if query.status is not None:
        conditions.append(Ticket.status == query.status)
    if query.priority is not None:
        conditions.append(Ticket.priority == query.priority)
    if query.category is not None:
        conditions.append(Ticket.category == query.category)
    if query.assignee is not None:
        conditions.append(_assignee_condition(actor, query.assignee))
    if query.requester is not None:
        conditions.append(Ticket.requester_id == query.requester)
    conditions += _day_range(Ticket.created_at, query.created_from, query.created_to)
    conditions += _day_range(Ticket.updated_at, query.updated_from, query.updated_to)
    if q:
        conditions.append(_text_condition(session, actor, q, matches, found, dense))
    return conditions


def _matches(session: Session, actor: User, q: str) -> Select | None:
    """The ids of the tickets whose text (title, description, the chat this reader may see) holds
    every word of the search, each as a prefix; None without a word.

    SQLite: one FTS5 MATCH over one row per ticket (migration 0006), the internal notes' column
    left out for an employee. PostgreSQL: the same per ticket and audience as GIN-indexed
    tsvectors (migration 0009), accents folded; the words are \\w+, so no tsquery syntax gets
    through."""
    words = _words(q)
    if not words:
        return None
    if session.get_bind().dialect.name == "sqlite":
        fts = _fts_query(q)
        fts = fts if actor.is_technician else f"{{title description public}} : ({fts})"
        found = text("ticket_search MATCH :fts").bindparams(fts=fts)
        return select(text("rowid")).select_from(text("ticket_search")).where(found)
    found = text(f"{_document(actor)} @@ {_TSQUERY}").bindparams(terms=_terms(words))
    return select(text("ticket_id")).select_from(text("ticket_search")).where(found)


_TSQUERY = "to_tsquery('simple', helpdesk_unaccent(:terms))"


def _document(actor: User) -> str:
    """The reader's tsvector column on PostgreSQL: an employee's leaves the internal notes out."""
    return "full_doc" if actor.is_technician else "public_doc"


def _terms(words: list[str]) -> str:
    return " & ".join(f"{w}:*" for w in words)


def _walk_rows(query: QueueQuery) -> int:
    """How far down an index the page lies, when the sort has one to walk (else 0)."""
    return query.page * query.per_page if query.sort in (Sort.updated, Sort.created, Sort.id) else 0


def _day_range(column, first: date | None, last: date | None) -> list:
    if first is not None and last is not None and first > last:
        raise InvalidInput(N_("A date range must not end before it starts."))
    conditions = []
    if first is not None:
        conditions.append(column >= datetime.combine(first, time(), UTC))
    if last is not None:
        conditions.append(column < datetime.combine(last + timedelta(days=1), time(), UTC))
    return conditions


def _assignee_condition(actor: User, assignee: str):
    if assignee == "me":
        return Ticket.assignee_id == actor.id
    if assignee == "none":
        return Ticket.assignee_id.is_(None)
    if assignee == "someone":
        return Ticket.assignee_id.is_not(None)
    if assignee.isdigit():
        return Ticket.assignee_id == int(assignee)
    raise InvalidInput(N_("The assignee filter is 'me', 'none', 'someone' or a user id."))


def ticket_number(q: str) -> int | None:
    """The ticket number a search names on its own ("#123" or "123"), if it does."""
    number = q.strip().removeprefix("#")
    return int(number) if number.isdigit() and len(number) < 10 else None


def _like_all(words: list[str], *columns) -> list:
    """Every word in one of the columns, case-insensitive."""
    return [or_(*(db.contains(c, w) for c in columns)) for w in words]


def _people(q: str) -> Select:
    """The accounts whose name or email holds every word of the search."""
    return select(User.id).where(*_like_all(_words(q), User.name, User.email))


def _found(session: Session, q: str, matches: Select | None) -> Select | None:
    """What the search finds, as ids to count: on SQLite the text's matches (its requesters are
    few beside them), on PostgreSQL the text's, the requesters' tickets and the number in one
    list (as an OR of three conditions PostgreSQL read every ticket)."""
    if matches is None or session.get_bind().dialect.name == "sqlite":
        return matches
    ids = [matches, select(Ticket.id).where(Ticket.requester_id.in_(_people(q)))]
    number = ticket_number(q)
    if number is not None:
        ids.append(select(literal(number)))
    return union_all(*ids)


def _text_condition(session: Session, actor: User, q: str, matches: Select | None, found, dense: bool):
    """Tickets whose text (`matches`) or requester holds every word, or whose number it is.

    Two shapes, the same answer. Few found: their ids first, then sorted (a few rows). Many
    ("printer" in half the tickets): walking the sort's index and checking each ticket finds a
    page after a few dozen rows, where collecting and sorting everything found costs far more.
    How many were found (`_found`, counted once per state of the data) decides (`dense`).
    """
    number = ticket_number(q)
    by_id = [Ticket.id == number] if number is not None else []
    if matches is None:
        return by_id[0] if by_id else Ticket.id.is_(None)
    by_requester = Ticket.requester_id.in_(_people(q))
    if session.get_bind().dialect.name == "sqlite":
        # Dense: `id + 0` keeps SQLite from starting at the matches; it walks the sort's index
        # and looks each ticket up in the matches, collected once.
        ticket_id = Ticket.id + 0 if dense else Ticket.id
        return or_(ticket_id.in_(matches), by_requester, *by_id)
    if dense:
        # PostgreSQL walks the sort's index and matches each ticket's own tsvector, looked up by
        # key. As EXISTS it collected every match into a hash first (100 ms for "printer").
        document = f"(SELECT {_document(actor)} FROM ticket_search WHERE ticket_search.ticket_id = ticket.id)"
        probe = text(f"{document} @@ {_TSQUERY}").bindparams(terms=_terms(_words(q)))
        return or_(by_requester, *by_id, probe)  # the cheap checks first
    return Ticket.id.in_(found)


# Past this many tickets walked (expected) before the page is full, sorting the matches is cheaper.
WALK_ROWS_MAX = 20_000


def _dense(session: Session, found, walk_rows: int, stamp: tuple) -> bool:
    """Whether the page is reached sooner by walking an index than from the list of what was found."""
    key = ("found", str(found), tuple(found.compile().params.items()), stamp)
    count = _cached(key, lambda: session.exec(select(func.count()).select_from(found.subquery())).one())
    tickets = stamp[0]  # the newest ticket's id: about how many there are
    return count > 0 and walk_rows * tickets / count <= WALK_ROWS_MAX


def list_tickets(actor: User, query: QueueQuery) -> QueuePage:
    if not 1 <= query.per_page <= PER_PAGE_MAX or query.page < 1:
        raise InvalidInput(N_("Pages start at 1 and hold at most {max} tickets."), max=PER_PAGE_MAX)
    if len(query.q) > QUERY_MAX:
        raise InvalidInput(N_("The search text must be at most {max} characters."), max=QUERY_MAX)
    with db.read_session() as session:
        actor = load_actor(session, actor)
        stamp = _stamp(session)
        conditions = _conditions(session, actor, query, stamp)
        # Counted once per reader, filters and state of the data: paging, sorting, and every
        # other reader of the same view reuse it until a ticket or message changes.
        key = ("total", actor.id, actor.is_technician, repr(replace(query, page=1, sort=Sort.updated)), stamp)
        total = _cached(key, lambda: session.exec(select(func.count()).select_from(Ticket).where(*conditions)).one())
        order = [c.desc() if query.descending else c.asc() for c in _SORT_COLUMNS[query.sort]]
        conditions = _conditions(session, actor, query, stamp, walk=True)  # the page's own shape
        order.append(Ticket.id.desc() if query.descending else Ticket.id.asc())
        # Two steps: the page's ids come from an index alone; only those rows are then joined
        # to names. Joining first would carry every matching row through the sort.
        ids = session.exec(
            select(Ticket.id)
            .where(*conditions)
            .order_by(*order)
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page)
        ).all()
        rows = session.exec(
            select(*_ROW_COLUMNS, Requester.name, Assignee.name)
            .join(Requester, Requester.id == Ticket.requester_id)
            .join(Assignee, Assignee.id == Ticket.assignee_id, isouter=True)
            .where(Ticket.id.in_(ids))
        ).all()
    by_id = {row[0]: QueueRow(*row) for row in rows}
    return QueuePage([by_id[i] for i in ids if i in by_id], total, query.page, query.per_page)


# Counts by what they count and the data's state (`_stamp`); the time limit bounds what the
# state does not see (a requester renamed). Shared by the process's threads.
_counts: TTLCache = TTLCache(maxsize=2048, ttl=60)
_counts_lock = threading.Lock()


def _stamp(session: Session) -> tuple:
    """The data's state as three index look-ups: the newest ticket, change and message. Every
    write to a ticket moves its updated_at; a message adds a row."""
    newest, changed, message = (
        session.exec(select(func.max(column))).one() for column in (Ticket.id, Ticket.updated_at, Message.id)
    )  # one query each: SQLite reads a lone max() from its index, two in one query by a scan
    return (newest or 0, str(changed), message or 0)


def _cached(key: tuple, count: Callable[[], int]) -> int:
    with _counts_lock:
        found = _counts.get(key)
    if found is None:
        found = count()
        with _counts_lock:
            _counts[key] = found
    return found


def counts(actor: User) -> dict[View, int]:
    """How many tickets each technician view holds (the badges on the queue's tabs)."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        result = {}
        for view in (View.unassigned, View.mine, View.open):
            conditions = _conditions(session, actor, QueueQuery(view=view))
            result[view] = session.exec(select(func.count()).select_from(Ticket).where(*conditions)).one()
        return result

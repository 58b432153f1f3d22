"""The queue's state in its address: view, filters, search, sort and page as a query string.

Back, reload and a shared link restore what was on screen; a saved view is the same string. A
value this parser does not know is dropped (an old or hand-edited link still opens the queue),
and the page says which filters it ignored.
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from enum import StrEnum
from urllib.parse import urlencode

from helpdesk.domain import queue
from helpdesk.domain.queue import QueueQuery, Sort, View
from models import Category, Priority, Status

_ENUMS: dict[str, type[StrEnum]] = {
    "view": View,
    "sort": Sort,
    "status": Status,
    "priority": Priority,
    "category": Category,
}
_DATES = ("created_from", "created_to", "updated_from", "updated_to")
# Names in the address, in the order they are written.
NAMES = (
    "view",
    "q",
    "status",
    "priority",
    "category",
    "assignee",
    "requester",
    *_DATES,
    "sort",
    "desc",
    "page",
    "per_page",
)
# What describes a set of tickets: kept by a saved view (sort is kept too, the page is not).
FILTERS = ("status", "priority", "category", "assignee", "requester", *_DATES)


def _parse_one(name: str, raw: str) -> object:
    if name in _ENUMS:
        return _ENUMS[name](raw)
    if name in _DATES:
        return date.fromisoformat(raw)
    if name == "q":
        if len(raw) > queue.QUERY_MAX:
            raise ValueError
        return raw
    if name == "assignee":
        if raw in ("me", "none", "someone") or (raw.isdigit() and len(raw) < 10):
            return raw
        raise ValueError
    if name == "desc":
        return {"1": True, "0": False}[raw]
    number = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    if number < 1 or (name == "per_page" and number > queue.PER_PAGE_MAX):
        raise ValueError
    return number


def parse(params: Mapping[str, str], default: QueueQuery) -> tuple[QueueQuery, list[str]]:
    """The query an address describes, and the names of the parameters it had to ignore."""
    values: dict[str, object] = {}
    ignored = []
    for name in NAMES:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[name] = _parse_one(name, raw)
        except (ValueError, KeyError):
            ignored.append(name)
    if "desc" in values:
        values["descending"] = values.pop("desc")
    for first, last in (("created_from", "created_to"), ("updated_from", "updated_to")):
        if first in values and last in values and values[first] > values[last]:  # type: ignore[operator]
            ignored += [first, last]
            del values[first], values[last]
    return replace(default, **values), ignored  # type: ignore[arg-type]


def encode(query: QueueQuery, default: QueueQuery, *, page: bool = True) -> str:
    """The query string of what differs from the default (empty for the default itself)."""
    pairs = []
    for name in NAMES:
        attribute = "descending" if name == "desc" else name
        if not page and name in ("page", "per_page"):
            continue
        value, usual = getattr(query, attribute), getattr(default, attribute)
        if value == usual or value is None or value == "":
            continue
        if isinstance(value, bool):
            value = int(value)
        pairs.append((name, value.isoformat() if isinstance(value, date) else str(value)))
    return urlencode(pairs)


def has_filters(query: QueueQuery) -> bool:
    return any(getattr(query, name) is not None for name in FILTERS)


def without_filters(query: QueueQuery) -> QueueQuery:
    return replace(query, **{name: None for name in FILTERS}, page=1)

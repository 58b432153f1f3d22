"""Technicians' saved queue views, changes on several tickets, and the queue's address."""

from datetime import date
from urllib.parse import parse_qsl

import pytest

from helpdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from helpdesk.domain import saved_views, tickets
from helpdesk.domain.queue import QueueQuery, Sort, View
from helpdesk.domain.tickets import Changes
from models import Category, Priority, Status
from pages.app import queue_url
from tests.conftest import People


def test_a_view_is_its_owners_alone(people: People) -> None:
    saved = saved_views.save(people.technician, "  Urgent   network ", "view=all&priority=urgent")
    assert saved.name == "Urgent network"
    again = saved_views.save(people.technician, "urgent NETWORK", "view=open")  # same name: replaced
    assert again.id == saved.id and saved_views.list_views(people.technician)[0].query == "view=open"
    assert saved_views.list_views(people.technician_2) == []
    with pytest.raises(NotFound):
        saved_views.delete(people.technician_2, saved.id)  # someone else's answers as missing
    with pytest.raises(PermissionDenied):
        saved_views.save(people.employee_a, "Mine", "view=all")
    for bad in ("", "x" * 61):
        with pytest.raises(InvalidInput):
            saved_views.save(people.technician, bad, "")
    saved_views.delete(people.technician, saved.id)
    assert saved_views.list_views(people.technician) == []


def test_bulk_changes_each_ticket_on_its_own(people: People) -> None:
    ids = [
        tickets.create(people.employee_a, f"Bulk {n}", "It broke.", Priority.normal, Category.hardware).id
        for n in range(3)
    ]
    tickets.take(people.technician_2, ids[0])
    result = tickets.bulk(people.technician, ids, take_them=True)
    assert result.done == ids[1:] and list(result.refused) == [ids[0]]  # taken meanwhile: left, said why
    result = tickets.bulk(people.technician, ids, Changes(priority=Priority.urgent))
    assert result.done == ids
    for ticket_id in ids:
        kinds = [entry.kind for entry in tickets.timeline(people.technician, ticket_id)]
        assert kinds.count("priority") == 1  # one timeline entry each
    result = tickets.bulk(people.technician, [*ids, 999_999], Changes(status=Status.in_progress))
    assert result.done == ids and list(result.refused) == [999_999]
    with pytest.raises(PermissionDenied):
        tickets.bulk(people.employee_a, ids, Changes(status=Status.resolved))
    with pytest.raises(InvalidInput):
        tickets.bulk(people.technician, [], take_them=True)


def test_the_queue_address_round_trips_and_drops_what_it_does_not_know() -> None:
    default = QueueQuery(view=View.unassigned)
    query = QueueQuery(
        view=View.all,
        q="printer #4",
        priority=Priority.urgent,
        assignee="someone",
        requester=7,
        created_from=date(2026, 1, 2),
        sort=Sort.title,
        descending=False,
        page=3,
    )
    encoded = queue_url.encode(query, default)
    assert encoded.startswith("view=all&q=printer+%234&priority=urgent")
    parsed, ignored = queue_url.parse(dict(parse_qsl(encoded)), default)
    assert ignored == [] and parsed == query
    assert queue_url.encode(parsed, default) == encoded
    assert queue_url.encode(default, default) == ""
    assert "page" not in queue_url.encode(query, default, page=False)
    parsed, ignored = queue_url.parse(
        {
            "status": "lost",
            "page": "-1",
            "assignee": "1 OR 1",
            "created_from": "2026-02-01",
            "created_to": "2026-01-01",
        },
        default,
    )
    assert parsed == default and sorted(ignored) == ["assignee", "created_from", "created_to", "page", "status"]

"""Write transactions deliver their events after the commit, never for a rollback."""

import pytest

from helpdesk.core import db, events
from models import Category, Priority, Ticket
from tests.conftest import People


def test_events_of_a_transaction_are_delivered_only_after_it_commits(people: People) -> None:
    heard: list[events.Event] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        with db.write_session() as session:
            db.publish(session, events.SessionsRevoked(people.employee_a.id))
            assert heard == []  # not while the transaction may still fail
        assert heard == [events.SessionsRevoked(people.employee_a.id)]
    finally:
        unsubscribe()


def test_an_event_of_a_rolled_back_transaction_is_never_delivered(people: People) -> None:
    heard: list[events.Event] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        with pytest.raises(RuntimeError), db.write_session() as session:
            ticket = Ticket(
                title="Never saved",
                description="Rolled back.",
                priority=Priority.low,
                category=Category.other,
                requester_id=people.employee_a.id,
            )
            session.add(ticket)
            session.flush()
            db.publish(session, events.TicketChanged(ticket.id, ticket.requester_id, None, created=True))
            raise RuntimeError("the write fails after the event was queued")
        with db.write_session() as session:  # the next transaction does not inherit it either
            pass
    finally:
        unsubscribe()
    assert heard == []
    with db.read_session() as session:
        assert session.get(Ticket, 1) is None


def test_an_event_is_queued_only_inside_a_write_transaction() -> None:
    with db.read_session() as session, pytest.raises(RuntimeError):
        db.publish(session, events.SessionsRevoked(1))

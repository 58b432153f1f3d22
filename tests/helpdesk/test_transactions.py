"""Write transactions deliver their events after the commit, never for a rollback."""

import threading
import time

import pytest

from helpdesk.core import db, events
from helpdesk.core.db import FairGate
from helpdesk.domain import tickets
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


def test_the_read_gate_lets_readers_in_by_arrival_and_never_blocks_a_read_within_a_read_or_a_write() -> None:
    gate = FairGate(1)
    order: list[int] = []
    gate.__enter__()  # the one place is taken
    threads = []
    for n in range(5):
        thread = threading.Thread(target=lambda n=n: (gate.__enter__(), order.append(n), gate.__exit__()))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)  # arrive one after the other
    with gate:  # a read within a read passes at once
        pass
    with gate.passing(), gate:  # so does one inside a write transaction
        pass
    assert order == []
    gate.__exit__()
    for thread in threads:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]  # served in the order they came
    assert gate.free == 1


def test_background_work_steps_aside_while_people_write(people: People) -> None:
    with db.background(), db.write_session():
        pass
    quiet_since = db.last_foreground_write
    tickets.create(people.employee_a, "Mouse", "It squeaks.", Priority.low, Category.hardware)
    assert db.last_foreground_write > quiet_since  # a write made for someone
    start = time.monotonic()
    db.wait_for_quiet(0.3, longest=5)
    assert 0.2 <= time.monotonic() - start < 1  # waited for the quiet, not for the longest
    with db.background(), db.write_session():
        pass
    start = time.monotonic()
    db.wait_for_quiet(0.3, longest=5)
    assert time.monotonic() - start < 0.1  # the background's own writes do not count
    tickets.create(people.employee_a, "Keyboard", "Sticky keys.", Priority.low, Category.hardware)
    start = time.monotonic()
    db.wait_for_quiet(10, longest=0.2)
    assert time.monotonic() - start < 1  # never longer than `longest`

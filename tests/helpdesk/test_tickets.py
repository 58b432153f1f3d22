import threading

import pytest

from helpdesk.core import events
from helpdesk.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from helpdesk.domain import chat, tickets
from helpdesk.domain.tickets import Changes
from models import Category, Priority, Status, TicketEventKind
from tests.conftest import People


def new_ticket(people: People, owner: str = "employee_a", title: str = "Printer jams") -> int:
    ticket = tickets.create(getattr(people, owner), title, "It jams on every page.", Priority.normal, Category.hardware)
    assert ticket.id is not None
    return ticket.id


def test_create_records_the_ticket_and_its_first_timeline_entry(people: People) -> None:
    ticket_id = new_ticket(people)
    view = tickets.get(people.employee_a, ticket_id)
    assert view.ticket.status == Status.open
    assert view.ticket.requester_id == people.employee_a.id
    assert view.requester_name == "Anna Employee"
    assert view.assignee_name is None
    [entry] = tickets.timeline(people.employee_a, ticket_id)
    assert entry.kind == TicketEventKind.created
    assert entry.actor_name == "Anna Employee"


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("", "text"),
        ("ab", "text"),
        ("x" * 201, "text"),
        ("Valid title", ""),
        ("Valid title", "   "),
        ("Valid", "x" * 10_001),
    ],
)
def test_create_refuses_bad_input(people: People, title: str, description: str) -> None:
    with pytest.raises(InvalidInput):
        tickets.create(people.employee_a, title, description, Priority.normal, Category.other)


def test_create_normalises_whitespace_in_the_title(people: People) -> None:
    ticket = tickets.create(people.employee_a, "  VPN   down  ", "x", Priority.low, Category.network)
    assert ticket.title == "VPN down"


# The permission matrix: each role and non-owner × each action.
ACTIONS = {
    "view": lambda actor, tid, p: tickets.get(actor, tid),
    "timeline": lambda actor, tid, p: tickets.timeline(actor, tid),
    "take": lambda actor, tid, p: tickets.take(actor, tid),
    "start": lambda actor, tid, p: tickets.set_status(actor, tid, Status.in_progress),
    "resolve": lambda actor, tid, p: tickets.set_status(actor, tid, Status.resolved),
    "priority": lambda actor, tid, p: tickets.set_priority(actor, tid, Priority.urgent),
    "category": lambda actor, tid, p: tickets.set_category(actor, tid, Category.network),
    "assign": lambda actor, tid, p: tickets.assign(actor, tid, p.technician_2.id),
    "edit": lambda actor, tid, p: tickets.edit(actor, tid, title="New title"),
}
ALLOWED = {
    "owner": {"view", "timeline", "edit"},
    "other_employee": set(),
    "technician": {"view", "timeline", "take", "start", "resolve", "priority", "category", "assign"},
    "admin": {"view", "timeline", "take", "start", "resolve", "priority", "category", "assign"},
}
ACTORS = {"owner": "employee_a", "other_employee": "employee_b", "technician": "technician", "admin": "admin"}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_permission_matrix(people: People, role: str, action: str) -> None:
    ticket_id = new_ticket(people)
    actor = getattr(people, ACTORS[role])
    if action in ALLOWED[role]:
        ACTIONS[action](actor, ticket_id, people)
        return
    # A non-owner employee must not even learn that the ticket exists.
    expected = NotFound if role == "other_employee" else PermissionDenied
    with pytest.raises(expected):
        ACTIONS[action](actor, ticket_id, people)
    assert tickets.get(people.technician, ticket_id).ticket.title == "Printer jams"


def test_owner_may_reopen_a_resolved_ticket_but_not_resolve_it(people: People) -> None:
    ticket_id = new_ticket(people)
    with pytest.raises(PermissionDenied):
        tickets.set_status(people.employee_a, ticket_id, Status.resolved)
    tickets.set_status(people.technician, ticket_id, Status.resolved)
    tickets.reopen(people.employee_a, ticket_id)
    assert tickets.get(people.employee_a, ticket_id).ticket.status == Status.open


def test_owner_cannot_edit_once_work_has_started(people: People) -> None:
    ticket_id = new_ticket(people)
    tickets.set_status(people.technician, ticket_id, Status.in_progress)
    with pytest.raises(PermissionDenied):
        tickets.edit(people.employee_a, ticket_id, description="changed")


def test_concurrent_take_has_exactly_one_winner_and_the_loser_learns_who(people: People) -> None:
    ticket_id = new_ticket(people)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def take(name: str) -> None:
        barrier.wait()
        try:
            outcomes[name] = tickets.take(getattr(people, name), ticket_id).assignee_id
        except Conflict as error:
            outcomes[name] = error

    threads = [threading.Thread(target=take, args=(n,)) for n in ("technician", "technician_2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [o for o in outcomes.values() if isinstance(o, Conflict)]
    winners = [o for o in outcomes.values() if not isinstance(o, Conflict)]
    assert len(errors) == 1 and len(winners) == 1
    holder = tickets.get(people.admin, ticket_id)
    assert holder.ticket.assignee_id == winners[0]
    assert holder.assignee_name in str(errors[0])
    takes = [e for e in tickets.timeline(people.admin, ticket_id) if e.kind == TicketEventKind.assignee]
    assert len(takes) == 1


def test_taking_an_assigned_ticket_names_the_holder(people: People) -> None:
    ticket_id = new_ticket(people)
    tickets.take(people.technician, ticket_id)
    with pytest.raises(Conflict, match="Tom Technician"):
        tickets.take(people.technician_2, ticket_id)


def test_timeline_records_who_what_from_and_to(people: People) -> None:
    ticket_id = new_ticket(people)
    tickets.take(people.technician, ticket_id)
    tickets.set_status(people.technician, ticket_id, Status.in_progress)
    tickets.set_priority(people.technician, ticket_id, Priority.high)
    tickets.assign(people.technician, ticket_id, people.technician_2.id)
    tickets.set_status(people.technician_2, ticket_id, Status.resolved)
    entries = tickets.timeline(people.employee_a, ticket_id)
    summary = [(e.kind, e.actor_name, e.from_value, e.to_value) for e in entries]
    assert summary == [
        (TicketEventKind.created, "Anna Employee", None, "open"),
        (TicketEventKind.assignee, "Tom Technician", None, "Tom Technician"),
        (TicketEventKind.status, "Tom Technician", "open", "in_progress"),
        (TicketEventKind.priority, "Tom Technician", "normal", "high"),
        (TicketEventKind.assignee, "Tom Technician", "Tom Technician", "Tess Technician"),
        (TicketEventKind.status, "Tess Technician", "in_progress", "resolved"),
    ]
    since = tickets.timeline(people.employee_a, ticket_id, after_id=entries[3].id)
    assert [e.id for e in since] == [entries[4].id, entries[5].id]


def test_times_first_response_and_resolution(people: People) -> None:
    ticket_id = new_ticket(people)
    assert tickets.get(people.technician, ticket_id).ticket.first_response_at is None
    # Taking, starting or re-prioritising a ticket is no response; a public reply is.
    tickets.take(people.technician, ticket_id)
    tickets.set_status(people.technician, ticket_id, Status.in_progress)
    tickets.set_priority(people.technician, ticket_id, Priority.high)
    assert tickets.get(people.technician, ticket_id).ticket.first_response_at is None
    reply = chat.post(people.technician, ticket_id, "On my way.")
    first = tickets.get(people.technician, ticket_id).ticket.first_response_at
    assert first == reply.created_at
    tickets.set_status(people.technician, ticket_id, Status.resolved)
    ticket = tickets.get(people.technician, ticket_id).ticket
    assert ticket.first_response_at == first
    assert ticket.resolved_at is not None
    tickets.reopen(people.employee_a, ticket_id)
    assert tickets.get(people.technician, ticket_id).ticket.resolved_at is None


def test_starting_work_on_an_unassigned_ticket_takes_it(people: People) -> None:
    ticket_id = new_ticket(people)
    tickets.set_status(people.technician, ticket_id, Status.in_progress)
    assert tickets.get(people.technician, ticket_id).ticket.assignee_id == people.technician.id


def test_only_active_technicians_can_be_assignees(people: People) -> None:
    ticket_id = new_ticket(people)
    with pytest.raises(InvalidInput):
        tickets.assign(people.technician, ticket_id, people.employee_b.id)
    with pytest.raises(InvalidInput):
        tickets.assign(people.technician, ticket_id, 99_999)


def test_a_no_op_change_records_nothing_and_publishes_nothing(people: People) -> None:
    ticket_id = new_ticket(people)
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    tickets.set_priority(people.technician, ticket_id, Priority.normal)
    assert seen == []
    assert len(tickets.timeline(people.technician, ticket_id)) == 1


def test_changes_publish_after_commit(people: People) -> None:
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    ticket_id = new_ticket(people)
    tickets.update(people.technician, ticket_id, Changes(status=Status.in_progress, priority=Priority.urgent))
    assert [type(e).__name__ for e in seen] == ["TicketChanged", "TicketChanged"]
    assert seen[0].created and not seen[1].created
    assert seen[1].assignee_id == people.technician.id


def test_unknown_ticket_is_not_found(people: People) -> None:
    with pytest.raises(NotFound):
        tickets.get(people.technician, 424242)

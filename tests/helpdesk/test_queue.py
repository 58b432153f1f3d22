from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from helpdesk.core import db
from helpdesk.core.errors import InvalidInput
from helpdesk.domain import chat, queue, tickets
from helpdesk.domain.queue import QueueQuery, Sort, View
from models import Category, Priority, Status
from tests.conftest import POSTGRES, People


@pytest.fixture
def board(people: People) -> dict[str, int]:
    """A small queue: unassigned, mine, someone else's, resolved; two requesters."""

    def make(owner, title, priority=Priority.normal, description="Nothing works."):
        return tickets.create(owner, title, description, priority, Category.software).id

    ids = {
        "unassigned": make(people.employee_a, "Printer jams on floor two", Priority.high),
        "mine": make(people.employee_a, "VPN refuses my password", Priority.urgent, "Authentification échouée"),
        "theirs": make(people.employee_b, "Outlook crashes on start", Priority.low),
        "resolved": make(people.employee_b, "Keyboard missing keys"),
    }
    tickets.take(people.technician, ids["mine"])
    tickets.take(people.technician_2, ids["theirs"])
    tickets.set_status(people.technician_2, ids["resolved"], Status.resolved)
    return ids


def ids_of(page: queue.QueuePage) -> set[int]:
    return {item.id for item in page.items}


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (View.unassigned, {"unassigned"}),
        (View.mine, {"mine"}),
        (View.open, {"unassigned", "mine", "theirs"}),
        (View.resolved, {"resolved"}),
        (View.all, {"unassigned", "mine", "theirs", "resolved"}),
    ],
)
def test_technician_views(people: People, board: dict, view: View, expected: set) -> None:
    page = queue.list_tickets(people.technician, QueueQuery(view=view))
    assert ids_of(page) == {board[k] for k in expected}
    assert page.total == len(expected)


def test_employees_only_ever_list_their_own_tickets(people: People, board: dict) -> None:
    for view in View:
        page = queue.list_tickets(people.employee_a, QueueQuery(view=view))
        assert ids_of(page) <= {board["unassigned"], board["mine"]}
    everything = queue.list_tickets(people.employee_a, QueueQuery(view=View.all, q="Outlook"))
    assert everything.total == 0


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("printer", {"unassigned"}),
        ("PRINT", {"unassigned"}),  # prefix, any case
        ("vpn password", {"mine"}),  # every word must match
        ("authentification", {"mine"}),  # the description is searched
        ("authentification echouee", {"mine"}),  # accents folded (FTS5's remove_diacritics, PG's unaccent)
        ("#3", {"theirs"}),
        ('" OR 1=1 --', set()),  # no query syntax gets through
        ("*", set()),
    ],
)
def test_text_search(people: People, board: dict, q: str, expected: set) -> None:
    page = queue.list_tickets(people.technician, QueueQuery(view=View.all, q=q))
    assert ids_of(page) == {board[k] for k in expected}


def test_search_index_follows_edits(people: People, board: dict) -> None:
    tickets.edit(people.employee_a, board["unassigned"], title="Scanner jams on floor two")
    assert queue.list_tickets(people.technician, QueueQuery(q="printer")).total == 0
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(q="scanner"))) == {board["unassigned"]}


def test_filters(people: People, board: dict) -> None:
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(priority=Priority.urgent))) == {board["mine"]}
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(assignee="none", status=Status.open))) == {
        board["unassigned"]
    }
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(assignee=str(people.technician_2.id)))) == {
        board["theirs"]
    }
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(assignee="someone"))) == {
        board["mine"],
        board["theirs"],
    }
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(requester=people.employee_b.id))) == {
        board["theirs"],
        board["resolved"],
    }
    with pytest.raises(InvalidInput):
        queue.list_tickets(people.technician, QueueQuery(assignee="anyone"))


def test_date_ranges_are_whole_days(people: People, board: dict) -> None:
    today = datetime.now(UTC).date()
    everything = {board[k] for k in board}
    assert ids_of(queue.list_tickets(people.technician, QueueQuery(created_from=today, created_to=today))) == everything
    assert queue.list_tickets(people.technician, QueueQuery(created_to=today - timedelta(days=1))).total == 0
    assert queue.list_tickets(people.technician, QueueQuery(updated_from=today + timedelta(days=1))).total == 0
    with pytest.raises(InvalidInput):
        queue.list_tickets(people.technician, QueueQuery(created_from=today, created_to=today - timedelta(days=1)))


def test_search_finds_requesters_and_the_messages_the_reader_may_see(people: People, board: dict) -> None:
    chat.post(people.technician, board["theirs"], "Replaced the toner cartridge")
    chat.post(people.technician, board["unassigned"], "Suspect a bad motherboard here", internal=True)
    search = lambda actor, q: ids_of(queue.list_tickets(actor, QueueQuery(view=View.all, q=q)))  # noqa: E731
    assert search(people.technician, "toner") == {board["theirs"]}
    assert search(people.technician, "motherboard") == {board["unassigned"]}
    assert search(people.employee_a, "motherboard") == set()  # an internal note stays the technicians'
    assert search(people.employee_b, "toner") == {board["theirs"]}
    requester = people.employee_b
    assert search(people.technician, requester.email) == {board["theirs"], board["resolved"]}
    assert search(people.technician, requester.name.split()[0].lower()) >= {board["theirs"], board["resolved"]}
    assert queue.ticket_number("#42") == queue.ticket_number(" 42 ") == 42
    assert queue.ticket_number("42 printers") is None


def test_sort_by_priority_puts_urgent_first(people: People, board: dict) -> None:
    page = queue.list_tickets(people.technician, QueueQuery(sort=Sort.priority, descending=True))
    assert [i.priority for i in page.items][:2] == [Priority.urgent, Priority.high]
    page = queue.list_tickets(people.technician, QueueQuery(sort=Sort.priority, descending=False))
    assert page.items[0].priority == Priority.low


def test_paging(people: People, board: dict) -> None:
    first = queue.list_tickets(people.technician, QueueQuery(per_page=3, sort=Sort.id, descending=False))
    second = queue.list_tickets(people.technician, QueueQuery(per_page=3, page=2, sort=Sort.id, descending=False))
    assert first.total == second.total == 4
    assert [i.id for i in first.items] + [i.id for i in second.items] == sorted(board.values())
    for bad in (QueueQuery(per_page=101), QueueQuery(per_page=0), QueueQuery(page=0), QueueQuery(q="x" * 201)):
        with pytest.raises(InvalidInput):
            queue.list_tickets(people.technician, bad)


def test_counts(people: People, board: dict) -> None:
    assert queue.counts(people.technician) == {View.unassigned: 1, View.mine: 1, View.open: 3}


@pytest.fixture
def printers(people: People) -> list[int]:
    """30 tickets, most about a printer (a common word), a few not; the queue's order mixed by
    changes, so the newest-first order is not the creation order."""
    made = []
    for n in range(30):
        title = f"Printer problem {n}" if n % 5 else f"Badge reader {n}"
        made.append(tickets.create(people.employee_a, title, "Floor two.", Priority.normal, Category.hardware).id)
    for ticket_id in made[::3]:
        tickets.set_priority(people.technician, ticket_id, Priority.high)  # moves it to the top
    chat.post(people.employee_a, made[5], "The printer again")  # a "Badge reader" ticket matched by its chat
    return made


@pytest.mark.skipif(POSTGRES is not None, reason="the two shapes are SQLite's")
def test_a_common_word_walks_the_index_and_finds_the_same_pages(
    people: People, printers: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [
        QueueQuery(q="printer", page=page, per_page=4, sort=sort, descending=descending, view=view)
        for page in (1, 2, 7)
        for sort in (Sort.updated, Sort.created, Sort.priority)
        for descending in (True, False)
        for view in (View.all, View.unassigned, View.open)
    ]
    monkeypatch.setattr(queue, "WALK_ROWS_MAX", 0)  # never walk: the matches first, then sorted
    expected = [queue.list_tickets(people.technician, q) for q in queries]
    monkeypatch.setattr(queue, "WALK_ROWS_MAX", 10**9)  # always walk
    walked = [queue.list_tickets(people.technician, q) for q in queries]
    assert [[i.id for i in p.items] for p in walked] == [[i.id for i in p.items] for p in expected]
    assert [p.total for p in walked] == [p.total for p in expected]
    assert expected[0].total == 25  # 24 titles and one chat


def test_a_count_is_reused_until_the_data_changes(people: People, printers: list[int]) -> None:
    counted: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "count(" in statement.lower():
            counted.append(statement)

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        first = queue.list_tickets(people.technician, QueueQuery(q="printer", per_page=5))
        assert first.total == 25 and counted
        counted.clear()
        again = queue.list_tickets(people.technician, QueueQuery(q="printer", per_page=5, page=3))
        assert again.total == 25 and not counted  # paging reuses it
        # Each kind of change is seen at once: a new ticket, a change, a message.
        tickets.create(people.employee_b, "Printer out of toner", "Yes.", Priority.low, Category.hardware)
        assert queue.list_tickets(people.technician, QueueQuery(q="printer")).total == 26
        tickets.edit(people.employee_a, printers[1], title="Scanner problem")
        assert queue.list_tickets(people.technician, QueueQuery(q="printer")).total == 25
        chat.post(people.employee_a, printers[10], "Not a printer at all")
        assert queue.list_tickets(people.technician, QueueQuery(q="printer")).total == 26
        # Another reader's count is their own (an employee sees only their tickets).
        assert queue.list_tickets(people.employee_b, QueueQuery(q="printer")).total == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)

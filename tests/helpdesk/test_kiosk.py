from datetime import timedelta

import pytest
from sqlalchemy import text, update

from helpdesk.core import db, events
from helpdesk.core.errors import InvalidInput, NotAuthenticated, PermissionDenied
from helpdesk.domain import kiosk, tickets, users
from helpdesk.domain.tickets import Changes
from models import Category, Display, Priority, Status, Ticket
from models.clock import utcnow
from tests.conftest import People


def paired(people: People, name: str = "IT office TV", privacy: bool = True) -> tuple[Display, str]:
    display, code = kiosk.create_display(people.admin, name, "en", privacy)
    cookie = kiosk.pair(code)
    assert cookie is not None
    return display, cookie


def test_only_administrators_manage_displays(people: People) -> None:
    for person in (people.employee_a, people.technician):
        with pytest.raises(PermissionDenied):
            kiosk.create_display(person, "TV", "en", True)
        with pytest.raises(PermissionDenied):
            kiosk.list_displays(person)
    display, _code = kiosk.create_display(people.admin, "TV", "en", True)
    for action in (
        lambda who: kiosk.revoke_display(who, display.id),
        lambda who: kiosk.new_pairing_code(who, display.id),
        lambda who: kiosk.update_display(who, display.id, "X", "en", False),
    ):
        with pytest.raises(PermissionDenied):
            action(people.technician)
    assert [d.name for d in kiosk.list_displays(people.admin)] == ["TV"]


@pytest.mark.parametrize(("name", "language"), [("", "en"), ("   ", "en"), ("x" * 101, "en"), ("TV", "de")])
def test_bad_display_settings_are_refused(people: People, name: str, language: str) -> None:
    with pytest.raises(InvalidInput):
        kiosk.create_display(people.admin, name, language, True)
    assert kiosk.list_displays(people.admin) == []


def test_a_pairing_link_works_once_and_stores_only_digests(people: People) -> None:
    display, code = kiosk.create_display(people.admin, "TV", "fr", True)
    cookie = kiosk.pair(code)
    assert cookie is not None and cookie.startswith(f"{display.id}.")
    assert kiosk.pair(code) is None  # replayed
    found = kiosk.verify_cookie(cookie)
    assert found is not None and found.language == "fr" and found.last_seen_at is not None
    with db.read_session() as session:
        dump = " ".join(str(v) for row in session.execute(text("SELECT * FROM display")).all() for v in row)
    assert code not in dump and cookie.split(".", 1)[1] not in dump


def test_an_expired_pairing_link_is_refused(people: People) -> None:
    display, code = kiosk.create_display(people.admin, "TV", "en", True)
    with db.write_session() as session:
        session.exec(
            update(Display).where(Display.id == display.id).values(pairing_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert kiosk.pair(code) is None
    assert kiosk.pair("") is None and kiosk.pair("x" * 500) is None


@pytest.mark.parametrize("value", [None, "", "abc", "1", "1.", ".secret", "999.secret", "1." + "x" * 200])
def test_garbage_cookies_open_nothing(people: People, value: str | None) -> None:
    paired(people)
    assert kiosk.verify_cookie(value) is None


def test_a_forged_secret_is_refused(people: People) -> None:
    display, cookie = paired(people)
    assert kiosk.verify_cookie(f"{display.id}.{'A' * 43}") is None
    assert kiosk.verify_cookie(cookie) is not None


def test_revoking_kills_the_cookie_and_tells_the_board(people: People) -> None:
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    display, cookie = paired(people)
    kiosk.revoke_display(people.admin, display.id)
    assert kiosk.verify_cookie(cookie) is None
    assert events.DisplayChanged(display_id=display.id, revoked=True) in seen
    assert display.id not in kiosk.active_secrets()
    with pytest.raises(InvalidInput):
        kiosk.new_pairing_code(people.admin, display.id)


def test_pairing_again_replaces_the_old_screen(people: People) -> None:
    display, old_cookie = paired(people)
    _display, code = kiosk.new_pairing_code(people.admin, display.id)
    new_cookie = kiosk.pair(code)
    assert new_cookie is not None
    assert kiosk.verify_cookie(old_cookie) is None
    assert kiosk.verify_cookie(new_cookie) is not None


def test_a_demoted_admin_can_no_longer_revoke(people: People) -> None:
    display, _cookie = paired(people)
    users.update(people.admin, people.technician.id, is_admin=True)
    tom = users.get_by_email("tom@example.com")
    users.update(tom, people.admin.id, is_admin=False)
    with pytest.raises(NotAuthenticated):  # the demotion ended the old admin's sessions
        kiosk.revoke_display(people.admin, display.id)
    assert kiosk.active_secrets().keys() == {display.id}


def make(people: People, title: str, priority: Priority, minutes_ago: int = 0) -> int:
    ticket = tickets.create(people.employee_a, title, f"Details of {title}", priority, Category.network)
    if minutes_ago:
        with db.write_session() as session:
            session.exec(
                update(Ticket)
                .where(Ticket.id == ticket.id)
                .values(created_at=utcnow() - timedelta(minutes=minutes_ago))
            )
    return ticket.id


def test_the_board_counts_and_orders_by_priority_then_age(people: People) -> None:
    low = make(people, "Mouse is slow", Priority.low, minutes_ago=300)
    old_high = make(people, "VPN down", Priority.high, minutes_ago=90)
    new_high = make(people, "Printer jams", Priority.high, minutes_ago=5)
    urgent = make(people, "Server room hot", Priority.urgent)
    done = make(people, "Password reset", Priority.normal)
    tickets.take(people.technician, new_high)
    tickets.set_status(people.technician, new_high, Status.in_progress)
    tickets.take(people.technician_2, done)
    tickets.set_status(people.technician_2, done, Status.resolved)

    board = kiosk.board()
    assert [t.id for t in board.tickets] == [urgent, old_high, new_high, low]
    assert (board.open, board.unassigned, board.in_progress, board.resolved_today) == (3, 3, 1, 1)
    loads = {load.name: (load.open, load.in_progress) for load in board.loads}
    assert loads == {"Tom Technician": (0, 1), "Tess Technician": (0, 0), "Ada Admin": (0, 0)}
    assert board.loads[0].name == "Tom Technician"


def test_an_edit_of_a_display_reaches_its_board(people: People) -> None:
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    display, cookie = paired(people)
    kiosk.update_display(people.admin, display.id, "Hall TV", "fr", False)
    found = kiosk.verify_cookie(cookie)
    assert found is not None and (found.name, found.language, found.privacy) == ("Hall TV", "fr", False)
    assert events.DisplayChanged(display_id=display.id, revoked=False) in seen


def test_changes_are_published_for_the_board(people: People) -> None:
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    ticket_id = make(people, "Keyboard", Priority.low)
    tickets.update(people.technician, ticket_id, Changes(priority=Priority.urgent))
    assert sum(isinstance(e, events.TicketChanged) for e in seen) == 2

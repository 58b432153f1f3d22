import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from helpdesk import db, events, kiosk, tickets, users
from helpdesk.errors import InvalidInput, NotAuthenticated, PermissionDenied
from helpdesk.tickets import Changes
from models import Category, Display, Priority, Status, Ticket
from models.clock import utcnow
from pages.kiosk import age_text, render
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


def test_the_board_shows_at_most_a_screenful_and_says_how_many_more(people: People) -> None:
    for n in range(kiosk.BOARD_ROWS + 3):
        make(people, f"Ticket number {n}", Priority.normal)
    board = kiosk.board()
    assert len(board.tickets) == kiosk.BOARD_ROWS and board.not_shown == 3
    _counters, tickets_html, _loads = render(board, "en", True)
    assert "+ 3 more" in tickets_html


def test_privacy_mode_hides_requesters_and_descriptions(people: People) -> None:
    make(people, "Laptop <b>broken</b>", Priority.high)
    board = kiosk.board()
    private = "".join(render(board, "en", privacy=True))
    public = "".join(render(board, "en", privacy=False))
    assert "Anna Employee" not in private and "Details of" not in private
    assert "Anna Employee" in public and "Details of Laptop" in public
    # Titles are escaped: no markup from users ever reaches the board.
    assert "<b>broken</b>" not in public and "&lt;b&gt;broken&lt;/b&gt;" in public


def test_the_board_speaks_the_displays_language(people: People) -> None:
    make(people, "Imprimante", Priority.urgent)
    counters, tickets_html, loads = render(kiosk.board(), "fr", True)
    assert "Non assigné" in counters and "Résolus aujourd’hui" in counters
    # A word takes its place's form: plural under a count, singular on the ticket's own row.
    assert "<span>Ouverts</span>" in counters and "<span>Non assignés</span>" in counters
    assert '<span class="who">Non assigné</span>' in tickets_html
    assert "Urgente" in tickets_html and "Techniciens" in loads


def test_the_technicians_panel_says_how_many_it_cannot_fit(people: People) -> None:
    board = kiosk.board()
    loads = tuple(kiosk.TechnicianLoad(name=f"Tech {n}", open=n, in_progress=0) for n in range(9))
    _counters, _tickets, eight = render(dataclasses.replace(board, loads=loads[:8]), "en", True)
    assert eight.count('class="load"') == 8 and "more" not in eight
    _counters, _tickets, nine = render(dataclasses.replace(board, loads=loads), "en", True)
    assert nine.count('class="load"') == 7 and "+ 2 more" in nine  # nine do not fit at 16:9


def test_a_technicians_counts_agree_with_their_numbers(people: People) -> None:
    loads = (
        kiosk.TechnicianLoad(name="Alice", open=1, in_progress=0),
        kiosk.TechnicianLoad(name="Bob", open=2, in_progress=3),
    )
    board = dataclasses.replace(kiosk.board(), loads=loads)
    _counters, _tickets, french = render(board, "fr", True)
    assert "1 ouvert · 0 en cours" in french and "2 ouverts · 3 en cours" in french
    _counters, _tickets, english = render(board, "en", True)
    assert "1 open · 0 in progress" in english and "2 open · 3 in progress" in english


def test_the_line_under_a_full_list_agrees_with_its_count(people: People) -> None:
    for n in range(kiosk.BOARD_ROWS + 1):
        make(people, f"Ticket number {n}", Priority.normal)
    assert "+ 1 autre<" in render(kiosk.board(), "fr", True)[1]  # French: "autre", not "autres"
    make(people, "One more", Priority.normal)
    assert "+ 2 autres<" in render(kiosk.board(), "fr", True)[1]


def test_unassigned_tickets_warm_up_with_their_wait() -> None:
    assert age_text(65, "en") == "1:05"
    assert age_text(2 * 3600 + 7 * 60, "en") == "2 h 07"
    assert age_text(3 * 86400 + 4 * 3600, "fr") == "3 j 04 h"


def test_unassigned_rows_are_highlighted_by_wait(people: People) -> None:
    make(people, "Fresh one", Priority.normal)
    make(people, "Waiting a while", Priority.normal, minutes_ago=20)
    make(people, "Forgotten", Priority.normal, minutes_ago=120)
    _counters, html, _loads = render(kiosk.board(), "en", True)
    assert html.count("wait-3") == 1 and html.count("wait-2") == 1 and html.count("wait-1") == 1


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

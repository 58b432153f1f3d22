import dataclasses
from datetime import timedelta

from sqlalchemy import update

from helpdesk.core import db
from helpdesk.domain import kiosk, tickets
from models import Category, Display, Priority, Ticket
from models.clock import utcnow
from pages.kiosk.render import age_text, render
from tests.conftest import People


def paired(people: People, name: str = "IT office TV", privacy: bool = True) -> tuple[Display, str]:
    display, code = kiosk.create_display(people.admin, name, "en", privacy)
    cookie = kiosk.pair(code)
    assert cookie is not None
    return display, cookie


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

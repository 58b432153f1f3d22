import asyncio
import logging
import threading

import pytest
from nicegui import ui
from nicegui.testing import User

from helpdesk.domain import queue, tickets
from models import Category, Priority, Status
from pages.components.ticket_table import REFRESH_DELAY, TicketTable
from tests.conftest import People
from tests.pages.conftest import eventually, sign_in


def make(people: People, owner: str = "employee_a", title: str = "Printer jams") -> int:
    return tickets.create(getattr(people, owner), title, "Every page jams.", Priority.high, Category.hardware).id


async def test_employee_dashboard_lists_only_my_tickets(user: User, people: People) -> None:
    mine, theirs = make(people, title="My printer"), make(people, "employee_b", "Their laptop")
    sign_in(user, people.employee_a)
    await user.open("/")
    await user.should_see("My tickets")
    table = user.find(ui.table).elements.pop()
    assert [row["id"] for row in table.rows] == [mine]
    assert theirs not in [row["id"] for row in table.rows]


async def test_employee_dashboard_follows_their_own_tickets_only(
    user: User, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = make(people)
    sign_in(user, people.employee_a)
    await user.open("/")
    await user.should_see("My tickets")
    table = user.find(marker="tickets").elements.pop()
    loads = []
    load = TicketTable._load
    monkeypatch.setattr(TicketTable, "_load", lambda self, actor: loads.append(actor.id) or load(self, actor))
    theirs = make(people, "employee_b", "Their laptop")
    tickets.set_status(people.technician, theirs, Status.in_progress)
    await asyncio.sleep(REFRESH_DELAY * 3)
    assert loads == []  # someone else's tickets cost this page nothing
    tickets.set_status(people.technician, mine, Status.in_progress)
    await eventually(lambda: [row["status_label"] for row in table.rows] == ["In progress"])
    assert loads == [people.employee_a.id]


async def test_new_ticket_form_validates_then_creates(user: User, people: People) -> None:
    sign_in(user, people.employee_a)
    await user.open("/tickets/new")
    user.find(marker="title").type("VPN")
    user.find(marker="submit").click()
    await user.should_see("Describe the problem.")
    user.find(marker="description").type("The client says authentication failed.")
    user.find(marker="submit").click()
    await user.should_see(marker="ticket-heading")
    await user.should_see("VPN")
    await user.should_see("Anna Employee created the ticket")


async def test_another_employees_ticket_is_not_found(user: User, people: People) -> None:
    ticket_id = make(people, "employee_b")
    sign_in(user, people.employee_a)
    for path in (f"/tickets/{ticket_id}", "/tickets/999999", "/tickets/abc"):
        await user.open(path)
        await user.should_see(marker="not-found")
        await user.should_not_see("Printer jams")


async def test_technician_takes_starts_and_resolves_from_the_ticket_page(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{ticket_id}")
    user.find(marker="take").click()
    await user.should_see("Tom Technician took the ticket")
    user.find(marker="start").click()
    await user.should_see("Tom Technician changed the status from Open to In progress")
    user.find(marker="resolve").click()
    await user.should_see("Tom Technician changed the status from In progress to Resolved")
    assert tickets.get(people.technician, ticket_id).ticket.status == Status.resolved


async def test_a_lost_take_race_names_the_winner(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{ticket_id}")
    tickets.take(people.technician_2, ticket_id)  # Tess gets there first, as Tom clicks
    user.find(marker="take").click()
    await user.should_see("Tess Technician has already taken this ticket.")


async def test_ticket_page_updates_live_when_someone_else_changes_it(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    await user.should_see("Open")
    tickets.set_status(people.technician, ticket_id, Status.in_progress)
    await user.should_see("Tom Technician changed the status from Open to In progress", retries=20)
    heading = user.find(marker="ticket-heading").elements.pop()
    assert 'data-role="status"><span class="badge status-progress">In progress<' in heading.content


async def test_technician_queue_shows_new_tickets_live(user: User, people: People) -> None:
    sign_in(user, people.technician)
    await user.open("/")
    await user.should_see("Ticket queue")
    table = user.find(marker="tickets").elements.pop()
    assert table.rows == []
    ticket_id = make(people, title="Brand new problem")
    await eventually(lambda: [row["id"] for row in table.rows] == [ticket_id])
    assert table.rows[0]["title"] == "Brand new problem"


async def test_queue_search_filters_rows(user: User, people: People) -> None:
    make(people, title="Printer jams")
    make(people, title="Screen flickers")
    sign_in(user, people.technician)
    await user.open("/")
    table = user.find(marker="tickets").elements.pop()
    user.find(marker="search").type("flick")
    user.find(marker="search").trigger("update:model-value")
    await eventually(lambda: [row["title"] for row in table.rows] == ["Screen flickers"])


async def test_employee_can_reopen_a_resolved_ticket(user: User, people: People) -> None:
    ticket_id = make(people)
    tickets.set_status(people.technician, ticket_id, Status.resolved)
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    await user.should_not_see(marker="take")
    user.find(marker="reopen").click()
    await user.should_see("Anna Employee changed the status from Resolved to Open")


async def test_french_ticket_page(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a, language="fr-FR")
    await user.open(f"/tickets/{ticket_id}")
    await user.should_see("Anna Employee a créé le ticket")
    await user.should_see("Historique")


async def test_a_refresh_outlived_by_its_page_draws_nothing(
    user: User, people: People, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A live refresh whose query is still running when the tab goes away must not touch the dead page."""
    sign_in(user, people.technician)
    await user.open("/")
    table = user.find(marker="tickets").elements.pop()
    started, release = threading.Event(), threading.Event()
    list_tickets = queue.list_tickets

    def slow(*args: object, **kwargs: object) -> queue.QueuePage:
        started.set()
        release.wait(5)
        return list_tickets(*args, **kwargs)

    monkeypatch.setattr(queue, "list_tickets", slow)
    make(people, title="Arrives as the tab closes")
    await eventually(started.is_set)
    user.client.delete()  # what NiceGUI does once a closed tab's reconnect timeout is over
    release.set()
    await asyncio.sleep(0.5)
    assert table.rows == []
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


async def test_an_unknown_address_is_a_translated_page_in_the_apps_frame(user: User, people: People) -> None:
    sign_in(user, people.employee_a, "fr")
    answer = await user.http_client.get("/no/such/page")
    assert answer.status_code == 404 and answer.headers["X-Nicegui-Content"] == "page"
    assert "Cette page n’existe pas." in answer.text and "HTTPException" not in answer.text
    assert "Tableau de bord" in answer.text and "Anna Employee" in answer.text  # the frame, signed in

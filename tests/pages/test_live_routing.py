"""Live routing applies each event's audience once, for every subscriber a page adds."""

from fastapi import Request
from nicegui import ui
from nicegui.testing import User

from helpdesk.core import events
from helpdesk.domain import chat, presence, tickets
from models import Category, Priority
from pages.app import live
from pages.app.tab import open_tab
from tests.conftest import People
from tests.pages.conftest import eventually, sign_in


async def test_a_new_subscriber_never_receives_a_note_its_user_may_not_see(user: User, people: People) -> None:
    heard: list[events.Event] = []

    @ui.page("/probe/{ticket_id}")
    async def probe(request: Request, ticket_id: int) -> None:
        # A subscriber written tomorrow, which checks nothing itself, on all three routes.
        tab = await open_tab(request)
        assert tab is not None
        element = ui.label("probe")
        live.on_ticket(tab, ticket_id, element, heard.append)
        live.on_user(tab, element, heard.append)
        live.on_every(tab, element, heard.append, events.MessagePosted, events.Typing)

    ticket = tickets.create(people.employee_a, "VPN drops", "Every hour.", Priority.normal, Category.network)
    tickets.take(people.technician, ticket.id)
    sign_in(user, people.employee_a)
    await user.open(f"/probe/{ticket.id}")
    await user.should_see("probe")
    chat.post(people.technician, ticket.id, "internal: the user's laptop is out of warranty", internal=True)
    presence.typing(people.technician, ticket.id, internal=True)
    chat.post(people.technician, ticket.id, "We are on it")
    presence.typing(people.technician, ticket.id, internal=False)
    await eventually(lambda: sum(isinstance(e, events.Typing) for e in heard) == 2)
    messages = [e for e in heard if isinstance(e, events.MessagePosted)]
    assert [m.message.body for m in messages] == ["We are on it"] * 3  # by ticket, by user, by kind
    assert not any(e.message.internal for e in messages)
    assert not any(e.internal for e in heard if isinstance(e, events.Typing))

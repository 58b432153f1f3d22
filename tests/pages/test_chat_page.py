import re

from nicegui.testing import User

from helpdesk.domain import chat, tickets
from models import Category, Priority
from tests.conftest import People
from tests.pages.conftest import eventually, sign_in


def make(people: People) -> int:
    return tickets.create(people.employee_a, "Printer jams", "Every page.", Priority.high, Category.hardware).id


def bubbles(user: User) -> list[str]:
    """The author line of each message shown, in order."""
    column = user.find(marker="messages").elements.pop()
    return [
        re.search(r"q-message-name[^>]*>([^<]*)<", child.content).group(1) for child in column.default_slot.children
    ]


async def test_send_a_message_and_see_it_once(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    log = user.find(marker="messages").elements.pop()
    assert log.props["data-empty"] == "No messages yet." and not log.default_slot.children
    user.find(marker="chat-send").click()
    await user.should_see("Write a message first.")
    user.find(marker="chat-input").type("Hello, is anyone there?")
    user.find(marker="chat-send").click()
    await eventually(lambda: bubbles(user) == ["Anna Employee"])
    assert user.find(marker="chat-input").elements.pop().value == ""
    assert [m.body for m in chat.history(people.technician, ticket_id)] == ["Hello, is anyone there?"]


async def test_a_message_from_elsewhere_is_appended_live_in_order(user: User, people: People) -> None:
    ticket_id = make(people)
    chat.post(people.employee_a, ticket_id, "first")
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    await user.should_see("first")
    chat.post(people.technician, ticket_id, "second, from Tom")
    await user.should_see("second, from Tom", retries=20)
    assert bubbles(user) == ["Anna Employee", "Tom Technician"]


async def test_internal_notes_never_show_to_the_employee(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    await user.should_not_see(marker="chat-note")
    chat.post(people.technician, ticket_id, "secret note", internal=True)
    chat.post(people.technician, ticket_id, "public reply")
    await user.should_see("public reply", retries=20)
    await user.should_not_see("secret note")
    assert bubbles(user) == ["Tom Technician"]


async def test_technician_writes_an_internal_note(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{ticket_id}")
    user.find(marker="chat-note").elements.pop().set_value(True)
    user.find(marker="chat-input").type("Check the fuser")
    user.find(marker="chat-send").click()
    await eventually(lambda: bubbles(user) == ["Tom Technician · internal note"])
    [note] = chat.history(people.technician, ticket_id)
    assert note.internal
    assert chat.history(people.employee_a, ticket_id) == []


async def test_messages_render_as_text(user: User, people: People) -> None:
    ticket_id = make(people)
    chat.post(people.employee_a, ticket_id, "<img src=x onerror=alert(1)>")
    sign_in(user, people.technician)
    await user.open(f"/tickets/{ticket_id}")
    html = user.find(marker="messages").elements.pop().default_slot.children[0].content
    assert "<img" not in html and "&lt;img" in html


async def test_presence_shows_the_other_viewer(user: User, create_user, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    tom = create_user()
    sign_in(tom, people.technician)
    await tom.open(f"/tickets/{ticket_id}")
    await tom.should_see("Also here: Anna Employee", retries=20)
    await user.should_see("Also here: Tom Technician", retries=20)


async def test_unread_count_on_the_dashboard(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a)
    await user.open("/")
    table = user.find(marker="tickets").elements.pop()
    await eventually(lambda: [row["unread"] for row in table.rows] == [0])
    chat.post(people.technician, ticket_id, "news")
    await eventually(lambda: [row["unread"] for row in table.rows] == [1])
    await user.should_see("Tom Technician: news", retries=20)
    await user.should_see('<a href="/tickets/1"', retries=20)  # the toast links to the ticket


async def test_a_page_left_behind_does_not_mark_messages_seen(user: User, people: People) -> None:
    ticket_id = make(people)
    sign_in(user, people.employee_a)
    client = await user.open(f"/tickets/{ticket_id}")
    client.handle_disconnect(next(iter(client._socket_to_document_id)))  # the browser went elsewhere
    chat.post(people.technician, ticket_id, "while you were away")
    await eventually(lambda: len(bubbles(user)) == 1)
    chat.flush_seen()
    assert chat.unread_counts(people.employee_a, [ticket_id]) == {ticket_id: 1}

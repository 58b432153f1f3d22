"""A retried write is stored once (Idempotency-Key), and a ticket's chat pages both ways."""

import asyncio

from sqlmodel import func, select

from helpdesk.core import db
from helpdesk.domain import chat, tickets
from models import Category, IdempotencyKey, Message, Priority, Ticket
from tests.conftest import People
from tests.helpdesk.api.conftest import Api

NEW = {"title": "Printer jams", "description": "Every page.", "priority": "high", "category": "hardware"}


def count(model: type) -> int:
    with db.read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def post(api: Api, path: str, who: str, body: object, key: str | None) -> object:
    headers = api.headers(who) | ({"Idempotency-Key": key} if key else {})
    return await api.http.post("/api/v1" + path, headers=headers, json=body)


async def test_the_same_key_twice_stores_once_and_answers_the_same(api: Api, people: People) -> None:
    first = await post(api, "/tickets", "employee_a", NEW, "create-7f3a")
    again = await post(api, "/tickets", "employee_a", NEW, "create-7f3a")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and count(Ticket) == 1
    # Without a key, or with another one, it is a new request.
    assert (await post(api, "/tickets", "employee_a", NEW, None)).status_code == 201
    assert (await post(api, "/tickets", "employee_a", NEW, "create-other")).status_code == 201
    assert count(Ticket) == 3
    # Another user's same key is theirs alone; the same key for another body is refused.
    assert (await post(api, "/tickets", "employee_b", NEW, "create-7f3a")).json()["id"] != first.json()["id"]
    changed = await post(api, "/tickets", "employee_a", NEW | {"title": "Scanner jams"}, "create-7f3a")
    assert changed.status_code == 422 and "already used for another request" in changed.json()["detail"]
    assert count(Ticket) == 4


async def test_messages_and_takes_retried_are_stored_once(api: Api, people: People) -> None:
    ticket = tickets.create(people.employee_a, "VPN", "Down.", Priority.normal, Category.network)
    path = f"/tickets/{ticket.id}/messages"
    first = await post(api, path, "employee_a", {"body": "Still down"}, "msg-1")
    again = await post(api, path, "employee_a", {"body": "Still down"}, "msg-1")
    assert again.status_code == 201 and again.json() == first.json() and count(Message) == 1
    take = await post(api, f"/tickets/{ticket.id}/take", "technician", None, "take-1")
    retried = await post(api, f"/tickets/{ticket.id}/take", "technician", None, "take-1")
    assert take.status_code == retried.status_code == 200  # not "you have already taken this ticket"
    assert retried.json()["assignee"]["name"] == "Tom Technician"
    with db.read_session() as session:
        assert len(session.exec(select(IdempotencyKey)).all()) == 2


async def test_the_same_key_sent_at_once_writes_once(api: Api, people: People) -> None:
    answers = await asyncio.gather(*(post(api, "/tickets", "employee_a", NEW, "burst-1") for _ in range(8)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1 and count(Ticket) == 1


async def test_a_malformed_key_is_refused_with_a_message(api: Api) -> None:
    for key in ("with space", "x" * 256, 'a"b'):
        answer = await api.http.post(
            "/api/v1/tickets", headers=api.headers("employee_a") | {"Idempotency-Key": key}, json=NEW
        )
        assert answer.status_code == 422 and "detail" in answer.json()
    assert count(Ticket) == 0


async def test_the_schema_documents_the_key(api: Api) -> None:
    schema = (await api.http.get("/openapi.json")).json()
    for path in ("/api/v1/tickets", "/api/v1/tickets/{ticket_id}/messages", "/api/v1/tickets/{ticket_id}/take"):
        parameters = schema["paths"][path]["post"]["parameters"]
        [header] = [p for p in parameters if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and "24 hours" in header["description"]


async def test_a_long_chat_pages_back_and_forth(api: Api, people: People) -> None:
    ticket = tickets.create(people.employee_a, "VPN", "Down.", Priority.normal, Category.network)
    posted = [chat.post(people.technician, ticket.id, f"step {n}").id for n in range(12)]
    chat.reset_rate_limit()
    path = f"/tickets/{ticket.id}/messages"
    newest = (await api.call("GET", f"{path}?limit=5", "employee_a")).json()
    assert [m["id"] for m in newest] == posted[-5:]
    older = (await api.call("GET", f"{path}?limit=5&before_id={newest[0]['id']}", "employee_a")).json()
    assert [m["id"] for m in older] == posted[-10:-5]
    oldest = (await api.call("GET", f"{path}?limit=5&before_id={older[0]['id']}", "employee_a")).json()
    assert [m["id"] for m in oldest] == posted[:2]
    onward = (await api.call("GET", f"{path}?limit=5&after_id={posted[1]}", "employee_a")).json()
    assert [m["id"] for m in onward] == posted[2:7]
    assert (await api.call("GET", f"{path}?limit=501", "employee_a")).status_code == 422

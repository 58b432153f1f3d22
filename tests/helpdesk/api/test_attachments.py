"""A message's files reach API clients under the same rule as on the pages."""

import io

from PIL import Image

from helpdesk.domain import chat, tickets
from models import Category, Priority
from tests.conftest import People
from tests.helpdesk.api.conftest import Api


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_messages_file_is_served_to_those_who_may_see_it(api: Api, people: People) -> None:
    ticket = tickets.create(people.employee_a, "Screen", "See the picture.", Priority.normal, Category.hardware)
    chat.post(people.employee_a, ticket.id, "screenshot", upload=chat.Upload("screen.png", png()))
    note = chat.post(people.technician, ticket.id, "ours", internal=True, upload=chat.Upload("notes.txt", b"x\n"))
    messages = (await api.call("GET", f"/tickets/{ticket.id}/messages", "employee_a")).json()
    [file] = messages[0]["attachments"]
    assert file["url"] == f"/api/v1/attachments/{file['id']}"  # a link a bearer client can follow
    answer = await api.http.get(file["url"], headers=api.headers("employee_a"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert answer.content == png()
    thumb = await api.http.get(file["url"] + "/thumb", headers=api.headers("technician"))
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    # Someone else's ticket, a note's file for an employee, no token: as if it did not exist.
    assert (await api.http.get(file["url"], headers=api.headers("employee_b"))).status_code == 404
    note_url = f"/api/v1/attachments/{note.files[0].id}"
    assert (await api.http.get(note_url, headers=api.headers("employee_a"))).status_code == 404
    assert (await api.http.get(note_url, headers=api.headers("technician"))).status_code == 200
    assert (await api.http.get(file["url"])).status_code == 401
    missing = await api.http.get("/api/v1/attachments/999", headers=api.headers("technician"))
    assert missing.status_code == 404 and missing.json()["detail"] == "This file does not exist."

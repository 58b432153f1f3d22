"""Every route × (anonymous, employee A, employee B, technician, admin technician)."""

import json

import pytest

from helpdesk.domain import tickets
from models import Category, Priority
from tests.conftest import People
from tests.helpdesk.api.conftest import CALLERS, Api

A, B, T, ADMIN = "employee_a", "employee_b", "technician", "admin"

# route: (method, path with {ticket} / {user}, body, {caller: expected status}); anonymous is always 401.
MATRIX = {
    "me": ("GET", "/users/me", None, {A: 200, B: 200, T: 200, ADMIN: 200}),
    "list users": ("GET", "/users", None, {A: 403, B: 403, T: 403, ADMIN: 200}),
    "create user": (
        "POST",
        "/users",
        {"email": "new@example.com", "name": "New", "password": "long password"},
        {A: 403, B: 403, T: 403, ADMIN: 201},
    ),
    "update user": ("PATCH", "/users/{user}", {"name": "Renamed"}, {A: 403, B: 403, T: 403, ADMIN: 200}),
    "list tickets": ("GET", "/tickets", None, {A: 200, B: 200, T: 200, ADMIN: 200}),
    "create ticket": (
        "POST",
        "/tickets",
        {"title": "Screen flickers", "description": "Since the update."},
        {A: 201, B: 201, T: 201, ADMIN: 201},
    ),
    "get ticket": ("GET", "/tickets/{ticket}", None, {A: 200, B: 404, T: 200, ADMIN: 200}),
    "edit ticket": (
        "PATCH",
        "/tickets/{ticket}",
        {"title": "Printer still jams"},
        {A: 200, B: 404, T: 403, ADMIN: 403},
    ),
    "triage ticket": ("PATCH", "/tickets/{ticket}", {"priority": "urgent"}, {A: 403, B: 404, T: 200, ADMIN: 200}),
    "assign ticket": ("PATCH", "/tickets/{ticket}", {"assignee_id": "{tech}"}, {A: 403, B: 404, T: 200, ADMIN: 200}),
    "reopen ticket": ("PATCH", "/tickets/{ticket}", {"status": "open"}, {A: 200, B: 404, T: 200, ADMIN: 200}),
    "take ticket": ("POST", "/tickets/{ticket}/take", None, {A: 403, B: 404, T: 200, ADMIN: 200}),
    "timeline": ("GET", "/tickets/{ticket}/events", None, {A: 200, B: 404, T: 200, ADMIN: 200}),
    "list messages": ("GET", "/tickets/{ticket}/messages", None, {A: 200, B: 404, T: 200, ADMIN: 200}),
    "post message": ("POST", "/tickets/{ticket}/messages", {"body": "Hello"}, {A: 201, B: 404, T: 201, ADMIN: 201}),
    "post internal note": (
        "POST",
        "/tickets/{ticket}/messages",
        {"body": "Note", "internal": True},
        {A: 403, B: 404, T: 201, ADMIN: 201},
    ),
}
FORBIDDEN_WORDS = ("password_hash", "token_version", "$argon2")


@pytest.mark.parametrize("route", sorted(MATRIX))
async def test_route_permissions(api: Api, people: People, route: str) -> None:
    method, path, body, expected = MATRIX[route]
    for caller in CALLERS:
        ticket = tickets.create(people.employee_a, "Printer jams", "Every page.", Priority.normal, Category.hardware)
        url = path.format(ticket=ticket.id, user=people.employee_b.id)
        payload = json.loads(json.dumps(body).replace('"{tech}"', str(people.technician.id))) if body else None
        if route == "create user" and caller:
            payload = {**payload, "email": f"new-{caller}@example.com"}
        response = await api.call(method, url, caller, payload)
        want = expected.get(caller, 401) if caller else 401
        assert response.status_code == want, (route, caller, response.text)
        assert "detail" in response.json() if want >= 400 else True
        assert not any(word in response.text for word in FORBIDDEN_WORDS), response.text


async def test_employees_list_only_their_own_tickets(api: Api, people: People) -> None:
    mine = tickets.create(people.employee_a, "Mine", "x", Priority.normal, Category.other).id
    tickets.create(people.employee_b, "Theirs", "x", Priority.normal, Category.other)
    response = await api.call("GET", "/tickets", A)
    assert [item["id"] for item in response.json()["items"]] == [mine]
    response = await api.call("GET", "/tickets", T)
    assert response.json()["total"] == 2

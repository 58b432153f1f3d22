import pytest
from nicegui.testing import User

from helpdesk.domain import auth, tickets
from models import Category, Priority, Status
from tests.conftest import PASSWORD, People
from tests.helpdesk.api.conftest import Api
from tests.pages.conftest import sign_in


async def test_token_shape_and_use(api: Api) -> None:
    response = await api.http.post("/api/v1/auth/token", json={"email": "Tom@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 12 * 3600
    me = await api.http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["email"] == "tom@example.com"
    assert set(me.json()) == {"id", "email", "name", "role", "is_admin", "is_active", "language", "created_at"}


async def test_bad_credentials_are_401_with_one_message_then_throttled(api: Api) -> None:
    unknown = await api.http.post("/api/v1/auth/token", json={"email": "nobody@example.com", "password": "whatever1"})
    wrong = await api.http.post("/api/v1/auth/token", json={"email": "tom@example.com", "password": "whatever1"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"detail": "Wrong email or password."}
    for _ in range(4):
        await api.http.post("/api/v1/auth/token", json={"email": "tom@example.com", "password": "whatever1"})
    throttled = await api.http.post("/api/v1/auth/token", json={"email": "tom@example.com", "password": PASSWORD})
    assert throttled.status_code == 429 and "Too many" in throttled.json()["detail"]


async def test_only_bearer_api_tokens_authenticate(api: Api, people: People) -> None:
    session_cookie_token = auth.start_session(people.technician)
    for headers, cookies in (
        ({"Authorization": f"Bearer {session_cookie_token}"}, {}),  # a cookie session is not an API token
        ({}, {auth.COOKIE: session_cookie_token}),  # cookies are never read by the API
        ({"Authorization": "Bearer nonsense"}, {}),
        ({"Authorization": f"Basic {api.tokens['technician']}"}, {}),
    ):
        api.http.cookies.clear()
        for name, value in cookies.items():
            api.http.cookies.set(name, value, domain="test.local")
        response = await api.http.get("/api/v1/users/me", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_a_deactivated_user_token_stops_working(api: Api, people: People) -> None:
    assert (await api.call("GET", "/users/me", "employee_b")).status_code == 200
    response = await api.call("PATCH", f"/users/{people.employee_b.id}", "admin", {"active": False})
    assert response.json()["is_active"] is False
    assert (await api.call("GET", "/users/me", "employee_b")).status_code == 401


async def test_create_get_and_timeline(api: Api) -> None:
    created = await api.call(
        "POST", "/tickets", "employee_a", {"title": "VPN down", "description": "Since 9am.", "priority": "high"}
    )
    assert created.status_code == 201
    ticket = created.json()
    assert ticket["status"] == "open" and ticket["priority"] == "high" and ticket["category"] == "other"
    assert ticket["requester"]["name"] == "Anna Employee" and ticket["assignee"] is None
    taken = await api.call("POST", f"/tickets/{ticket['id']}/take", "technician")
    assert taken.json()["assignee"]["name"] == "Tom Technician"
    again = await api.call("POST", f"/tickets/{ticket['id']}/take", "admin")
    assert again.status_code == 409 and "Tom Technician" in again.json()["detail"]
    events = (await api.call("GET", f"/tickets/{ticket['id']}/events", "employee_a")).json()
    assert [(e["kind"], e["actor"]) for e in events] == [("created", "Anna Employee"), ("assignee", "Tom Technician")]


async def test_patch_semantics(api: Api, people: People) -> None:
    ticket_id = tickets.create(people.employee_a, "Printer", "Jams.", Priority.normal, Category.hardware).id
    r = await api.call(
        "PATCH", f"/tickets/{ticket_id}", "technician", {"assignee_id": people.technician_2.id, "status": "in_progress"}
    )
    assert r.json()["assignee"]["id"] == people.technician_2.id and r.json()["status"] == "in_progress"
    r = await api.call("PATCH", f"/tickets/{ticket_id}", "technician", {"priority": "low"})
    assert r.json()["assignee"]["id"] == people.technician_2.id  # an absent field is left alone
    r = await api.call("PATCH", f"/tickets/{ticket_id}", "technician", {"assignee_id": None})
    assert r.json()["assignee"] is None  # an explicit null unassigns
    r = await api.call("PATCH", f"/tickets/{ticket_id}", "employee_a", {"status": "resolved"})
    assert r.status_code == 403


@pytest.mark.parametrize(
    "query",
    ["per_page=101", "per_page=0", "page=0", "status=closed", "assignee=somebody", "q=" + "x" * 201, "sort=secret"],
)
async def test_list_rejects_out_of_range_parameters(api: Api, query: str) -> None:
    response = await api.call("GET", f"/tickets?{query}", "technician")
    assert response.status_code == 422 and "detail" in response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"title": "ab", "description": "x"},
        {"title": "Valid", "description": ""},
        {"title": "Valid", "description": "x", "priority": "extreme"},
        {"title": "Valid", "description": "x", "requester_id": 1},
        {"title": "   ", "description": "x"},
        {"title": "Valid", "description": "x" * 10_001},
    ],
)
async def test_create_rejects_bad_bodies(api: Api, body: dict) -> None:
    response = await api.call("POST", "/tickets", "employee_a", body)
    assert response.status_code == 422 and "detail" in response.json()
    assert (await api.call("GET", "/tickets", "employee_a")).json()["total"] == 0


async def test_filters(api: Api, people: People) -> None:
    a = tickets.create(people.employee_a, "Printer jams", "x", Priority.urgent, Category.hardware).id
    b = tickets.create(people.employee_b, "Wifi drops", "x", Priority.low, Category.network).id
    tickets.take(people.technician, b)
    tickets.set_status(people.technician, b, Status.in_progress)

    async def ids(query: str) -> list[int]:
        return [i["id"] for i in (await api.call("GET", f"/tickets?{query}", "technician")).json()["items"]]

    assert await ids("priority=urgent") == [a]
    assert await ids("category=network") == [b]
    assert await ids("status=in_progress") == [b]
    assert await ids("assignee=me") == [b]
    assert await ids("assignee=none") == [a]
    assert await ids(f"assignee={people.technician.id}") == [b]
    assert await ids("q=wifi") == [b]
    page = (await api.call("GET", "/tickets?per_page=1&page=2&sort=id&descending=false", "technician")).json()
    assert page["total"] == 2 and page["per_page"] == 1 and [i["id"] for i in page["items"]] == [b]


async def test_an_api_change_appears_live_in_an_open_browser(user: User, api: Api, people: People) -> None:
    ticket_id = tickets.create(people.employee_a, "Printer jams", "x", Priority.normal, Category.hardware).id
    sign_in(user, people.employee_a)
    await user.open(f"/tickets/{ticket_id}")
    await user.should_see("Anna Employee created the ticket")
    response = await api.call("PATCH", f"/tickets/{ticket_id}", "technician", {"status": "in_progress"})
    assert response.status_code == 200
    await user.should_see("Tom Technician changed the status from Open to In progress", retries=20)


async def test_openapi_documents_the_limits(api: Api) -> None:
    schema = (await api.http.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    assert components["TicketCreate"]["properties"]["title"]["maxLength"] == 200
    assert set(components["Priority"]["enum"]) == {"low", "normal", "high", "urgent"}
    per_page = next(p for p in schema["paths"]["/api/v1/tickets"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    assert (await api.http.get("/docs")).status_code == 200
    assert not any(path.startswith("/_nicegui") or path == "/" for path in schema["paths"])


async def test_messages_round_trip_and_notes_stay_internal(api: Api, people: People) -> None:
    ticket_id = tickets.create(people.employee_a, "Printer", "Jams.", Priority.normal, Category.hardware).id
    mine = await api.call("POST", f"/tickets/{ticket_id}/messages", "employee_a", {"body": "Any news?"})
    assert mine.status_code == 201 and mine.json()["author"]["name"] == "Anna Employee"
    note = await api.call(
        "POST", f"/tickets/{ticket_id}/messages", "technician", {"body": "VIP user", "internal": True}
    )
    reply = await api.call("POST", f"/tickets/{ticket_id}/messages", "technician", {"body": "Coming."})
    as_employee = (await api.call("GET", f"/tickets/{ticket_id}/messages", "employee_a")).json()
    assert [m["body"] for m in as_employee] == ["Any news?", "Coming."]
    assert "VIP user" not in (await api.call("GET", f"/tickets/{ticket_id}/messages", "employee_a")).text
    as_technician = (await api.call("GET", f"/tickets/{ticket_id}/messages", "technician")).json()
    assert [m["id"] for m in as_technician] == [mine.json()["id"], note.json()["id"], reply.json()["id"]]
    since = (await api.call("GET", f"/tickets/{ticket_id}/messages?after_id={note.json()['id']}", "technician")).json()
    assert [m["body"] for m in since] == ["Coming."]
    ticket = (await api.call("GET", f"/tickets/{ticket_id}", "employee_a")).json()
    assert ticket["first_response_at"] == reply.json()["created_at"]
    empty = await api.call("POST", f"/tickets/{ticket_id}/messages", "employee_a", {"body": "   "})
    assert empty.status_code == 422 and empty.json()["detail"] == "Write a message first."

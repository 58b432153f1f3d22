import pytest
from nicegui.testing import User

from helpdesk.core.config import get_settings
from helpdesk.domain import auth, users
from models import Role
from pages.screens.login import BrowserId
from tests.conftest import PASSWORD, People
from tests.pages.conftest import sign_in


async def test_anonymous_visitors_are_sent_to_login(user: User) -> None:
    for path in ("/", "/tickets/new", "/tickets/1", "/admin/users", "/profile"):
        await user.open(path)
        await user.should_see(marker="sign-in")


async def test_wrong_password_shows_a_message_and_stays(user: User, people: People) -> None:
    await user.open("/login")
    user.find(marker="email").type("anna@example.com")
    user.find(marker="password").type("not my password")
    user.find(marker="sign-in").click()
    await user.should_see("Wrong email or password.")
    await user.should_see(marker="sign-in")


async def test_sign_in_sets_an_http_only_cookie_and_lands_on_the_dashboard(user: User, people: People) -> None:
    await user.open("/login")
    user.find(marker="email").type("Anna@example.com")
    user.find(marker="password").type(PASSWORD)
    user.find(marker="sign-in").click()
    await user.should_see("My tickets")
    assert auth.try_verify(user.http_client.cookies.get(auth.COOKIE)) is not None


async def test_exchange_route_sets_http_only_cookie_and_refuses_reuse(user: User, people: People) -> None:
    await user.http_client.get("/login")  # the browser gets its id on its first visit
    code = auth.exchange_code(auth.start_session(people.employee_a), user.http_client.cookies[auth.BROWSER_COOKIE])
    response = await user.http_client.get(f"/auth/session?code={code}&next=//evil.example.com")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    again = await user.http_client.get(f"/auth/session?code={code}")
    assert again.headers["location"] == "/login"


async def test_sign_out_ends_the_session_on_the_server(user: User, people: People) -> None:
    sign_in(user, people.employee_a)
    token = user.http_client.cookies.get(auth.COOKIE)
    await user.open("/")
    header = user.find(marker="header").elements.pop()
    assert 'action="/auth/logout"' in header.content and 'method="post"' in header.content
    # Another site's form or link cannot sign anyone out.
    assert (await user.http_client.get("/auth/logout")).status_code == 405
    forged = await user.http_client.post("/auth/logout", headers={"origin": "https://intranet.evil.example"})
    assert forged.status_code == 403 and auth.try_verify(token) is not None
    assert (await user.http_client.post("/auth/logout")).status_code == 403  # no Origin at all
    response = await user.http_client.post("/auth/logout", headers={"origin": "http://test"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert auth.try_verify(token) is None


async def test_login_page_speaks_the_browser_language(user: User, people: People) -> None:
    user.http_client.headers["accept-language"] = "fr-FR,fr;q=0.9"
    await user.open("/login")
    await user.should_see("Se connecter au helpdesk")


async def test_deactivating_a_user_sends_their_open_page_to_login(user: User, create_user, people: People) -> None:
    sign_in(user, people.employee_a)
    await user.open("/")
    await user.should_see("My tickets")
    users.update(people.admin, people.employee_a.id, is_active=False)
    await user.should_see(marker="sign-in", retries=20)


async def test_hsts_is_sent_when_cookies_are_secure(user: User, monkeypatch) -> None:
    monkeypatch.setenv("HELPDESK_COOKIE_SECURE", "true")
    get_settings.cache_clear()
    answer = await user.http_client.get("/login")
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    assert "Secure" in answer.headers["set-cookie"]  # the browser id, like the session, over HTTPS only


async def test_a_page_ended_by_a_role_change_says_why_on_the_sign_in_page(user: User, people: People) -> None:
    sign_in(user, people.employee_a)
    await user.open("/")
    users.update(people.admin, people.employee_a.id, role=Role.technician)
    await user.should_see("An administrator changed your role or rights. Sign in again to go on.", retries=60)
    await user.should_see(marker="sign-in")


async def _first_visit(path: bytes, accept: bytes = b"text/html") -> list[dict]:
    sent: list[dict] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        sent.append({"type": "app reached"})

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path.decode(), "raw_path": path, "query_string": b"a=1",
             "headers": [(b"accept", accept)]}  # fmt: skip
    await BrowserId(app)(scope, None, send)
    return sent


async def test_in_a_cluster_a_first_page_request_comes_back_with_its_cookie_and_never_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HELPDESK_REDIS_URL", "redis://127.0.0.1:1/0")  # a cluster; never connected here
    get_settings.cache_clear()
    try:
        (start, _body) = await _first_visit(b"/tickets/3")
        headers = dict(start["headers"])
        assert start["status"] == 307 and headers[b"location"] == b"/tickets/3?a=1"
        assert headers[b"set-cookie"].startswith(b"helpdesk_browser=")
        (start, _body) = await _first_visit(b"//evil.example/x")  # no open redirect
        assert dict(start["headers"])[b"location"] == b"/?a=1"
        assert await _first_visit(b"/api/v1/tickets", b"application/json") == [{"type": "app reached"}]
    finally:
        monkeypatch.delenv("HELPDESK_REDIS_URL")
        get_settings.cache_clear()
    assert await _first_visit(b"/tickets/3") == [{"type": "app reached"}]  # one process: no redirect

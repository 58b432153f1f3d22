import importlib
from collections.abc import Callable

import pytest
from nicegui.testing import User

from helpdesk.domain import kiosk, tickets
from models import Category, Priority
from tests.conftest import People
from tests.pages.conftest import eventually, sign_in


async def pair(user: User, people: People, privacy: bool = True, language: str = "en") -> int:
    display, code = kiosk.create_display(people.admin, "IT office TV", language, privacy)
    response = await user.http_client.get(f"/kiosk/pair?code={code}")
    assert response.status_code == 303 and response.headers["location"] == "/kiosk"
    assert "httponly" in response.headers["set-cookie"].lower()
    return display.id


def hub():  # the type is a class of that re-imported module
    """The running app's board hub. NiceGUI's user fixture drops the page modules after each
    test and main.py imports them afresh, so a module imported here at collection goes stale."""
    return importlib.import_module("pages.kiosk.screen").hub


SENT: dict[str, dict[str, str]] = {}  # client id -> the blocks broadcast to that page


@pytest.fixture(autouse=True)
def record_broadcasts(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records what each page is sent over its socket: the board's broadcasts do not go through
    NiceGUI's element updates, which the user fixture simulates (the real browser's side is in
    the end-to-end journey)."""
    module = importlib.import_module("pages.kiosk.board")
    emit = module._emit
    SENT.clear()

    async def recording(blocks: dict[str, str], client_ids: list[str]) -> None:
        for client_id in client_ids:
            SENT.setdefault(client_id, {}).update(blocks)
        await emit(blocks, client_ids)

    monkeypatch.setattr(module, "_emit", recording)


def board_html(user: User, marker: str) -> str:
    """What the screen shows: its page's block, as built or as last broadcast to it."""
    element = user.find(marker=marker).elements.pop()
    blocks = {"counters": "counters", "board-tickets": "tickets", "board-loads": "loads"}
    return SENT.get(element.client.id, {}).get(blocks[marker], element.content)


async def test_an_unpaired_screen_gets_a_message_not_an_error(user: User) -> None:
    await user.open("/kiosk")
    await user.should_see("This screen is not paired")
    await user.open("/kiosk/pair?code=made-up")
    await user.should_see("This pairing link was already used or has expired")


async def test_a_paired_screen_shows_changes_live(user: User, people: People) -> None:
    await pair(user, people)
    await user.open("/kiosk")
    await user.should_see(marker="counters")
    assert 'data-counter="open"><b>0</b>' in board_html(user, "counters")
    tickets.create(people.employee_a, "Printer jams", "It jams on every page.", Priority.urgent, Category.hardware)
    await eventually(lambda: 'data-counter="open"><b>1</b>' in board_html(user, "counters"), timeout=1.0)
    assert "Printer jams" in board_html(user, "board-tickets")
    assert "Anna Employee" not in board_html(user, "board-tickets")  # privacy mode is on by default


async def test_a_burst_of_changes_is_read_a_few_times_not_once_each(user: User, people: People) -> None:
    await pair(user, people)
    await user.open("/kiosk")
    await user.should_see(marker="counters")
    before = hub().refreshes
    for n in range(30):
        tickets.create(people.employee_a, f"Burst {n}", "Details.", Priority.normal, Category.other)
    await eventually(lambda: 'data-counter="open"><b>30</b>' in board_html(user, "counters"), timeout=2.0)
    assert 1 <= hub().refreshes - before <= 3  # one read per interval, not one per change


async def test_the_display_cookie_opens_the_board_and_nothing_else(user: User, people: People) -> None:
    await pair(user, people)
    ticket = tickets.create(people.employee_a, "Secret", "Private words.", Priority.normal, Category.other)
    assert (await user.http_client.get("/api/v1/tickets")).status_code == 401
    assert (await user.http_client.get(f"/api/v1/tickets/{ticket.id}")).status_code == 401
    response = await user.http_client.get(f"/tickets/{ticket.id}")
    assert response.status_code in (302, 303, 307) and response.headers["location"].startswith("/login")
    response = await user.http_client.get("/")
    assert response.headers["location"].startswith("/login")


async def test_a_revoked_display_is_refused(user: User, people: People) -> None:
    display_id = await pair(user, people)
    await user.open("/kiosk")
    await user.should_see(marker="counters")
    kiosk.revoke_display(people.admin, display_id)
    await user.open("/kiosk")
    await user.should_see("This screen is not paired")


async def test_a_french_display_without_privacy(user: User, people: People) -> None:
    tickets.create(people.employee_a, "Imprimante", "Bourrage papier.", Priority.high, Category.hardware)
    await pair(user, people, privacy=False, language="fr")
    await user.open("/kiosk")
    await user.should_see(marker="counters")
    assert "Résolus aujourd’hui" in board_html(user, "counters")
    assert "Anna Employee" in board_html(user, "board-tickets")
    assert "Bourrage papier." in board_html(user, "board-tickets")


async def test_displays_page_is_for_admins_only(user: User, people: People) -> None:
    sign_in(user, people.technician)
    await user.open("/admin/displays")
    await user.should_see(marker="not-found")


async def test_admin_creates_a_display_and_gets_its_link(user: User, people: People) -> None:
    sign_in(user, people.admin)
    await user.open("/admin/displays")
    user.find(marker="new-display").click()
    user.find(marker="display-save").click()
    await user.should_see("The display name must be 1 to 100 characters.")
    user.find(marker="display-name").type("Hall TV")
    user.find(marker="display-save").click()
    await user.should_see(marker="pairing-link")
    link = user.find(marker="pairing-link").elements.pop().value
    assert "/kiosk/pair?code=" in link
    [display] = kiosk.list_displays(people.admin)
    assert display.name == "Hall TV" and display.privacy
    table = user.find(marker="displays").elements.pop()
    await eventually(lambda: [row["state"] for row in table.rows] == ["Waiting for pairing"])


async def test_the_list_of_displays_shows_a_pairing_live(user: User, people: People) -> None:
    display, code = kiosk.create_display(people.admin, "Hall TV", "en", True)
    sign_in(user, people.admin)
    await user.open("/admin/displays")
    table = user.find(marker="displays").elements.pop()
    await eventually(lambda: [row["state"] for row in table.rows] == ["Waiting for pairing"])
    assert kiosk.pair(code) is not None
    await eventually(lambda: [row["state"] for row in table.rows] == ["Paired"])
    assert display.id is not None


async def test_each_change_goes_out_once_per_language_and_privacy_not_once_per_display(
    create_user: Callable[[], User], people: People
) -> None:
    screens = [create_user() for _ in range(3)]
    for screen, language in zip(screens, ("en", "en", "fr"), strict=True):
        await pair(screen, people, language=language)
        await screen.open("/kiosk")
        await screen.should_see(marker="counters")
    before = hub().broadcasts
    tickets.create(people.employee_a, "Printer jams", "It jams on every page.", Priority.urgent, Category.hardware)
    for screen in screens:
        await eventually(lambda screen=screen: "Printer jams" in board_html(screen, "board-tickets"), timeout=1.0)
    assert hub().broadcasts - before == 2  # the two English screens share one message

    await hub().publish(hub().board)  # nothing changed: nothing is sent
    assert hub().broadcasts - before == 2

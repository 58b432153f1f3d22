from nicegui.testing import User

from helpdesk.domain import remote, tickets
from helpdesk.runtime import jobs
from models import Category, EndReason, Priority, RemoteAssistance, RemoteMode, RemoteStatus
from tests.conftest import People
from tests.pages.conftest import eventually, sign_in


def assigned_ticket(people: People) -> int:
    ticket = tickets.create(people.employee_a, "VPN drops", "Every hour.", Priority.high, Category.network)
    tickets.take(people.technician, ticket.id)
    return ticket.id


def view_request(people: People, host: str = "10.1.2.3", port: int = 5900, accept: bool = False) -> RemoteAssistance:
    """Tom asks to see Anna's screen on a ticket of hers he took; she may have accepted."""
    session = remote.request(people.technician, assigned_ticket(people), RemoteMode.view, host, port)
    if accept:
        remote.answer(people.employee_a, session.id, True)
    return session


async def test_the_employee_is_asked_wherever_they_are_and_can_stop(user: User, people: People) -> None:
    ticket_id = assigned_ticket(people)
    sign_in(user, people.employee_a)
    await user.open("/profile")
    session = remote.request(people.technician, ticket_id, RemoteMode.control, "10.1.2.3", 5900)
    await user.should_see("Tom Technician asks to control your computer")
    await user.should_see("VPN drops")
    await user.should_see("It connects to 10.1.2.3:5900")  # the employee sees where, before consenting
    user.find(marker="remote-accept").click()
    await user.should_see("Tom Technician is controlling your screen")
    user.find("Stop").click()
    await eventually(lambda: remote.live_for(people.employee_a) == [])
    await user.should_not_see("Tom Technician is controlling your screen")
    assert session.id is not None


async def test_a_pending_request_shows_on_the_next_page(user: User, people: People) -> None:
    view_request(people)
    sign_in(user, people.employee_a)
    await user.open("/")
    await user.should_see("Tom Technician asks to see your screen (view only)")


async def test_the_button_is_for_the_assigned_technician(user: User, people: People) -> None:
    ticket = tickets.create(people.employee_a, "Printer", "Jams.", Priority.low, Category.hardware)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{ticket.id}")
    await user.should_see(marker="take")
    await user.should_not_see(marker="remote-request")
    tickets.take(people.technician, ticket.id)
    await user.should_see(marker="remote-request")


async def test_a_request_without_an_address_says_what_is_missing(user: User, people: People) -> None:
    ticket_id = assigned_ticket(people)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{ticket_id}")
    user.find(marker="remote-request").click()
    await user.should_see(marker="remote-send")
    user.find(marker="remote-send").click()
    await user.should_see("Enter the workstation's host name or IP address.")
    user.find(marker="remote-host").type("127.0.0.1")
    user.find(marker="remote-send").click()
    await user.should_see("127.0.0.1 can never be used for remote assistance.")
    user.find(marker="remote-host").clear()
    user.find(marker="remote-host").type("10.0.4.2")
    user.find(marker="remote-send").click()
    await user.should_see("Waiting for Anna Employee's answer…")
    [event] = remote.live_for(people.technician)
    assert event.status == RemoteStatus.requested and event.mode == RemoteMode.view


async def test_the_viewer_is_refused_to_others(user: User, people: People) -> None:
    session = view_request(people, accept=True)
    sign_in(user, people.technician_2)
    await user.open(f"/remote/{session.id}/viewer")
    await user.should_see("This remote session is not open to you.")


async def test_the_employee_sees_their_workstation_on_the_profile(user: User, people: People) -> None:
    view_request(people, "10.42.0.42", 5901)
    sign_in(user, people.employee_a)
    await user.open("/profile")
    await user.should_see("Workstation for remote assistance: 10.42.0.42:5901")


async def test_a_running_session_shows_again_after_a_reload(user: User, people: People) -> None:
    session = view_request(people, accept=True)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{session.ticket_id}")
    await user.should_see("Remote session (view only)")
    await user.should_see(marker="remote-viewer")


async def test_the_technician_sees_why_the_bridge_refused(user: User, people: People) -> None:
    session = view_request(people, accept=True)
    sign_in(user, people.technician)
    await user.open(f"/tickets/{session.ticket_id}")
    await user.should_see("Remote session (view only)")
    sweep = jobs.RemoteSweep()
    sweep()  # its first run only notes where the timeline is
    # The bridge (another process) refuses: what answered was not a VNC server.
    remote.bridge_refused(remote.Grant(session.id, people.technician.id, "10.1.2.3", 5900, True), EndReason.not_vnc)
    sweep()
    await user.should_see("The bridge refused the connection: the workstation did not answer as a VNC server.")
    await user.should_see("(the workstation did not answer as a VNC server)")  # and the timeline says why

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from helpdesk.core import db, events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from helpdesk.domain import auth, netpolicy, remote, tickets
from models import (
    Category,
    EndReason,
    Priority,
    RemoteAssistance,
    RemoteMode,
    RemoteStatus,
    RemoteToken,
    Status,
    Ticket,
    TicketEventKind,
)
from models.clock import utcnow
from tests.conftest import PASSWORD, People
from tests.support.app_process import WORKSTATION


def assigned_ticket(people: People) -> int:
    ticket = tickets.create(people.employee_a, "Outlook crashes", "Every morning.", Priority.normal, Category.software)
    tickets.take(people.technician, ticket.id)
    return ticket.id


def requested(people: People, mode: RemoteMode = RemoteMode.control) -> RemoteAssistance:
    return remote.request(people.technician, assigned_ticket(people), mode, "10.0.0.7", 5901)


def status_of(remote_id: int) -> RemoteStatus:
    with db.read_session() as session:
        found = session.get(RemoteAssistance, remote_id)
        assert found is not None
        return found.status


def remote_steps(people: People, ticket_id: int) -> list[tuple[str | None, str | None]]:
    return [
        (e.to_value, e.from_value)
        for e in tickets.timeline(people.technician, ticket_id)
        if e.kind == TicketEventKind.remote
    ]


def test_only_the_assigned_technician_can_ask(people: People) -> None:
    ticket_id = assigned_ticket(people)
    with pytest.raises(NotFound):
        remote.request(people.employee_a, ticket_id, RemoteMode.view, "10.0.0.7", 5900)
    with pytest.raises(PermissionDenied):
        remote.request(people.technician_2, ticket_id, RemoteMode.view, "10.0.0.7", 5900)
    session = remote.request(people.technician, ticket_id, RemoteMode.view, "10.0.0.7", 5900)
    assert session.status == RemoteStatus.requested
    with pytest.raises(Conflict):
        remote.request(people.technician, ticket_id, RemoteMode.control)


def test_the_workstation_defaults_to_where_the_employee_signed_in(people: People) -> None:
    ticket_id = assigned_ticket(people)
    with pytest.raises(InvalidInput):  # never signed in: no address known yet
        remote.request(people.technician, ticket_id, RemoteMode.view)
    auth.authenticate("anna@example.com", PASSWORD, "192.168.4.20")  # outside the allowed networks
    assert remote.target_for(people.technician, ticket_id) == (None, 5900)
    auth.authenticate("anna@example.com", PASSWORD, "10.4.4.20")
    assert remote.target_for(people.technician, ticket_id) == ("10.4.4.20", 5900)
    session = remote.request(people.technician, ticket_id, RemoteMode.view)
    assert (session.host, session.port) == ("10.4.4.20", 5900)


def test_a_technician_corrects_the_address_on_the_employee_profile(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(netpolicy, "resolve", lambda name: {"pc-7.corp": ["10.9.0.7"]}[name])
    ticket_id = assigned_ticket(people)
    for host, port in (("", 5900), ("bad host", 5900), ("pc/1", 5900), ("pc-7", 0), ("pc-7", 70000)):
        with pytest.raises(InvalidInput):
            remote.request(people.technician, ticket_id, RemoteMode.view, host, port)
    remote.request(people.technician, ticket_id, RemoteMode.view, "pc-7.corp", 5901)
    assert remote.target_for(people.technician, ticket_id) == ("pc-7.corp", 5901)


REFUSED_ALWAYS = [
    ("127.0.0.1", 5900),  # loopback, whatever the networks
    ("127.0.0.1", 5432),
    ("::1", 5900),
    ("::ffff:127.0.0.1", 5900),
    ("169.254.169.254", 5900),  # cloud metadata
    ("metadata.google.internal", 5900),
    ("localhost", 5900),
    ("0.0.0.0", 5900),
    ("224.0.0.1", 5900),
    ("fe80::1", 5900),
]


@pytest.mark.parametrize(("host", "port"), REFUSED_ALWAYS)
def test_remote_assistance_never_reaches_loopback_metadata_or_multicast(
    people: People, monkeypatch: pytest.MonkeyPatch, host: str, port: int
) -> None:
    # Even with an administrator allowing everything.
    monkeypatch.setenv("HELPDESK_REMOTE_NETWORKS", "0.0.0.0/0,::/0")
    monkeypatch.setenv("HELPDESK_REMOTE_PORTS", "1-65535")
    get_settings.cache_clear()
    ticket_id = assigned_ticket(people)
    with pytest.raises(InvalidInput):
        remote.request(people.technician, ticket_id, RemoteMode.view, host, port)


def test_only_allowed_networks_and_ports_and_never_the_helpdesk_itself(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket_id = assigned_ticket(people)
    for host, port in (("192.168.1.10", 5900), ("10.0.0.7", 22), ("10.0.0.7", 5432), ("8.8.8.8", 5900)):
        with pytest.raises(InvalidInput):
            remote.request(people.technician, ticket_id, RemoteMode.view, host, port)
    # A name is refused when any of its addresses is.
    monkeypatch.setattr(netpolicy, "resolve", lambda name: ["10.0.0.9", "127.0.0.1"])
    with pytest.raises(InvalidInput):
        remote.request(people.technician, ticket_id, RemoteMode.view, "two-faced.corp", 5900)
    # The helpdesk's own ports on an address of this machine: the app listening on every interface.
    monkeypatch.setenv("HELPDESK_HOST", "0.0.0.0")
    monkeypatch.setenv("HELPDESK_PORT", "5905")
    get_settings.cache_clear()
    own = netpolicy.Policy.from_settings()
    assert not own.allows(WORKSTATION, 5905)
    assert own.allows(WORKSTATION, 5906)


def test_with_no_network_allowed_remote_assistance_says_who_must_act(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HELPDESK_REMOTE_NETWORKS")
    get_settings.cache_clear()
    ticket_id = assigned_ticket(people)
    for attempt in (
        lambda: remote.request(people.technician, ticket_id, RemoteMode.view, "10.0.0.7", 5900),
        lambda: remote.target_for(people.technician, ticket_id),
    ):
        with pytest.raises(InvalidInput, match="an administrator must allow the workstation networks"):
            attempt()


def test_the_employee_answers_and_only_them(people: People) -> None:
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    session = requested(people)
    with pytest.raises(PermissionDenied):
        remote.answer(people.technician, session.id, True)
    with pytest.raises(NotFound):
        remote.answer(people.employee_b, session.id, True)
    remote.answer(people.employee_a, session.id, True)
    with pytest.raises(Conflict):
        remote.answer(people.employee_a, session.id, False)
    statuses = [e.remote.status for e in seen if isinstance(e, events.RemoteChanged)]
    assert statuses == ["requested", "accepted"]
    event = next(e.remote for e in seen if isinstance(e, events.RemoteChanged))
    assert event.technician_name == "Tom Technician" and event.ticket_title == "Outlook crashes"


def test_a_declined_request_gives_no_token(people: People) -> None:
    session = requested(people)
    with pytest.raises(PermissionDenied):
        remote.issue_token(people.technician, session.id)  # not accepted yet
    remote.answer(people.employee_a, session.id, False)
    with pytest.raises(PermissionDenied):
        remote.issue_token(people.technician, session.id)
    assert remote_steps(people, session.ticket_id) == [("requested", "control"), ("declined", "control")]


def test_a_request_expires_after_two_minutes(people: People) -> None:
    session = requested(people)
    with db.write_session() as s:
        s.exec(
            update(RemoteAssistance)
            .where(RemoteAssistance.id == session.id)
            .values(requested_at=utcnow() - timedelta(seconds=remote.REQUEST_SECONDS + 1))
        )
    with pytest.raises(InvalidInput):
        remote.answer(people.employee_a, session.id, True)
    assert [s.id for s in remote.sweep()] == [session.id]
    assert remote_steps(people, session.ticket_id)[-1] == ("expired", "control")
    assert remote.live_for(people.employee_a) == []


def test_tokens_are_for_the_sessions_technician_once_and_stored_hashed(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    with pytest.raises(NotFound):
        remote.issue_token(people.technician_2, session.id)
    with pytest.raises(PermissionDenied):
        remote.issue_token(people.employee_a, session.id)
    token = remote.issue_token(people.technician, session.id).token
    with db.read_session() as s:
        assert token not in str(s.execute(text("SELECT * FROM remote_token")).all())
    grant = remote.redeem_token(token)
    assert grant is not None and (grant.host, grant.port, grant.view_only) == ("10.0.0.7", 5901, False)
    assert remote.redeem_token(token) is None  # replayed
    assert remote.redeem_token("") is None and remote.redeem_token("x" * 200) is None


def test_an_expired_token_is_refused(people: People) -> None:
    session = requested(people, RemoteMode.view)
    remote.answer(people.employee_a, session.id, True)
    ticket = remote.issue_token(people.technician, session.id)
    assert ticket.view_only  # the viewer starts in view-only mode
    token = ticket.token
    with db.write_session() as s:
        s.exec(update(RemoteToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert remote.redeem_token(token) is None


def test_either_side_ends_it_and_the_timeline_says_how_long(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    grant = remote.redeem_token(remote.issue_token(people.technician, session.id).token)
    assert grant is not None and remote.bridge_alive(grant)
    remote.bridge_seen(grant, first=True)
    remote.end(people.employee_a, session.id)
    assert not remote.bridge_alive(grant)
    steps = remote_steps(people, session.ticket_id)
    assert [s for s, _d in steps] == ["requested", "accepted", "started", "ended"]
    assert steps[-1][1].startswith("employee:")
    with pytest.raises(NotFound):
        remote.end(people.employee_b, session.id)


def test_reassigning_the_ticket_ends_the_session(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    grant = remote.redeem_token(remote.issue_token(people.technician, session.id).token)
    assert grant is not None
    tickets.assign(people.technician, session.ticket_id, people.technician_2.id)
    assert not remote.bridge_alive(grant)  # the bridge drops it at once
    # Ended by the ticket service, in the reassignment's own transaction: nothing left to sweep.
    assert status_of(session.id) == RemoteStatus.ended
    assert remote.sweep() == []
    assert remote_steps(people, session.ticket_id)[-1][1].startswith("reassigned:")


def test_resolving_the_ticket_ends_its_session_in_the_same_transaction(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    heard: list[events.Event] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        tickets.set_status(people.technician, session.ticket_id, Status.resolved)
    finally:
        unsubscribe()
    assert status_of(session.id) == RemoteStatus.ended
    ended = [e.remote for e in heard if isinstance(e, events.RemoteChanged)]
    assert [(e.remote_id, e.status, e.end_reason) for e in ended] == [
        (session.id, RemoteStatus.ended, EndReason.reassigned)
    ]
    # One transaction: the ticket's resolution and the session's end are the same commit, and
    # both pages hear of them together, once it is done.
    assert [type(e) for e in heard] == [events.RemoteChanged, events.TicketChanged]
    with db.read_session() as session_db:
        ticket = session_db.get(Ticket, session.ticket_id)
        assert ticket is not None and ticket.status == Status.resolved


def test_a_failed_ticket_change_leaves_the_session_running(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tickets, "publish_change", broken)
    with pytest.raises(RuntimeError):
        tickets.set_status(people.technician, session.ticket_id, Status.resolved)
    assert status_of(session.id) == RemoteStatus.accepted


@pytest.mark.parametrize(
    ("column", "minutes", "reason"), [("started_at", 61, "time_limit"), ("answered_at", 6, "idle")]
)
def test_limits_end_the_session(people: People, column: str, minutes: int, reason: str) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    with db.write_session() as s:
        s.exec(
            update(RemoteAssistance)
            .where(RemoteAssistance.id == session.id)
            .values({column: utcnow() - timedelta(minutes=minutes)})
        )
    assert [s.id for s in remote.sweep()] == [session.id]
    assert remote_steps(people, session.ticket_id)[-1][1].startswith(f"{reason}:")


def test_a_watched_session_is_not_idle(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    with db.write_session() as s:
        s.exec(update(RemoteAssistance).values(answered_at=utcnow() - timedelta(minutes=30), bridge_seen_at=utcnow()))
    assert remote.sweep() == []


def test_signing_out_ends_the_technicians_sessions(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    auth.logout(auth.start_session(people.technician))
    assert remote.live_for(people.employee_a) == []
    assert remote_steps(people, session.ticket_id)[-1][1].startswith("signed_out:")


def test_no_remote_assistance_on_a_resolved_ticket(people: People) -> None:
    ticket_id = assigned_ticket(people)
    tickets.set_status(people.technician, ticket_id, Status.resolved)
    with pytest.raises(InvalidInput):
        remote.request(people.technician, ticket_id, RemoteMode.view, "10.0.0.7", 5900)


def test_a_session_the_bridge_refused_is_announced_with_its_reason(people: People) -> None:
    session = requested(people)
    remote.answer(people.employee_a, session.id, True)
    since = remote.newest_remote_event_id()
    grant = remote.Grant(session.id, people.technician.id, "10.0.0.7", 5901, False)
    remote.bridge_refused(grant, remote.EndReason.not_vnc)
    [refused] = remote.bridge_refusals_after(since)
    event = refused.remote
    assert (event.remote_id, event.status, event.end_reason) == (session.id, "ended", "not_vnc")
    assert remote.bridge_refusals_after(remote.newest_remote_event_id()) == []
    # A session ended by a person is not the bridge's refusal.
    other = requested(people)
    remote.answer(people.employee_a, other.id, True)
    since = remote.newest_remote_event_id()
    remote.end(people.employee_a, other.id)
    assert remote.bridge_refusals_after(since) == []

"""The core's background jobs: each runs on its own, survives a failing run, and stops cleanly."""

import asyncio

import pytest

from helpdesk.core import events
from helpdesk.core.config import get_settings
from helpdesk.domain import chat, remote, tickets
from helpdesk.runtime import jobs
from models import Category, Priority, RemoteMode
from tests.conftest import People


async def test_a_job_runs_again_after_a_failing_run_and_stops_with_the_runner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def flaky() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the database is away")

    job = jobs.Job("flaky", 0.01, flaky)
    runner = jobs.Runner([job])
    await runner.start()
    for _ in range(200):
        if job.runs >= 3:
            break
        await asyncio.sleep(0.01)
    await runner.stop()
    assert job.runs >= 3 and job.failures == 1
    assert "job flaky failed" in caplog.text
    runs = job.runs
    await asyncio.sleep(0.05)
    assert job.runs == runs  # stopped: no run after stop()


def test_the_seen_flush_job_writes_queued_markers(people: People) -> None:
    ticket = tickets.create(people.employee_a, "Mouse", "It squeaks.", Priority.low, Category.hardware)
    message = chat.post(people.employee_a, ticket.id, "hello")
    chat.queue_seen(people.technician, ticket.id, message.id)
    [flush] = [job for job in jobs.default_jobs() if job.name == "seen markers flush"]
    asyncio.run(flush.run_once())
    assert chat.seen_by_other_side(people.employee_a, ticket.id) == message.id


def test_the_remote_sweep_tells_the_pages_what_the_bridge_wrote(people: People) -> None:
    ticket = tickets.create(people.employee_a, "Screen", "Flickers.", Priority.low, Category.hardware)
    tickets.take(people.technician, ticket.id)
    session = remote.request(people.technician, ticket.id, RemoteMode.view, "10.0.0.7", 5901)
    remote.answer(people.employee_a, session.id, True)
    sweep = jobs.RemoteSweep()
    sweep()  # the first run notes where the timeline is
    grant = remote.redeem_token(remote.issue_token(people.technician, session.id).token)
    assert grant is not None
    heard: list[events.Event] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        remote.bridge_seen(grant, first=True)  # what the bridge's process writes: no event of its own
        assert heard == []
        sweep()
    finally:
        unsubscribe()
    assert heard == [events.TicketChanged(ticket.id, people.employee_a.id, people.technician.id)]


def test_the_board_recheck_job_asks_the_boards_to_look_again() -> None:
    heard: list[events.Event] = []
    unsubscribe = events.subscribe(heard.append)
    try:
        jobs.board_recheck()
    finally:
        unsubscribe()
    assert heard == [events.BoardRecheck()]


def test_email_jobs_run_only_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not {"mail outbox", "mailbox"} & {job.name for job in jobs.default_jobs()}
    assert jobs.mail_jobs() == []
    monkeypatch.setenv("HELPDESK_SMTP_URL", "smtp://127.0.0.1:25")
    monkeypatch.setenv("HELPDESK_IMAP_URL", "imap://helpdesk:pw@127.0.0.1:143/INBOX")
    get_settings.cache_clear()
    assert [job.name for job in jobs.mail_jobs()] == ["mail outbox", "mailbox"]

"""The core's own background jobs: plain asyncio, one small named unit each, started by main.py.

A job's work is a blocking function (it reads and writes the database), run in a worker thread
so the event loop never waits on it. A failing run is logged and the job goes on; stopping the
runner cancels every job and waits for it to end.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from helpdesk.core import events
from helpdesk.core.config import get_settings
from helpdesk.domain import chat, idempotency, intake, outbox, remote
from helpdesk.runtime.mailwatch import MailWatch

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float  # seconds between the end of one run and the start of the next
    work: Callable[[], object]
    stop: Callable[[], object] | None = None  # asks a long run to end soon (the mailbox's wait)
    runs: int = 0
    failures: int = 0

    async def run_once(self) -> None:
        try:
            await asyncio.to_thread(self.work)
        except Exception:  # one bad run must not end the job
            self.failures += 1
            log.exception("job %s failed", self.name)
        self.runs += 1


@dataclass
class Runner:
    jobs: list[Job]
    _tasks: list[asyncio.Task] = field(default_factory=list)

    async def start(self) -> None:
        for job in self.jobs:
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job {job.name}"))

    async def stop(self) -> None:
        for job in self.jobs:
            if job.stop is not None:
                job.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    @staticmethod
    async def _loop(job: Job) -> None:
        while True:
            await asyncio.sleep(job.every)
            await job.run_once()


class RemoteSweep:
    """Ends what must end (expired requests, time limits, idle viewers), and tells the pages of
    the steps the bridge wrote: it runs in another process, whose events reach no page."""

    def __init__(self) -> None:
        self.last_event_id: int | None = None

    def __call__(self) -> None:
        remote.sweep()
        if self.last_event_id is None:
            self.last_event_id = remote.newest_remote_event_id()
            return
        since = self.last_event_id
        for ticket_id, requester_id, assignee_id, newest in remote.tickets_with_remote_events_after(since):
            self.last_event_id = max(self.last_event_id, newest)
            events.publish(events.TicketChanged(ticket_id, requester_id, assignee_id))
        if self.last_event_id != since:
            for refused in remote.bridge_refusals_after(since):
                events.publish(refused)


def board_recheck() -> None:
    """Each minute, the wall boards re-read what no event announces (a date-bound counter, a
    renamed technician) and drop displays whose revocation they missed."""
    events.publish(events.BoardRecheck())


def default_jobs() -> list[Job]:
    """The jobs of the pages' process."""
    return [
        Job("seen markers flush", 1.0, chat.flush_seen),
        Job("remote sweep", 1.0, RemoteSweep()),
        Job("board recheck", 60.0, board_recheck),
        Job("idempotency keys expiry", 3600.0, idempotency.expire),
    ]


def mail_jobs() -> list[Job]:
    """Email out and in, when set. They run in the API's process when there is one: composing and
    sending is Python work that slowed the pages' chat when it ran beside them (bench/email)."""
    jobs = []
    if get_settings().smtp_url:
        jobs.append(Job("mail outbox", 2.0, outbox.run))
    mailbox = intake.mailbox()
    if mailbox is not None:
        watch = MailWatch(mailbox)
        jobs.append(Job("mailbox", 0.1, watch, stop=watch.stopping.set))
    return jobs

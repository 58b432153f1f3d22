"""The core's own background jobs: plain asyncio, one small named unit each, started by main.py.

A job's work is a blocking function (it reads and writes the database), run in a worker thread
so the event loop never waits on it. A failing run is logged and the job goes on; stopping the
runner cancels every job and waits for it to end.

In a cluster (HELPDESK_REDIS_URL) a job runs on one process at a time: before each run the
process takes or renews the job's lease (core/cluster.py), and renews it while the run lasts.
When the holder dies its lease expires (LEASE_SECONDS) and another process's next try takes it.
A job about this process's own memory (`each_process`) runs everywhere.
"""

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from helpdesk.core import cluster, events
from helpdesk.core.config import get_settings
from helpdesk.domain import chat, idempotency, intake, outbox, presence, remote
from helpdesk.runtime.mailwatch import MailWatch

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float  # seconds between the end of one run and the start of the next
    work: Callable[[], object]
    stop: Callable[[], object] | None = None  # asks a long run to end soon (the mailbox's wait)
    each_process: bool = False  # in a cluster: runs in every process, not once
    runs: int = 0
    failures: int = 0

    async def run_once(self) -> None:
        try:
            await asyncio.to_thread(self.work)
        except Exception:  # one bad run must not end the job
            self.failures += 1
            log.exception("job %s failed", self.name)
        self.runs += 1


LEASE_SECONDS = 10.0


@dataclass
class Runner:
    jobs: list[Job]
    _tasks: list[asyncio.Task] = field(default_factory=list)
    leases: dict[str, cluster.Lease] = field(default_factory=dict)

    async def start(self) -> None:
        if cluster.enabled():
            self._redis = cluster.lease_client()
            holder = f"{get_settings().instance_name}/{os.getpid()}"
            for job in self.jobs:
                if not job.each_process:
                    self.leases[job.name] = cluster.Lease(self._redis, job.name, holder, LEASE_SECONDS)
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
        if self.leases:
            for lease in self.leases.values():  # another process takes them over at once
                await lease.release()
            await self._redis.aclose()
            self.leases.clear()

    async def _loop(self, job: Job) -> None:
        lease = self.leases.get(job.name)
        while True:
            await asyncio.sleep(job.every)
            if lease is None:
                await job.run_once()
            elif await lease.hold():
                renewing = asyncio.create_task(self._renew(lease), name=f"lease {job.name}")
                try:
                    await job.run_once()
                finally:
                    renewing.cancel()

    @staticmethod
    async def _renew(lease: cluster.Lease) -> None:
        # A run that outlives a lost lease (Redis away) ends by itself and is not run again here;
        # the jobs tolerate that overlap (the outbox claims its rows, intake's Message-IDs are unique).
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            await lease.hold()


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
        Job("seen markers flush", 1.0, chat.flush_seen, each_process=True),  # this process's memory
        Job("presence heartbeat", presence.HEARTBEAT, presence.heartbeat, each_process=True),
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

"""Several processes, one helpdesk: what HELPDESK_REDIS_URL turns on.

- `RedisBus` carries the live events between processes over Redis pub/sub. An event is still
  delivered to its own process's subscribers at once (core/events.py); the others get it from
  Redis. If Redis goes away, events keep reaching the pages of the process that published them;
  when it is back, each process tells its pages to re-read what they show (`BusResumed`), so
  nothing that was saved is missing from a page for long.
- `Lease`: a background job runs on one process of the cluster at a time (runtime/jobs.py). The
  lease is a Redis key that expires: when its holder dies, another process takes it over.
- `limits_storage`: rate limits and sign-in throttling shared by every process.

Without HELPDESK_REDIS_URL none of this runs: one process, everything in memory.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import time

import redis
import redis.asyncio as aioredis
from limits import RateLimitItem
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from helpdesk.core import events
from helpdesk.core.config import get_settings

log = logging.getLogger(__name__)

CHANNEL = "helpdesk:events"
QUEUE_LIMIT = 10_000  # events waiting for Redis; past that (Redis is away) they are dropped
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)  # reconnecting: these waits, then the last one again
TIMEOUT = 5.0  # seconds for one Redis command; a dead link is noticed by the health check
WARN_EVERY = 30.0  # seconds between two warnings about the same outage


def enabled() -> bool:
    return get_settings().redis_url is not None


def _client_options() -> dict:
    return {"socket_timeout": TIMEOUT, "socket_connect_timeout": TIMEOUT, "health_check_interval": 5}


class RedisBus:
    """This process's end of the cluster's event channel (start it on the process's event loop)."""

    def __init__(self, url: str) -> None:
        self.url = url
        # Unique per process, before each event it sends: Redis echoes a process's own events back
        # to it, and it skips them by this prefix without decoding them.
        self.origin = f"{get_settings().instance_name}/{os.getpid()}/{secrets.token_hex(4)}"
        self._prefix = self.origin.encode() + b" "
        self.connected = False
        self.sent = self.received = self.dropped = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[bytes] | None = None
        self._tasks: list[asyncio.Task] = []
        self._last_warning = 0.0

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(QUEUE_LIMIT)
        self._client = aioredis.from_url(self.url, **_client_options())
        self._tasks = [
            asyncio.create_task(self._receive(), name="cluster bus receive"),
            asyncio.create_task(self._send(), name="cluster bus send"),
        ]
        events.set_transport(self.send)

    async def stop(self) -> None:
        events.set_transport(None)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    def send(self, event: events.Event) -> None:
        """From any thread: queued for Redis; never waits."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._put, self._prefix + events.encode(event))

    def _put(self, data: bytes) -> None:
        assert self._queue is not None
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped += 1

    async def _send(self) -> None:
        assert self._queue is not None
        while True:
            data = await self._queue.get()
            try:
                await self._client.publish(CHANNEL, data)
                self.sent += 1
            except (redis.RedisError, OSError):
                # Saved already; the other processes' pages re-read it when the link is back.
                self.dropped += 1
                self._warn("cluster: Redis is unreachable; events reach this process's pages only")

    async def _receive(self) -> None:
        failures = 0
        missed = False
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self.connected, failures = True, 0
                if missed:
                    log.warning("cluster: Redis is back; pages re-read what they show")
                    events.deliver_from_elsewhere(events.BusResumed())
                    missed = False
                async for message in pubsub.listen():
                    self._take(message["data"])
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError):
                self.connected, missed = False, True
                self._warn("cluster: lost the link to Redis; reconnecting")
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    await pubsub.aclose()

    def _take(self, data: bytes) -> None:
        if data.startswith(self._prefix):
            return  # its own, delivered here when it was published
        try:
            event = events.decode(data.partition(b" ")[2])
        except ValueError:
            log.warning("cluster: dropped a message that is not an event (%d bytes)", len(data))
            return
        if not isinstance(event, events.LOCAL_ONLY):
            self.received += 1
            events.deliver_from_elsewhere(event)

    def _warn(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last_warning > WARN_EVERY:
            self._last_warning = now
            log.warning(text)


# Atomic: renewed or released only by its holder, never after another process took it over.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class Lease:
    """One holder at a time across the cluster for `name`, as long as it renews within `seconds`."""

    def __init__(self, client: aioredis.Redis, name: str, holder: str, seconds: float = 10.0) -> None:
        self.client, self.key, self.holder = client, f"helpdesk:lease:{name}", holder
        self.ms = int(seconds * 1000)
        self.held = False

    async def hold(self) -> bool:
        """Takes the lease if it is free, renews it if it is ours; whether it is ours now."""
        try:
            if await self.client.set(self.key, self.holder, nx=True, px=self.ms):
                self.held = True
            else:
                self.held = bool(await self.client.eval(_RENEW, 1, self.key, self.holder, self.ms))
        except (redis.RedisError, OSError):
            self.held = False  # unsure: another process may hold it, so this one does not run
        return self.held

    async def release(self) -> None:
        if self.held:
            with contextlib.suppress(redis.RedisError, OSError):
                await self.client.eval(_RELEASE, 1, self.key, self.holder)
            self.held = False


def lease_client() -> aioredis.Redis:
    url = get_settings().redis_url
    assert url is not None
    return aioredis.from_url(url, **_client_options())


class SharedLimiter:
    """A moving-window rate limiter (the `limits` library) whose counts every process shares
    through Redis when the cluster has it, else counted in this process's memory. While Redis is
    unreachable it counts in memory: still a limit, never a lock-out or an error."""

    def __init__(self) -> None:
        self._url: str | None = None
        self._shared: MovingWindowRateLimiter | None = None
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._last_warning = 0.0

    def _limiter(self) -> MovingWindowRateLimiter:
        url = get_settings().redis_url
        if url is None:
            return self._local
        if self._shared is None or url != self._url:
            storage = storage_from_string(url, socket_timeout=1.0, socket_connect_timeout=1.0)  # never a slow post
            self._url, self._shared = url, MovingWindowRateLimiter(storage)
        return self._shared

    def hit(self, limit: RateLimitItem, *identifiers: str) -> bool:
        return self._count("hit", limit, identifiers)

    def test(self, limit: RateLimitItem, *identifiers: str) -> bool:
        return self._count("test", limit, identifiers)

    def _count(self, how: str, limit: RateLimitItem, identifiers: tuple[str, ...]) -> bool:
        try:
            return getattr(self._limiter(), how)(limit, *identifiers)
        except (redis.RedisError, OSError):
            self._warn()
            return getattr(self._local, how)(limit, *identifiers)

    def reset(self) -> None:
        self._local.storage.reset()
        with contextlib.suppress(redis.RedisError, OSError):
            self._limiter().storage.reset()

    def _warn(self) -> None:
        if time.monotonic() - self._last_warning > WARN_EVERY:
            self._last_warning = time.monotonic()
            log.warning("cluster: Redis is unreachable; rate limits count in this process only")


_ping_client: redis.Redis | None = None


def ping() -> str:
    """For /healthz (blocking: call it from a worker thread): "ok", "off" (no Redis configured),
    or why Redis cannot be reached."""
    global _ping_client
    url = get_settings().redis_url
    if url is None:
        return "off"
    if _ping_client is None:
        _ping_client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    try:
        _ping_client.ping()
    except (redis.RedisError, OSError) as error:
        return f"unavailable ({type(error).__name__})"
    return "ok"

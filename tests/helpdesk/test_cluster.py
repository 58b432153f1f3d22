"""The cluster's parts on a real Redis (Debian's redis-server, started here): the bus's transport,
the jobs' lease, the shared rate limits; and presence merged from other processes' events."""

import asyncio
import time

import pytest
import redis
from limits import parse

from helpdesk.core import cluster, events
from helpdesk.core.config import get_settings
from helpdesk.domain import presence
from tests.support.redis import RedisServer


@pytest.fixture
def with_redis(redis_server: RedisServer, data_dir: object, monkeypatch: pytest.MonkeyPatch) -> RedisServer:
    monkeypatch.setenv("HELPDESK_REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server


async def _until(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not in time"
        await asyncio.sleep(0.02)


async def test_events_go_out_and_come_in_but_never_back_to_their_sender(with_redis: RedisServer) -> None:
    received: list[events.Event] = []
    unsubscribe = events.subscribe(received.append)
    events.bind_loop(asyncio.get_running_loop())
    bus = cluster.RedisBus(with_redis.url)
    await bus.start()
    listener = redis.asyncio.Redis.from_url(with_redis.url).pubsub()
    await listener.subscribe(cluster.CHANNEL)
    await _until(lambda: bus.connected)
    try:
        events.publish(events.Typing(7, 1, "Anna", False))
        message = None
        while message is None or message["type"] != "message":
            message = await listener.get_message(timeout=5)
        origin, _space, line = message["data"].partition(b" ")
        assert (origin.decode(), events.decode(line)) == (bus.origin, events.Typing(7, 1, "Anna", False))
        await _until(lambda: bus.sent == 1)
        assert received == [events.Typing(7, 1, "Anna", False)]  # delivered here once, not again from Redis

        # Another process's event is delivered here; a local-only one never crosses.
        client = redis.Redis.from_url(with_redis.url)
        client.publish(cluster.CHANNEL, b"elsewhere/1/ab " + events.encode(events.SessionsRevoked(3)))
        client.publish(cluster.CHANNEL, b"elsewhere/1/ab " + events.encode(events.PresenceChanged(7, ())))
        client.publish(cluster.CHANNEL, b"not an event")
        await _until(lambda: len(received) == 2)
        await asyncio.sleep(0.2)
        assert received[1:] == [events.SessionsRevoked(3)]
        events.publish(events.PresenceChanged(7, ()))
        await asyncio.sleep(0.2)
        assert bus.sent == 1  # PresenceChanged stays in its process
    finally:
        unsubscribe()
        await listener.aclose()
        await bus.stop()
        events.bind_loop(None)  # type: ignore[arg-type]


async def test_after_redis_restarts_the_bus_reconnects_and_pages_are_told_to_catch_up(
    with_redis: RedisServer,
) -> None:
    received: list[events.Event] = []
    unsubscribe = events.subscribe(received.append)
    events.bind_loop(asyncio.get_running_loop())
    bus = cluster.RedisBus(with_redis.url)
    await bus.start()
    try:
        await _until(lambda: bus.connected)
        with_redis.stop()
        await _until(lambda: not bus.connected, timeout=15)
        events.publish(events.SessionsRevoked(5))  # Redis away: still delivered here, dropped there
        with_redis.start()
        await _until(lambda: events.BusResumed() in received, timeout=15)
        assert bus.connected and events.SessionsRevoked(5) in received
        client = redis.Redis.from_url(with_redis.url)
        client.publish(cluster.CHANNEL, b"elsewhere/1/ab " + events.encode(events.SessionsRevoked(6)))
        await _until(lambda: events.SessionsRevoked(6) in received)
    finally:
        unsubscribe()
        await bus.stop()
        events.bind_loop(None)  # type: ignore[arg-type]


async def test_one_lease_holder_at_a_time_and_the_next_takes_over_when_it_expires(with_redis: RedisServer) -> None:
    client = redis.asyncio.Redis.from_url(with_redis.url)
    first = cluster.Lease(client, "sweep", "app1/1", seconds=0.5)
    second = cluster.Lease(client, "sweep", "app2/2", seconds=0.5)
    assert await first.hold()
    assert not await second.hold()
    assert await first.hold()  # renewed
    await asyncio.sleep(0.7)  # app1 died: nobody renews
    assert await second.hold()
    assert not await first.hold()
    await second.release()
    assert await first.hold()  # released: taken at once
    await client.aclose()


def test_rate_limits_count_across_processes_and_fall_back_to_memory_without_redis(with_redis: RedisServer) -> None:
    one, other = cluster.SharedLimiter(), cluster.SharedLimiter()  # as in two processes
    limit = parse("3/minute")
    assert [one.hit(limit, "chat", "9"), other.hit(limit, "chat", "9"), one.hit(limit, "chat", "9")] == [True] * 3
    assert not other.hit(limit, "chat", "9")
    with_redis.stop()
    try:
        assert other.hit(limit, "chat", "10")  # Redis away: counted here, no error
        assert [other.hit(limit, "chat", "10") for _ in range(3)] == [True, True, False]
    finally:
        with_redis.start()


def test_presence_merges_other_processes_viewers_and_drops_a_silent_one(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[events.PresenceChanged] = []
    unsubscribe = events.subscribe(lambda e: shown.append(e) if isinstance(e, events.PresenceChanged) else None)
    now = [1000.0]
    monkeypatch.setattr(presence.time, "monotonic", lambda: now[0])
    presence.share("app1")
    try:
        anna, tom = (1, "Anna", False), (2, "Tom", True)
        events.publish(events.InstanceViewers("app2", 12, (tom,)))
        assert shown[-1] == events.PresenceChanged(12, (tom,))
        events.publish(events.InstanceViewers("app3", 12, (tom,)))  # the same user elsewhere too: once
        assert presence.viewers(12) == (tom,)
        events.publish(events.InstanceViewers("app2", 12, (anna,)))
        assert presence.viewers(12) == (anna, tom)
        now[0] += presence.EXPIRY - 1
        events.publish(events.InstanceAlive("app3"))
        now[0] += 2
        presence.heartbeat()  # app1's own beat: app2 is silent past EXPIRY, app3 is not
        assert presence.viewers(12) == (tom,)
        events.publish(events.InstanceAlive("app3", fresh=True))  # app3 restarted: what it had is gone
        assert presence.viewers(12) == () and shown[-1] == events.PresenceChanged(12, ())
    finally:
        unsubscribe()
        presence.stop_sharing()

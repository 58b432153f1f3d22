import asyncio
import threading

from helpdesk.core import events


async def test_publish_from_a_worker_thread_is_delivered_on_the_event_loop() -> None:
    loop = asyncio.get_running_loop()
    events.bind_loop(loop)
    delivered: list[tuple[events.Event, int]] = []
    done = asyncio.Event()

    def receive(event: events.Event) -> None:
        delivered.append((event, threading.get_ident()))
        done.set()

    unsubscribe = events.subscribe(receive)
    worker = threading.Thread(target=events.publish, args=(events.SessionsRevoked(7),))
    worker.start()
    worker.join()
    await asyncio.wait_for(done.wait(), 1)
    assert delivered == [(events.SessionsRevoked(7), threading.get_ident())]
    unsubscribe()
    events.publish(events.SessionsRevoked(8))
    assert len(delivered) == 1


def test_a_failing_subscriber_does_not_starve_the_others() -> None:
    got: list[events.Event] = []

    def broken(_event: events.Event) -> None:
        raise RuntimeError("boom")

    events.subscribe(broken)
    events.subscribe(got.append)
    events.publish(events.SessionsRevoked(1))
    assert got == [events.SessionsRevoked(1)]

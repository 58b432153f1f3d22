"""Memory for a server that holds thousands of live page trees, and gives back what closed pages held.

Each open page is a tree of a few thousand tracked objects. With CPython's default thresholds,
full collections walk all of them and, at a thousand connected pages, freeze the event loop
for over a second: long enough for socket.io pings to time out and whole batches of browsers to
be dropped. Moving the surviving objects into the permanent generation (`gc.freeze`) takes
them out of those walks.

Frozen objects are never collected, and a closed page's objects are cycles that only a
collection frees: without more, 1,000 page loads kept about 180 MB for good. So once pages have
closed, and at most once a minute (each is one pause, ~1 s at 1,000 open pages), everything is
unfrozen, collected and frozen again (`reclaim`), then the C allocator is asked to hand the freed
memory back to the system (`malloc_trim`): freed, it would otherwise stay in the process, since
glibc keeps free heap memory for reuse. The app also runs with two malloc arenas instead of one
per thread, and large blocks (page HTML, socket frames) mapped and unmapped on their own rather
than left as holes in the heap (`allocator_settings`, applied by main.py before anything runs).

Python's own small-object allocator keeps its 1 MiB arenas until they are wholly empty, which a
few long-lived survivors scattered through them prevent: `PYTHONMALLOC=malloc` gives more back
(bench/churn: 1.3 instead of 1.6 times the baseline after 3,500 page loads) but slows every
allocation (chat p95 at 1,000 pages 180 instead of 85 ms), so it is the operator's choice, not
the default. Measured in `bench/churn` and `bench/chat`.
"""

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import sys
import time

log = logging.getLogger(__name__)

THRESHOLDS = (50_000, 20, 100)
# Cheap (it moves the generations into the permanent one), so often: collections then only ever
# walk what two seconds allocated. Measured at 1,000 pages: chat p95 193 ms at 20 s, 92 ms at 2 s.
FREEZE_EVERY = 2.0
RECLAIM_CHECK_EVERY = 15.0
RECLAIM_AT_MOST_EVERY = 30.0
FULL_COLLECT_EVERY = 600.0  # even with no page closed: what other work left behind

_closed_since_reclaim = 0
_last_reclaim = 0.0
_last_closed = 0.0
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
_trim = getattr(_libc, "malloc_trim", None)  # glibc only


# Only set where the operator has not set them already. glibc reads them at process start.
ALLOCATOR = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "65536"}


def allocator_settings() -> None:
    """Restart this process (same pid, same arguments) with the allocator settings above, unless
    it runs with them already: the C allocator reads them once, when the process starts."""
    missing = {k: v for k, v in ALLOCATOR.items() if k not in os.environ}
    if missing and sys.platform == "linux":
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **missing})


def page_closed() -> None:
    """A page (a NiceGUI client) was deleted: its memory can be reclaimed."""
    global _closed_since_reclaim, _last_closed
    _closed_since_reclaim += 1
    _last_closed = time.monotonic()


def reclaim() -> int:
    """One full collection of everything, frozen or not, then freed memory back to the system."""
    global _closed_since_reclaim, _last_reclaim
    started = time.perf_counter()
    gc.unfreeze()
    freed = gc.collect()
    gc.freeze()
    if _trim is not None:
        _trim(0)
    _closed_since_reclaim, _last_reclaim = 0, time.monotonic()
    log.debug("reclaimed %d objects in %.0f ms", freed, (time.perf_counter() - started) * 1000)
    return freed


def _freeze(loop: asyncio.AbstractEventLoop) -> None:
    gc.collect(0)  # short-lived cycles go now rather than wait, frozen, for the next full collection
    gc.freeze()
    loop.call_later(FREEZE_EVERY, _freeze, loop)


def _check(loop: asyncio.AbstractEventLoop) -> None:
    now = time.monotonic()
    since = now - _last_reclaim
    # Pages closed, and either a while ago already, or none closing any more (the tabs are gone).
    quiet = now - _last_closed >= RECLAIM_CHECK_EVERY
    if (_closed_since_reclaim and (since >= RECLAIM_AT_MOST_EVERY or quiet)) or since >= FULL_COLLECT_EVERY:
        reclaim()
    loop.call_later(RECLAIM_CHECK_EVERY, _check, loop)


def tune(loop: asyncio.AbstractEventLoop) -> None:
    global _last_reclaim
    gc.set_threshold(*THRESHOLDS)
    _last_reclaim = time.monotonic()
    loop.call_later(FREEZE_EVERY, _freeze, loop)
    loop.call_later(RECLAIM_CHECK_EVERY, _check, loop)

"""A closed page's objects are cycles that only a collection frees, and frozen ones never are:
`reclaim` frees them (and asks the allocator to give the memory back)."""

import gc
import weakref

from helpdesk.runtime import memory


class Node:
    def __init__(self) -> None:
        self.peer: Node | None = None


def frozen_cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.peer, b.peer = b, a
    gc.freeze()  # as the server does every two seconds, with every live page in it
    return weakref.ref(a)


def test_reclaim_frees_frozen_garbage_that_collections_never_reach() -> None:
    try:
        cycle = frozen_cycle()  # its last outside reference is gone: garbage, but frozen
        gc.collect()
        assert cycle() is not None  # an ordinary collection does not see the permanent generation
        memory.page_closed()
        assert memory.reclaim() >= 2
        assert cycle() is None
        assert memory._closed_since_reclaim == 0
    finally:
        gc.unfreeze()


def test_the_app_runs_with_the_allocator_settings(tmp_path) -> None:
    from pathlib import Path

    from tests.support.app_process import App

    app = App(tmp_path / "app-data")
    app.env["HELPDESK_REMOTE_ENABLED"] = "false"
    with app:
        environment = Path(f"/proc/{app.process.pid}/environ").read_bytes().split(b"\0")  # type: ignore[union-attr]
    for name, value in memory.ALLOCATOR.items():
        assert f"{name}={value}".encode() in environment

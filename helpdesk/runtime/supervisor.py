"""The app's child processes (the REST API, the remote assistance bridge): each starts with the
app, is restarted if it dies, stops with the app, and ends by itself if the app dies without
stopping it."""

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
ROOT = Path(__file__).parents[2]
RESTART_DELAY = 1.0


class Supervisor:
    def __init__(self, name: str, module: str) -> None:
        self.name = name
        self.module = module
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._watch: asyncio.Task | None = None
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        await self._spawn()
        self._watch = asyncio.create_task(self._keep_alive(), name=f"{self.name} supervisor")

    async def _spawn(self) -> None:
        # Its own process group: a child may fork (websockify, one process per connection), and
        # stopping the child must stop those too.
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, cwd=ROOT, start_new_session=True
        )
        log.info("%s started (pid %s)", self.name, self.process.pid)

    async def _keep_alive(self) -> None:
        while not self._stopping:
            assert self.process is not None
            code = await self.process.wait()
            if self._stopping:
                return
            log.warning("%s exited with %s; restarting", self.name, code)
            self.restarts += 1
            await asyncio.sleep(RESTART_DELAY)
            if not self._stopping:
                await self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
        process = self.process
        if process is None or process.returncode is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=5)
        except (TimeoutError, ProcessLookupError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


def exit_with_parent() -> None:
    """Called in a child: if the app dies without stopping it, the child (and its group) go too."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.killpg(0, signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="parent watch").start()


bridge = Supervisor("remote assistance bridge", "helpdesk.bridge.server")
api_server = Supervisor("REST API", "helpdesk.api")

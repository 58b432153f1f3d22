"""Starts the remote assistance bridge with the app, restarts it if it dies, stops it with the app."""

import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

log = logging.getLogger(__name__)
ROOT = Path(__file__).parents[1]
RESTART_DELAY = 1.0


class BridgeSupervisor:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._watch: asyncio.Task | None = None
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        await self._spawn()
        self._watch = asyncio.create_task(self._keep_alive(), name="bridge supervisor")

    async def _spawn(self) -> None:
        # Its own process group: websockify forks one process per connection, and stopping the
        # bridge must stop those too.
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "helpdesk.bridge", cwd=ROOT, start_new_session=True
        )
        log.info("remote assistance bridge started (pid %s)", self.process.pid)

    async def _keep_alive(self) -> None:
        while not self._stopping:
            assert self.process is not None
            code = await self.process.wait()
            if self._stopping:
                return
            log.warning("remote assistance bridge exited with %s; restarting", code)
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


bridge = BridgeSupervisor()

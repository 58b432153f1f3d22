"""A real Redis for the cluster tests: Debian's redis-server on loopback, on a free port, nothing
written to disk; it can be stopped and started again on the same port (a Redis restart)."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from helpdesk.runtime.devcluster import redis_server
from tests.support.app_process import free_port


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = redis_server(self.port, self.root, self.root / "redis.log")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            except (redis.RedisError, OSError):
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

"""The app as its own process, on a free port, with its own data dir and SQLite file."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _workstation_address() -> str:
    """This machine's own non-loopback address: the tests' workstations listen there, since
    remote assistance never connects to loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # no packet is sent: it only picks the outgoing address
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        raise RuntimeError("The remote assistance tests need a network interface other than loopback.")
    return address


WORKSTATION = _workstation_address()
VNC_PORTS = (5900, 5999)
# What the tests allow remote assistance to reach: the test workstations, and the documentation
# network 10.0.0.0/8 that service tests use as addresses nothing listens on.
REMOTE_SETTINGS = {
    "HELPDESK_REMOTE_NETWORKS": f"{WORKSTATION}/32,10.0.0.0/8",
    "HELPDESK_REMOTE_PORTS": f"{VNC_PORTS[0]}-{VNC_PORTS[1]}",
}


def free_vnc_port() -> int:
    """A free port on the workstation address, in the allowed VNC range."""
    for port in range(VNC_PORTS[0] + os.getpid() % 50, VNC_PORTS[1] + 1):
        with socket.socket() as s:
            try:
                s.bind((WORKSTATION, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free VNC port")


class App:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        self.bridge_port = free_port()
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.env |= {
            "HELPDESK_API_PORT": str(self.api_port),
            "HELPDESK_DATA_DIR": str(data_dir),
            "HELPDESK_PORT": str(self.port),
            "HELPDESK_HOST": "127.0.0.1",
            "HELPDESK_REMOTE_ENABLED": "true",
            "HELPDESK_REMOTE_BRIDGE_PORT": str(self.bridge_port),
            **REMOTE_SETTINGS,
        }
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "app.log"

    def helpdesk(self, *args: str, stdin: str = "") -> None:
        done = subprocess.run(
            [sys.executable, "-m", "helpdesk.cli", *args],
            input=stdin,
            text=True,
            env=self.env,
            cwd=ROOT,
            capture_output=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"helpdesk {args[0]} failed: {done.stderr}")

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self._answers(self.url) and self._answers(self.api_url) and self._bridge_listens():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()  # never leave a half-started app behind
        raise RuntimeError("the app did not start:\n" + self.log.read_text())

    @staticmethod
    def _answers(url: str) -> bool:
        return httpx.get(url + "/healthz", timeout=1).status_code == 200

    def _bridge_listens(self) -> bool:
        if self.env["HELPDESK_REMOTE_ENABLED"] != "true":
            return True  # no bridge to wait for
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.bridge_port)) == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def __enter__(self) -> "App":
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()  # also when a bench or test fails half-way: no app is left running

    def server_errors(self) -> list[str]:
        """Tracebacks and ERROR lines the app logged: there must be none."""
        return [line for line in self.log.read_text().splitlines() if "Traceback" in line or "ERROR" in line]

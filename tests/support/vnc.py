"""Real remote-control peers for tests: a TigerVNC server showing a known picture, an X client
that records the keys reaching it, and a minimal RFB client speaking through the bridge."""

import os
import socket
import struct
import subprocess
import time
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

from tests.support.app_process import WORKSTATION, free_vnc_port

# The "known picture": the whole remote screen in this colour.
COLOUR = (30, 120, 200)


class VncServer:
    def __init__(self, workdir: Path) -> None:
        self.display = next(n for n in range(60, 99) if not Path(f"/tmp/.X11-unix/X{n}").exists())
        self.port = free_vnc_port()
        self.host = WORKSTATION
        self.keys_file = workdir / f"xev-{self.display}.log"
        self.processes: list[subprocess.Popen] = []

    def start(self) -> "VncServer":
        self.processes.append(
            subprocess.Popen(
                [
                    "Xvnc",
                    f":{self.display}",
                    "-geometry",
                    "800x600",
                    "-depth",
                    "24",
                    "-rfbport",
                    str(self.port),
                    "-interface",
                    WORKSTATION,
                    "-SecurityTypes",
                    "None",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{self.display}").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("Xvnc did not start")
            time.sleep(0.05)
        env = os.environ | {"DISPLAY": f":{self.display}"}
        colour = "#{:02x}{:02x}{:02x}".format(*COLOUR)
        subprocess.run(["xsetroot", "-solid", colour], env=env, check=True)
        with self.keys_file.open("wb") as out:
            self.processes.append(subprocess.Popen(["xev", "-root", "-event", "keyboard"], env=env, stdout=out))
        time.sleep(0.3)  # xev selects its events
        return self

    def pressed(self) -> list[str]:
        """Key names pressed on the remote screen so far, in order (from xev's report)."""
        blocks = self.keys_file.read_text(errors="replace").split("\n\n")
        return [b.split("keysym ")[1].split(", ")[1].split(")")[0] for b in blocks if b.strip().startswith("KeyPress")]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            process.wait(5)


class RfbOverWebSocket:
    """Just enough of an RFB client to prove what the bridge lets through."""

    def __init__(self, url: str, origin: str) -> None:
        self.ws: ClientConnection = connect(url, origin=origin, subprotocols=["binary"], open_timeout=5, legacy=True)
        self.buffer = b""

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self.ws.recv(timeout=5)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def handshake(self) -> tuple[int, int]:
        assert self._read(12).startswith(b"RFB 003.")
        self.ws.send(b"RFB 003.008\n")
        count = self._read(1)[0]
        assert 1 in self._read(count)
        self.ws.send(b"\x01")
        assert self._read(4) == b"\0\0\0\0"
        self.ws.send(b"\x01")  # shared
        header = self._read(24)
        self._read(struct.unpack(">I", header[20:24])[0])
        return struct.unpack(">HH", header[:4])

    def key(self, keysym: int) -> None:
        for down in (1, 0):
            self.ws.send(struct.pack(">BBxxI", 4, down, keysym))

    def pointer(self, x: int, y: int, buttons: int = 1) -> None:
        self.ws.send(struct.pack(">BBHH", 5, buttons, x, y))

    def request_update(self) -> None:
        self.ws.send(struct.pack(">BBHHHH", 3, 0, 0, 0, 8, 8))

    def closed_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            return False
        except Exception:
            return True
        return False

    def close(self) -> None:
        self.ws.close()


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0

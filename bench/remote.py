"""Remote assistance: time from the employee's Accept to the first frame, and what a streaming
session costs everyone else.

Real parts: the app (which starts its websockify bridge), a TigerVNC server, simulated NiceGUI
browsers (bench/nicegui_client.py) and an RFB client speaking through the bridge as noVNC does
(ZRLE, incremental updates, one request per frame received).

1. Accept to first frame: the technician's ticket page and the employee's page are open; the
   employee clicks Accept in the consent prompt (a UI event over the socket). Timed until the
   first FramebufferUpdate arrives, through: the live update that puts the viewer on the
   technician's page, the viewer page's HTTP load (which issues the one-use token), the bridge's
   WebSocket, the RFB handshake, and the first update. Repeated R times; median and max.
2. Streaming cost: U employees each send a UI event (their ticket table's sort request) every
   2 s and time the answer, first with no session, then while a session streams a screen that
   changes 20 times a second.

    python -m bench.remote [--users 100] [--repeats 5] [--seconds 15]
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.data import add_accounts, fresh_database  # noqa: E402
from bench.kiosk import Employee, p95  # noqa: E402
from bench.nicegui_client import PageTab  # noqa: E402
from tests.support.app_process import REMOTE_SETTINGS, App  # noqa: E402
from tests.support.vnc import VncServer  # noqa: E402

VIEWER = re.compile(rb"/remote/(\d+)/viewer")
TOKEN = re.compile(r'"token": "([^"]+)"')
URL = re.compile(r'"url": "([^"]+)"')


def prepare(data_dir: Path, n_users: int, repeats: int, vnc_host: str, vnc_port: int) -> dict:
    from helpdesk.core import db
    from helpdesk.core.config import get_settings
    from helpdesk.domain import auth, remote, tickets
    from models import Category, Priority, RemoteMode, Role, Ticket

    os.environ.update(REMOTE_SETTINGS)
    get_settings.cache_clear()
    fresh_database(data_dir)
    people = add_accounts(("tech", 1, Role.technician), ("employee", n_users + repeats, Role.employee))
    [technician], employees = people["tech"], people["employee"]
    with db.write_session() as session:
        for employee in employees[:n_users]:
            session.add(Ticket(title=f"Problem of {employee.name}", description="bench", priority=Priority.normal,
                               category=Category.other, requester_id=employee.id))  # fmt: skip
    consent = []
    for employee in employees[n_users:]:
        ticket = tickets.create(employee, f"Screen of {employee.name}", "bench", Priority.high, Category.hardware)
        tickets.take(technician, ticket.id)
        request = remote.request(technician, ticket.id, RemoteMode.control, vnc_host, vnc_port)
        consent.append((ticket.id, request.id, auth.start_session(employee)))
    result = {
        "technician": auth.start_session(technician),
        "users": [auth.start_session(e) for e in employees[:n_users]],
        "consent": consent,
        "streamer": None,
    }
    # One more accepted session for the streaming phase.
    streamer = employees[0]
    ticket = tickets.create(streamer, "Streaming screen", "bench", Priority.high, Category.hardware)
    tickets.take(technician, ticket.id)
    request = remote.request(technician, ticket.id, RemoteMode.view, vnc_host, vnc_port)
    remote.answer(streamer, request.id, True)
    result["streamer"] = request.id
    db.engine().dispose()
    return result


class RfbViewer:
    """noVNC's side of RFB, enough to time frames: ZRLE or raw rectangles, incremental requests."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.buffer = b""
        self.frames = 0
        self.width = self.height = 0

    async def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += await self.ws.recv()
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    async def handshake(self) -> None:
        await self.read(12)
        await self.ws.send(b"RFB 003.008\n")
        count = (await self.read(1))[0]
        await self.read(count)
        await self.ws.send(b"\x01")
        await self.read(4)
        await self.ws.send(b"\x01")
        header = await self.read(24)
        self.width, self.height = struct.unpack(">HH", header[:4])
        await self.read(struct.unpack(">I", header[20:24])[0])
        await self.ws.send(struct.pack(">BxH", 2, 2) + struct.pack(">ii", 16, 0))  # ZRLE, raw
        await self.request(incremental=False)

    async def request(self, incremental: bool = True) -> None:
        await self.ws.send(struct.pack(">BBHHHH", 3, int(incremental), 0, 0, self.width, self.height))

    async def next_frame(self) -> None:
        """Reads server messages up to the next FramebufferUpdate's end."""
        while True:
            kind = (await self.read(1))[0]
            if kind == 0:
                (rects,) = struct.unpack(">xH", await self.read(3))
                for _ in range(rects):
                    _x, _y, w, h, encoding = struct.unpack(">HHHHi", await self.read(12))
                    if encoding == 16:
                        await self.read(struct.unpack(">I", await self.read(4))[0])
                    elif encoding == 0:
                        await self.read(w * h * 4)
                self.frames += 1
                return
            if kind == 2:  # bell
                continue
            if kind == 3:  # server cut text
                await self.read(3)
                await self.read(struct.unpack(">I", await self.read(4))[0])
                continue
            raise RuntimeError(f"unexpected RFB message {kind}")


async def open_viewer(http: httpx.AsyncClient, app: App, cookie: str, session_id: int) -> RfbViewer:
    page = await http.get(f"/remote/{session_id}/viewer", cookies={"helpdesk_session": cookie})
    token, url = TOKEN.search(page.text), URL.search(page.text)
    assert token and url, page.text[:500]
    ws = await websockets.connect(f"{url.group(1)}?token={token.group(1)}", origin=app.url, max_size=None)
    viewer = RfbViewer(ws)
    await viewer.handshake()
    return viewer


def update_elements(frame: bytes) -> dict:
    try:
        message = json.loads(frame[2:])
    except ValueError:
        return {}
    return message[1] if message[0] == "update" and isinstance(message[1], dict) else {}


def find_button(elements: dict, label: str) -> tuple[str, str] | None:
    """(element id, click listener id) of a button with this label among NiceGUI elements."""
    for key, element in elements.items():
        if isinstance(element, dict) and element.get("props", {}).get("label") == label:
            for listener in element.get("events", []):
                if listener["type"] == "click":
                    return key, listener["listener_id"]
    return None


async def accept_to_first_frame(http: httpx.AsyncClient, app: App, data: dict) -> list[float]:
    times = []
    for ticket_id, session_id, employee_cookie in data["consent"]:
        stop = asyncio.Event()
        technician = await PageTab.open(
            http, app.port, f"/tickets/{ticket_id}", {"helpdesk_session": data["technician"]}
        )
        employee = await PageTab.open(http, app.port, "/", {"helpdesk_session": employee_cookie})
        accept: asyncio.Future = asyncio.get_running_loop().create_future()
        viewer_shown: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_employee(frame: bytes, _at: float, accept: asyncio.Future = accept) -> None:
            button = find_button(update_elements(frame), "Accept")
            if button and not accept.done():
                accept.set_result(button)

        def on_technician(frame: bytes, _at: float, shown: asyncio.Future = viewer_shown) -> None:
            if VIEWER.search(frame) and not shown.done():
                shown.set_result(True)

        # The prompt may already be in the page as loaded, or arrive as an update.
        if (button := find_button(employee.elements, "Accept")) is not None:
            accept.set_result(button)
        assert await technician.connect() and await employee.connect()
        listeners = [
            asyncio.create_task(technician.listen(on_technician, stop)),
            asyncio.create_task(employee.listen(on_employee, stop)),
        ]
        button = await asyncio.wait_for(accept, 10)
        started = time.monotonic()
        await employee.emit(*button)
        await asyncio.wait_for(viewer_shown, 10)
        viewer = await open_viewer(http, app, data["technician"], session_id)
        await viewer.next_frame()
        times.append(time.monotonic() - started)
        await viewer.ws.close()
        stop.set()
        await asyncio.gather(*listeners, return_exceptions=True)
    return times


def animate(vnc: VncServer, stop: threading.Event) -> None:
    """A screen that changes constantly: the whole desktop repainted 20 times a second."""
    env = os.environ | {"DISPLAY": f":{vnc.display}"}
    n = 0
    while not stop.is_set():
        n += 1
        subprocess.run(["xsetroot", "-solid", f"#{(n * 37) % 256:02x}{(n * 91) % 256:02x}{(n * 53) % 256:02x}"],
                       env=env, check=False)  # fmt: skip
        time.sleep(0.05)


async def streaming_cost(http: httpx.AsyncClient, app: App, data: dict, vnc: VncServer, seconds: float) -> dict:
    stop = asyncio.Event()
    employees = []
    for cookie in data["users"]:
        tab = await PageTab.open(http, app.port, "/", {"helpdesk_session": cookie})
        assert await tab.connect()
        employees.append(Employee(tab))
    listeners = [asyncio.create_task(e.tab.listen(e.on_update, stop)) for e in employees]
    actors = [asyncio.create_task(e.act(stop, i * 2.0 / len(employees))) for i, e in enumerate(employees)]
    calm_start = time.monotonic()
    await asyncio.sleep(seconds)
    calm = (calm_start + 1, time.monotonic())

    painting = threading.Event()
    painter = threading.Thread(target=animate, args=(vnc, painting), daemon=True)
    painter.start()
    viewer = await open_viewer(http, app, data["technician"], data["streamer"])
    stream_start = time.monotonic()

    async def watch() -> None:
        while not stop.is_set():
            await viewer.next_frame()
            await viewer.request()

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(seconds)
    streaming = (stream_start + 1, time.monotonic())
    frames = viewer.frames
    stop.set()
    painting.set()
    watcher.cancel()
    await viewer.ws.close()
    await asyncio.gather(*actors, *listeners, return_exceptions=True)
    samples = [s for e in employees for s in e.samples]

    def window(span: tuple[float, float]) -> list[float]:
        return [lat * 1000 for sent, lat in samples if span[0] <= sent <= span[1]]

    return {"calm": window(calm), "streaming": window(streaming), "fps": frames / (streaming[1] - stream_start)}


async def run(n_users: int, repeats: int, seconds: float) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-remote-"))
    vnc = VncServer(data_dir).start()
    try:
        data = prepare(data_dir, n_users, repeats, vnc.host, vnc.port)
        app = App(data_dir)
        app.start()
        try:
            async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
                accept = await accept_to_first_frame(http, app, data)
                cost = await streaming_cost(http, app, data, vnc, seconds)
        finally:
            app.stop()
        errors = app.server_errors()
    finally:
        vnc.stop()
    print(f"\nremote: accept to first frame, {repeats} sessions (TigerVNC 800x600, ZRLE)\n")
    print("| median s | max s |")
    print("|---:|---:|")
    print(f"| {statistics.median(accept):.3f} | {max(accept):.3f} |")
    print(f"\n{n_users} employees acting every 2 s; a session streaming a screen repainted 20 times/s\n")
    print("| phase | UI events | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for name in ("calm", "streaming"):
        values = cost[name]
        print(f"| {name} | {len(values)} | {statistics.median(values):.1f} | {p95(values):.1f} |")
    print(f"\nratio of p95s: {p95(cost['streaming']) / p95(cost['calm']):.2f}; frames received during streaming: "
          f"{cost['fps']:.1f}/s; server errors: {len(errors)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.users, args.repeats, args.seconds))


if __name__ == "__main__":
    main()

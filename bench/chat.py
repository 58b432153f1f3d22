"""Chat delivery at scale: N simulated browsers on R tickets, M messages per second.

Each simulated client acts as a NiceGUI browser: it GETs the ticket page (the server builds the
page's Client), then opens a fresh websocket to NiceGUI's socket.io endpoint with that page's
client id, answers pings and acknowledges updates, and stays connected. One client per ticket
is the requester's page and sends the messages as a browser does: it types into the chat box
and clicks Send (two UI events over the socket; the server saves, then publishes). The other
clients are technicians viewing the tickets. `--via api` posts through the REST API instead.
A client records a delivery when an update carrying the message's marker reaches it. For each
N the app runs in a fresh process; memory per client is the growth of the server's RSS once the
N clients are connected, divided by N.

    python -m bench.chat [--clients 100 500 1000] [--tickets 100] [--rate 50] [--seconds 15]
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.data import add_accounts, fresh_database  # noqa: E402
from tests.support.app_process import App  # noqa: E402  (the same launcher the end-to-end tests use)

MARKER = re.compile(rb"bench#(\d+)#")
MESSAGE_ID = re.compile(rb'"_id":\s*(\d+)')
CLIENT_ID = re.compile(r"'client_id': '([0-9a-f-]+)'")
ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)


def composer(page_html: str) -> tuple[str, str]:
    """The socket events a browser sends to type `{text}` into the chat box and click Send."""
    elements = json.loads(ELEMENTS.search(page_html).group(1))  # type: ignore[union-attr]
    box = next((k, v) for k, v in elements.items() if v.get("props", {}).get("placeholder") == "Write a message…")
    send = next((k, v) for k, v in elements.items() if v.get("props", {}).get("icon") == "send")
    typed = next(e["listener_id"] for e in box[1]["events"] if e["type"] == "update:value")
    click = next(e["listener_id"] for e in send[1]["events"] if e["type"] == "click")
    return (
        f'42["event",{{"id":{box[0]},"client_id":"%s","listener_id":"{typed}","args":[%s]}}]',
        f'42["event",{{"id":{send[0]},"client_id":"%s","listener_id":"{click}","args":[]}}]',
    )


class Stats:
    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.connected = 0
        self.dropped = 0
        self.per_client: dict[str, int] = {}


def prepare(data_dir: Path, n_tickets: int, n_technicians: int) -> tuple[list[int], list[str], list[str], list[str]]:
    """Accounts, tickets and tokens, written straight into the app's database before it starts."""
    from sqlmodel import select

    from helpdesk.core import db
    from helpdesk.domain import auth
    from models import Category, Priority, Role, Ticket

    fresh_database(data_dir)
    people = add_accounts(("tech", n_technicians, Role.technician), ("employee", n_tickets, Role.employee))
    technicians, employees = people["tech"], people["employee"]
    with db.write_session() as session:
        for employee in employees:
            session.add(Ticket(title=f"Bench ticket of {employee.name}", description="bench", priority=Priority.normal,
                               category=Category.other, requester_id=employee.id))  # fmt: skip
    with db.read_session() as session:
        ticket_ids = [t.id for t in session.exec(select(Ticket).order_by(Ticket.id))]
    sessions = [auth.start_session(t) for t in technicians]
    requester_sessions = [auth.start_session(e) for e in employees]
    api_tokens = [auth.start_api_token(e)[0] for e in employees]
    db.engine().dispose()
    return ticket_ids, sessions, requester_sessions, api_tokens


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def browser(
    app: App,
    http: httpx.AsyncClient,
    cookie: str,
    ticket_id: int,
    stats: Stats,
    stop: asyncio.Event,
    outbox: asyncio.Queue | None = None,
) -> None:
    page = await http.get(f"/tickets/{ticket_id}", cookies={"helpdesk_session": cookie})
    client_id = CLIENT_ID.search(page.text).group(1)  # type: ignore[union-attr]
    typing, clicking = composer(page.text) if outbox is not None else ("", "")
    url = (
        f"ws://127.0.0.1:{app.port}/_nicegui_ws/socket.io/?client_id={client_id}&next_message_id=0"
        f"&implicit_handshake=true&document_id={uuid.uuid4()}&tab_id={uuid.uuid4()}&old_tab_id=null"
        "&EIO=4&transport=websocket"
    )
    async with websockets.connect(url, max_size=None, compression=None, open_timeout=60) as ws:
        await ws.recv()  # engine.io open packet
        await ws.send("40")
        if not str(await ws.recv()).startswith("40"):
            stats.dropped += 1
            return
        stats.connected += 1

        async def send_messages() -> None:
            while outbox is not None:
                number = await outbox.get()
                stats.sent_at[number] = time.perf_counter()
                await ws.send(
                    typing % (client_id, json.dumps(json.dumps(f"bench#{number}# hello")))
                )  # args are JSON in JSON
                await ws.send(clicking % client_id)

        sender = asyncio.create_task(send_messages()) if outbox is not None else None
        seen: set[int] = set()
        next_id, acked, last_ack = 0, 0, time.monotonic()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(decode=False), timeout=1.0)
            except TimeoutError:
                frame = b""
            except websockets.ConnectionClosed:
                stats.dropped += 1
                break
            if frame == b"2":
                await ws.send("3")
            elif frame.startswith(b"42"):
                now = time.perf_counter()
                # Only a chat bubble counts (not the sender's own typing echoed back), once per message.
                markers = MARKER.findall(frame) if b"q-message-text" in frame else []
                for marker in markers:
                    sent = stats.sent_at.get(int(marker))
                    if sent is not None and int(marker) not in seen:
                        seen.add(int(marker))
                        stats.latencies.append(now - sent)
                        stats.per_client[client_id] = stats.per_client.get(client_id, 0) + 1
                ids = MESSAGE_ID.findall(frame)
                if ids:
                    next_id = max(next_id, int(ids[-1]) + 1)
            if next_id > acked and time.monotonic() - last_ack > 3:
                await ws.send(f'42["ack",{{"client_id":"{client_id}","next_message_id":{next_id}}}]')
                acked, last_ack = next_id, time.monotonic()
        if sender is not None:
            sender.cancel()


async def run_one(n_clients: int, n_tickets: int, rate: float, seconds: float, n_technicians: int, via: str) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"helpdesk-bench-chat-{n_clients}-"))
    ticket_ids, sessions, requester_sessions, api_tokens = prepare(data_dir, n_tickets, n_technicians)
    senders = n_tickets if via == "ui" else 0  # the requesters' own pages, part of the N clients
    outboxes: list[asyncio.Queue] = [asyncio.Queue() for _ in range(senders)]
    app = App(data_dir)
    app.env["HELPDESK_CHAT_RATE"] = "1000000/minute"
    with app:
        assert app.process is not None
        stats, stop = Stats(), asyncio.Event()
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=app.url, limits=limits, timeout=60) as http:
            await http.get("/login")
            base_rss = rss_kb(app.process.pid)
            tasks, gate = [], asyncio.Semaphore(20)

            async def start(i: int) -> None:
                async with gate:
                    if i < senders:
                        client = browser(app, http, requester_sessions[i], ticket_ids[i], stats, stop, outboxes[i])
                    else:
                        client = browser(app, http, sessions[i % len(sessions)], ticket_ids[i % n_tickets], stats, stop)
                    task = asyncio.create_task(client)
                    tasks.append(task)
                    while stats.connected + stats.dropped <= i and not task.done():
                        await asyncio.sleep(0.01)

            connect_start = time.perf_counter()
            await asyncio.gather(*(start(i) for i in range(n_clients)))
            connect_seconds = time.perf_counter() - connect_start
            await asyncio.sleep(3)
            per_client_kb = (rss_kb(app.process.pid) - base_rss) / max(1, stats.connected)

            viewers = {t: 0 for t in ticket_ids}
            for i in range(stats.connected):
                viewers[ticket_ids[i % n_tickets]] += 1
            expected = 0
            interval, seq, posts = 1.0 / rate, 0, []

            async def post(number: int, index: int) -> None:
                stats.sent_at[number] = time.perf_counter()
                response = await http.post(
                    f"{app.api_url}/api/v1/tickets/{ticket_ids[index]}/messages",
                    json={"body": f"bench#{number}# hello"},
                    headers={"Authorization": f"Bearer {api_tokens[index]}"},
                )
                assert response.status_code == 201, response.text

            async def send(number: int, index: int) -> None:
                if via == "ui":
                    outboxes[index].put_nowait(number)
                else:
                    await post(number, index)

            # On schedule, whatever the previous request's latency (an open-loop load, like real users).
            if os.environ.get("BENCH_PROFILE"):  # py-spy samples of the server during the load
                profile = ["py-spy", "record", "-d", str(int(seconds)), "-r", "50", "--format", "raw"]
                profile += ["-o", os.environ["BENCH_PROFILE"], "--pid", str(app.process.pid)]
                subprocess.Popen(profile, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            start_time = time.perf_counter()
            while time.perf_counter() - start_time < seconds:
                index = seq % n_tickets
                posts.append(asyncio.create_task(send(seq, index)))
                expected += viewers[ticket_ids[index]]
                seq += 1
                await asyncio.sleep(max(0.0, start_time + seq * interval - time.perf_counter()))
            await asyncio.gather(*posts)
            sent_rate = seq / (time.perf_counter() - start_time)
            await asyncio.sleep(3)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
    errors = app.server_errors()
    lat = sorted(x * 1000 for x in stats.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
    return {
        "clients": n_clients,
        "connected": stats.connected,
        "connect_s": connect_seconds,
        "messages": seq,
        "rate": sent_rate,
        "expected": expected,
        "delivered": len(lat),
        "p50": statistics.median(lat) if lat else 0.0,
        "p95": q[94],
        "p99": q[98],
        "kb_per_client": per_client_kb,
        "server_errors": len(errors),
        "dropped": stats.dropped,
        "silent_clients": stats.connected - len(stats.per_client),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--technicians", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--via", choices=["ui", "api"], default="ui", help="send from the requester's page, or the API")
    args = parser.parse_args()
    rows = [
        asyncio.run(run_one(n, args.tickets, args.rate, args.seconds, args.technicians, args.via)) for n in args.clients
    ]
    print(f"\nchat: {args.tickets} tickets, {args.rate:g} messages/s for {args.seconds:g} s, sent via {args.via}\n")
    head = ["clients", "connected", "dropped", "connect s", "messages (/s)", "deliveries", "p50 ms", "p95 ms", "p99 ms"]
    head.append("KB/client")
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in rows:
        cells = [
            r["clients"],
            r["connected"],
            r["dropped"],
            f"{r['connect_s']:.1f}",
            f"{r['messages']} ({r['rate']:.0f})",
        ]
        cells += [f"{r['delivered']}/{r['expected']}", f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['p99']:.1f}"]
        cells += [f"{r['kb_per_client']:.0f}"]
        print("| " + " | ".join(str(c) for c in cells) + " |")
        if r["server_errors"] or r["silent_clients"]:
            print(f"  server errors: {r['server_errors']}, clients that received nothing: {r['silent_clients']}")


if __name__ == "__main__":
    main()

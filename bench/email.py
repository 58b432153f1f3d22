"""Email under load: N changes that each cause one notification, delivered to a local SMTP server
(aiosmtpd, in this process), while connected users chat; their chat delivery p95 is compared
with a calm period just before.

The changes are technicians' public replies through the REST API, one per ticket, each to a
requester who has no page open (so none is skipped as seen). The users are the chat bench's
simulated browsers (bench/chat.py): requesters' pages sending at a steady rate, technicians'
pages viewing. Each run is made without email, then with it at each `--delay` (0: the emails are
made while the changes still come; the app's default is 120 s), so that what the changes cost
the chat and what the emails add are both visible. "During" is from the first change until the
last email arrived (at least 10 s), split into during the changes and after them.

    python -m bench.email [--changes 1000] [--change-rate 100] [--clients 100] [--rate 10] [--delay 0 15]
    BENCH_PROFILE=app.txt python -m bench.email   # py-spy samples of the app while the emails go out
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat import Stats, browser  # noqa: E402
from bench.data import add_accounts, fresh_database  # noqa: E402
from tests.support.app_process import App  # noqa: E402
from tests.support.mail import free_port  # noqa: E402


class CountingSmtp:
    """bench/smtp_counter.py in its own process: receiving 1,000 emails is CPU work that must not
    slow the simulated browsers measuring the chat."""

    def __init__(self) -> None:
        self.port = free_port()
        self.count_file = Path(tempfile.mkdtemp(prefix="helpdesk-bench-smtp-")) / "received"
        self.count_file.touch()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_counter", str(self.port), str(self.count_file)], cwd=ROOT
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)

    @property
    def received(self) -> int:
        return len(self.count_file.read_text().splitlines())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def prepare(data_dir: Path, n_changes: int, n_chat_tickets: int) -> dict:
    from sqlalchemy import insert
    from sqlmodel import select

    from helpdesk.core import db
    from helpdesk.domain import auth
    from models import Category, Priority, Role, Ticket

    fresh_database(data_dir)
    people = add_accounts(
        ("tech", 10, Role.technician), ("chatter", n_chat_tickets, Role.employee), ("mailed", n_changes, Role.employee)
    )
    rows = [
        {"title": f"Bench ticket of {p.name}", "description": "bench", "priority": Priority.normal,
         "priority_rank": 1, "category": Category.other, "requester_id": p.id}
        for p in people["chatter"] + people["mailed"]
    ]  # fmt: skip
    with db.write_session() as session:
        session.execute(insert(Ticket), rows)
    with db.read_session() as session:
        ids = [t.id for t in session.exec(select(Ticket).order_by(Ticket.id))]
    result = {
        "chat_tickets": ids[:n_chat_tickets],
        "mailed_tickets": ids[n_chat_tickets:],
        "tech_sessions": [auth.start_session(t) for t in people["tech"]],
        "chatter_sessions": [auth.start_session(e) for e in people["chatter"]],
        "tech_tokens": [auth.start_api_token(t)[0] for t in people["tech"]],
    }
    db.engine().dispose()
    return result


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] * 1000 if len(values) > 1 else 0.0


async def run(
    n_changes: int, n_clients: int, rate: float, calm_seconds: float, change_rate: float, delay: float, email: bool
) -> dict:
    smtp = CountingSmtp()
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-email-"))
    n_chat = max(1, n_clients // 4)
    data = prepare(data_dir, n_changes, n_chat)
    app = App(data_dir)
    app.env |= {
        "HELPDESK_SMTP_URL": smtp.url if email else "",
        "HELPDESK_MAIL_DELAY_SECONDS": str(delay),
        "HELPDESK_MAIL_NEW_TICKETS": "false",
        "HELPDESK_CHAT_RATE": "1000000/minute",
        "HELPDESK_REMOTE_ENABLED": "false",
    }
    try:
        with app:
            return await _measure(app, smtp, data, n_changes, n_clients, n_chat, rate, calm_seconds, change_rate)
    finally:
        smtp.stop()


async def _measure(
    app: App,
    smtp: CountingSmtp,
    data: dict,
    n_changes: int,
    n_clients: int,
    n_chat: int,
    rate: float,
    calm: float,
    change_rate: float,
) -> dict:
    stats, stop = Stats(), asyncio.Event()
    outboxes = [asyncio.Queue() for _ in range(n_chat)]
    async with httpx.AsyncClient(base_url=app.url, limits=httpx.Limits(max_connections=50), timeout=60) as http:
        tasks = []
        for i in range(n_clients):
            ticket = data["chat_tickets"][i % n_chat]
            if i < n_chat:
                client = browser(app, http, data["chatter_sessions"][i], ticket, stats, stop, outboxes[i])
            else:
                client = browser(app, http, data["tech_sessions"][i % len(data["tech_sessions"])], ticket, stats, stop)
            tasks.append(asyncio.create_task(client))
        while stats.connected + stats.dropped < n_clients:
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)

        sequence = iter(range(10**9))
        chatting = asyncio.Event()

        async def chat() -> None:
            while not chatting.is_set():
                number = next(sequence)
                outboxes[number % n_chat].put_nowait(number)
                await asyncio.sleep(1 / rate)

        chatter = asyncio.create_task(chat())
        await asyncio.sleep(calm)
        calm_latencies = list(stats.latencies)
        stats.latencies.clear()

        async def change(index: int, ticket_id: int) -> None:
            token = data["tech_tokens"][index % len(data["tech_tokens"])]
            response = await http.post(
                f"{app.api_url}/api/v1/tickets/{ticket_id}/messages",
                json={"body": f"Reply {index}: please restart."},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.text

        if os.environ.get("BENCH_PROFILE") and app.env["HELPDESK_SMTP_URL"]:  # py-spy samples of the app
            assert app.process is not None
            profile = [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "-d",
                "14",
                "-r",
                "100",
                "--format",
                "raw",
                "--threads",
            ]
            profile += ["-o", os.environ["BENCH_PROFILE"], "--pid", str(app.process.pid)]
            subprocess.Popen(profile, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The changes come on schedule (an open loop, like people working), `change_rate` a second.
        start, posts = time.perf_counter(), []
        for index, ticket_id in enumerate(data["mailed_tickets"]):
            posts.append(asyncio.create_task(change(index, ticket_id)))
            await asyncio.sleep(max(0.0, start + (index + 1) / change_rate - time.perf_counter()))
        await asyncio.gather(*posts)
        changes_done = time.perf_counter() - start
        during_changes = len(stats.latencies)
        expected = n_changes if app.env["HELPDESK_SMTP_URL"] else 0
        while smtp.received < expected and time.perf_counter() - start < 300:
            await asyncio.sleep(0.05)
        delivered_after = time.perf_counter() - start
        busy_latencies = list(stats.latencies)
        chatting.set()
        await chatter
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "changes": n_changes,
        "changes_s": changes_done,
        "delivered": smtp.received,
        "delivered_s": delivered_after,
        "calm_p95": p95(calm_latencies),
        "busy_p95": p95(busy_latencies),
        "changes_p95": p95(busy_latencies[:during_changes]),
        "after_p95": p95(busy_latencies[during_changes:]),
        "after_n": len(busy_latencies) - during_changes,
        "calm_n": len(calm_latencies),
        "busy_n": len(busy_latencies),
        "errors": len(app.server_errors()),
        "connected": stats.connected,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10, help="chat messages per second during both periods")
    parser.add_argument("--calm-seconds", type=float, default=15)
    parser.add_argument("--change-rate", type=float, default=100, help="changes (API replies) per second")
    parser.add_argument("--delay", type=float, nargs="+", default=[0, 15], help="HELPDESK_MAIL_DELAY_SECONDS")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    rows = []
    for _ in range(args.runs):
        for email in (False, True):
            for delay in args.delay:
                row = asyncio.run(
                    run(args.changes, args.clients, args.rate, args.calm_seconds, args.change_rate, delay, email)
                )
                rows.append(row | {"email": email, "delay": delay})
                if not email:
                    break  # without email the delay changes nothing
    title = f"{args.changes} notifications from as many API replies ({args.change_rate:g}/s); "
    title += f"{args.clients} users chatting at {args.rate:g}/s"
    print(f"\nemail: {title}\n")
    head = ["email (delay s)", "connected", "changes done s", "emails delivered", "all delivered s", "chat p95 calm ms",
            "chat p95 during ms", "ratio", "of which during the changes", "after them", "server errors"]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in rows:
        ratio = r["busy_p95"] / r["calm_p95"] if r["calm_p95"] else 0.0
        cells = [f"on ({r['delay']:g})" if r["email"] else "off", r["connected"], f"{r['changes_s']:.1f}",
                 f"{r['delivered']}/{r['changes']}", f"{r['delivered_s']:.1f}", f"{r['calm_p95']:.1f} ({r['calm_n']})",
                 f"{r['busy_p95']:.1f} ({r['busy_n']})", f"{ratio:.2f}", f"{r['changes_p95']:.1f}",
                 f"{r['after_p95']:.1f} ({r['after_n']})", r["errors"]]  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()

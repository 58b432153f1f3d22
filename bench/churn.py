"""Memory under page churn: N tabs open and close ticket pages for M minutes, then all close.

Each simulated tab does what a browser tab does (bench/nicegui_client.py): GET a ticket page,
hold its socket for one to four seconds (answering pings), close it, and open another. The app
runs in its own process; its RSS is read from /proc before, every second during the churn, and
for a while after the last tab closed. The target: about a minute after the last tab closed,
RSS is back within 20 % of the baseline: the app with no page open, after a 15-second warm-up
with the same tabs whose pages have closed since (caches, pools and worker threads filled).

    python -m bench.churn [--tabs 200] [--minutes 3] [--after 90]
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat import rss_kb  # noqa: E402
from bench.data import add_accounts, fresh_database  # noqa: E402
from bench.nicegui_client import PageTab  # noqa: E402
from tests.support.app_process import App  # noqa: E402


def prepare(data_dir: Path, tickets: int) -> tuple[list[int], str, str]:
    from helpdesk.core import db
    from helpdesk.domain import auth, chat
    from helpdesk.domain import tickets as ticket_service
    from models import Category, Priority, Role

    fresh_database(data_dir)
    people = add_accounts(("tech", 1, Role.technician), ("employee", 1, Role.employee))
    technician, employee = people["tech"][0], people["employee"][0]
    ids = []
    for n in range(tickets):
        ticket = ticket_service.create(
            employee, f"Churn ticket {n}", "A page to open.", Priority.normal, Category.other
        )
        for m in range(5):
            chat.post(technician if m % 2 else employee, ticket.id, f"message {m} of ticket {n}")
            chat.reset_rate_limit()
        ids.append(ticket.id)
    sessions = auth.start_session(technician), auth.start_session(employee)
    db.engine().dispose()
    return ids, *sessions


async def tab(app: App, http: httpx.AsyncClient, cookies: list[str], ids: list[int], until: float, loads: list) -> None:
    while time.monotonic() < until:
        try:
            page = await PageTab.open(
                http, app.port, f"/tickets/{random.choice(ids)}", {"helpdesk_session": random.choice(cookies)}
            )
            if not await page.connect():
                continue
            loads.append(1)
            stop = asyncio.Event()
            listening = asyncio.create_task(page.listen(lambda _frame, _at: None, stop))
            await asyncio.sleep(random.uniform(1.0, 4.0))
            stop.set()
            await listening
        except (httpx.HTTPError, websockets.WebSocketException, OSError, TimeoutError):
            await asyncio.sleep(0.5)


async def sample(pid: int, until: float, samples: list[int]) -> None:
    while time.monotonic() < until:
        samples.append(rss_kb(pid))
        await asyncio.sleep(1.0)


async def run(tabs: int, minutes: float, after: float, tickets: int) -> None:
    with tempfile.TemporaryDirectory(prefix="churn") as folder:
        ids, *cookies = prepare(Path(folder) / "data", tickets)
        app = App(Path(folder) / "data")
        app.env["HELPDESK_REMOTE_ENABLED"] = "false"
        with app:
            pid = app.process.pid  # type: ignore[union-attr]
            limits = httpx.Limits(max_connections=tabs + 10)
            async with httpx.AsyncClient(base_url=app.url, timeout=60, limits=limits) as http:
                # Warm-up: the same tabs for 15 s fill the caches, connection pools and worker
                # threads a busy app holds anyway; then their pages close and are reclaimed.
                warm: list = []
                warm_until = time.monotonic() + 15
                await asyncio.gather(*(tab(app, http, list(cookies), ids, warm_until, warm) for _ in range(tabs)))
                await asyncio.sleep(75)
                baseline = rss_kb(pid)
                loads: list = []
                during: list[int] = []
                end = time.monotonic() + minutes * 60
                started = time.monotonic()
                await asyncio.gather(
                    sample(pid, end, during), *(tab(app, http, list(cookies), ids, end, loads) for _ in range(tabs))
                )
                closed_at = time.monotonic()
                after_samples: list[tuple[float, int]] = []
                while time.monotonic() - closed_at < after:
                    after_samples.append((time.monotonic() - closed_at, rss_kb(pid)))
                    await asyncio.sleep(5)
        rate = len(loads) / (closed_at - started)
        print(f"\n{tabs} tabs for {minutes:g} min: {len(loads):,} page loads ({rate:.1f}/s)\n")
        print("| moment | RSS MB | vs baseline |")
        print("|---|---:|---:|")

        def row(label: str, kb: float) -> None:
            print(f"| {label} | {kb / 1024:.0f} | {kb / baseline:.2f} |")

        row("baseline (no page open)", baseline)
        row("peak during churn", max(during))
        row("median during churn", statistics.median(during))
        for moment in (15, 30, 60, 90, 120):
            value = next((rss for at, rss in after_samples if at >= moment), None)
            if value is not None:
                row(f"{moment} s after the last tab closed", value)
        print("\nTarget: about a minute after the last tab closed, within 1.20 of the baseline.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tabs", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--after", type=float, default=125.0, help="seconds to watch after the last tab closed")
    parser.add_argument("--tickets", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.tabs, args.minutes, args.after, args.tickets))


if __name__ == "__main__":
    main()

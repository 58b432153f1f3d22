"""Technician queue at scale: generate 100,000 tickets with timelines and 500,000 chat messages,
then time the queue's first pages, filtered pages and searches through
`helpdesk.domain.queue.list_tickets`, the code the page and the API call. Prints p50/p95 of one
reader at a time (target: p95 under 100 ms each) and p95 with 20 readers at once (under 200 ms).

    python -m bench.queue [--tickets 100000] [--messages 500000] [--runs 50] [--concurrency 20]
"""

import argparse
import os
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = [
    "printer",
    "scanner",
    "vpn",
    "outlook",
    "excel",
    "laptop",
    "screen",
    "keyboard",
    "mouse",
    "wifi",
    "network",
    "password",
    "account",
    "badge",
    "phone",
    "teams",
    "browser",
    "update",
    "disk",
    "slow",
    "crash",
    "freeze",
    "error",
    "login",
    "access",
    "share",
    "drive",
    "license",
    "backup",
    "camera",
    "sound",
]


def generate(n_tickets: int, n_messages: int) -> None:
    from sqlalchemy import insert

    from helpdesk.core import db, security
    from models import Category, Priority, Role, Status, Ticket, TicketEvent, TicketEventKind, User
    from models.ticket import PRIORITY_RANK

    rng = random.Random(42)
    one_hash = security.hash_password("bench password")  # one argon2 hash shared by every generated account
    now = datetime.now(UTC)
    with db.write_session() as session:
        session.execute(
            insert(User),
            [
                {
                    "email": f"user{i}@bench.example",
                    "name": f"User {i}",
                    "role": Role.employee if i >= 20 else Role.technician,
                    "is_admin": i == 0,
                    "is_active": True,
                    "password_hash": one_hash,
                    "token_version": 1,
                    "created_at": now,
                }
                for i in range(520)
            ],
        )
    technicians, employees = list(range(1, 21)), list(range(21, 521))
    batch = 10_000
    for start in range(0, n_tickets, batch):
        rows, events = [], []
        for i in range(start, min(start + batch, n_tickets)):
            created = now - timedelta(minutes=(n_tickets - i) * 5)
            status = rng.choices([Status.resolved, Status.open, Status.in_progress], [70, 18, 12])[0]
            assignee = None if status == Status.open and rng.random() < 0.6 else rng.choice(technicians)
            priority = rng.choices(list(Priority), [20, 50, 22, 8])[0]
            words = rng.sample(WORDS, 6)
            updated = created + timedelta(minutes=rng.randint(1, 600))
            rows.append(
                {
                    "id": i + 1,
                    "title": " ".join(words[:3]).capitalize(),
                    "description": " ".join(words) + " " + "details " * 20,
                    "priority": priority,
                    "priority_rank": PRIORITY_RANK[priority],
                    "category": rng.choice(list(Category)),
                    "status": status,
                    "requester_id": rng.choice(employees),
                    "assignee_id": assignee,
                    "created_at": created,
                    "updated_at": updated,
                    "first_response_at": updated if assignee else None,
                    "resolved_at": updated if status == Status.resolved else None,
                }
            )
            events.append(
                {
                    "ticket_id": i + 1,
                    "actor_id": rows[-1]["requester_id"],
                    "kind": TicketEventKind.created,
                    "from_value": None,
                    "to_value": "open",
                    "created_at": created,
                }
            )
            if assignee:
                events.append(
                    {
                        "ticket_id": i + 1,
                        "actor_id": assignee,
                        "kind": TicketEventKind.assignee,
                        "from_value": None,
                        "to_value": str(assignee),
                        "created_at": updated,
                    }
                )
            if status != Status.open:
                events.append(
                    {
                        "ticket_id": i + 1,
                        "actor_id": assignee,
                        "kind": TicketEventKind.status,
                        "from_value": "open",
                        "to_value": status.value,
                        "created_at": updated,
                    }
                )
        with db.write_session() as session:
            session.execute(insert(Ticket), rows)
            session.execute(insert(TicketEvent), events)
        print(f"  {min(start + batch, n_tickets):>7} tickets", flush=True)
    generate_messages(rng, n_tickets, n_messages, technicians, now)
    with db.engine().connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def generate_messages(rng: random.Random, n_tickets: int, n_messages: int, technicians: list[int], now) -> None:
    """Chat messages spread over the tickets, one in ten an internal note, indexed by the triggers."""
    from sqlalchemy import insert

    from helpdesk.core import db
    from models import Message

    batch = 20_000
    for start in range(0, n_messages, batch):
        rows = []
        for i in range(start, min(start + batch, n_messages)):
            internal = rng.random() < 0.1
            rows.append(
                {
                    "ticket_id": rng.randint(1, n_tickets),
                    "author_id": rng.choice(technicians) if internal or rng.random() < 0.5 else rng.randint(21, 520),
                    "body": " ".join(rng.sample(WORDS, 4)) + " " + rng.choice(MESSAGE_TAILS),
                    "internal": internal,
                    "created_at": now - timedelta(seconds=n_messages - i),
                }
            )
        with db.write_session() as session:
            session.execute(insert(Message), rows)
        print(f"  {min(start + batch, n_messages):>7} messages", flush=True)


MESSAGE_TAILS = [
    "thanks, that works now",
    "still the same after a restart",
    "can you try again this afternoon",
    "replaced the toner cartridge",
    "the driver was out of date",
    "I will come by your desk",
]


def concurrent(fn, workers: int, runs: int) -> list[float]:
    """Each of `workers` threads calls fn `runs` times, all at once; every call's time."""
    times: list[float] = []
    lock = threading.Lock()
    start_line = threading.Barrier(workers)

    def worker() -> None:
        start_line.wait()
        mine = timed(fn, runs)
        with lock:
            times.extend(mine)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    return times


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--data-dir", default="/tmp/helpdesk-bench")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) / f"{args.tickets}-{args.messages}"
    os.environ["HELPDESK_DATA_DIR"] = str(data_dir)

    from sqlalchemy import func
    from sqlmodel import select

    from helpdesk.core import db
    from helpdesk.domain import queue, users
    from helpdesk.domain.queue import QueueQuery, Sort, View
    from models import Category, Message, Priority, Ticket

    db.init()
    db.migrate()
    with db.read_session() as session:  # generated once per database (SQLite file or DATABASE_URL)
        fresh = session.exec(select(func.count()).select_from(Ticket)).one() == 0
    if fresh:
        print(f"generating {args.tickets} tickets into {data_dir} ...")
        generate(args.tickets, args.messages)
    with db.read_session() as session:
        count = session.exec(select(func.count()).select_from(Ticket)).one()
    technician = users.get(1)
    assert technician is not None

    cases = {
        "first page: unassigned, newest first": QueueQuery(view=View.unassigned),
        "first page: all open, newest first": QueueQuery(view=View.open),
        "first page: all open, by priority": QueueQuery(view=View.open, sort=Sort.priority),
        "first page: mine": QueueQuery(view=View.mine),
        "first page: all, by title": QueueQuery(view=View.all, sort=Sort.title, descending=False),
        "filtered: urgent network, page 3": QueueQuery(
            view=View.all, priority=Priority.urgent, category=Category.network, page=3
        ),
        "filtered: resolved, page 200": QueueQuery(view=View.resolved, page=200),
        "text search: 'printer'": QueueQuery(view=View.all, q="printer"),
        "text search: 'vpn crash' (2 words)": QueueQuery(view=View.all, q="vpn crash"),
        "text search: 'print' in open": QueueQuery(view=View.open, q="print"),
        "text search: '#4242'": QueueQuery(view=View.all, q="#4242"),
        "text search: 'toner' (in messages)": QueueQuery(view=View.all, q="toner"),
        "text search: 'user 42' (requester)": QueueQuery(view=View.all, q="user 42"),
    }
    with db.read_session() as session:
        messages = session.exec(select(func.count()).select_from(Message)).one()
    n = args.concurrency
    print(f"\nqueue.list_tickets at {count:,} tickets and {messages:,} messages, {args.runs} runs each (ms)\n")
    print(f"| {'query':40} | {'total':>7} | {'p50':>6} | {'p95':>6} | {f'p95 x{n}':>8} |")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 10}|")
    for name, query in cases.items():
        total = queue.list_tickets(technician, query).total  # warm-up
        call = lambda q=query: queue.list_tickets(technician, q)  # noqa: E731
        alone = timed(call, args.runs)
        together = concurrent(call, n, max(1, args.runs // 5))
        p95, p95_n = statistics.quantiles(alone, n=20)[18], statistics.quantiles(together, n=20)[18]
        print(f"| {name:40} | {total:>7} | {statistics.median(alone):6.1f} | {p95:6.1f} | {p95_n:8.1f} |")


if __name__ == "__main__":
    main()

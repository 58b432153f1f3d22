"""Chat over one and over two app processes: the cost of the Redis hop, the gain of a second core.

The chat bench's simulated browsers (bench/chat.py: each GETs a ticket page, then keeps NiceGUI's
websocket open; the requesters type and click Send) against three set-ups, each on a fresh
PostgreSQL database:

- one process, no Redis (the events stay in the process);
- one process with Redis (every event goes out to Redis and back: the hop's cost alone);
- two processes with Redis, browsers spread over them so that most messages cross processes.

Latency is from the click to the bubble's update on every other page of the ticket. Memory per
client is the growth of the app processes' RSS (API children excluded) once all are connected.
It needs PostgreSQL and redis-server (`make test` installs both).

    python -m bench.cluster [--clients 1000 2000] [--tickets 200] [--rate 50] [--seconds 15]
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat import Stats, browser, prepare, rss_kb  # noqa: E402
from helpdesk.runtime import devcluster  # noqa: E402
from helpdesk.runtime.devcluster import Cluster, redis_server  # noqa: E402
from tests.support.app_process import free_port  # noqa: E402

CASES = [("1 process, no Redis", 1, False), ("1 process + Redis", 1, True), ("2 processes + Redis", 2, True)]


async def run_case(server: str, processes: int, with_redis: bool, args: argparse.Namespace, n_clients: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="helpdesk-bench-cluster-"))
    database, _made = devcluster.database(server, "helpdesk_bench_cluster", fresh=True)
    os.environ["DATABASE_URL"] = database
    redis_port = free_port()
    redis = redis_server(redis_port, root, root / "redis.log") if with_redis else None
    (root / "data").mkdir()
    ticket_ids, sessions, requester_sessions, _tokens = prepare(root / "data", args.tickets, args.technicians)
    cluster = Cluster(
        database,
        f"redis://127.0.0.1:{redis_port}/0" if with_redis else "",
        root,
        size=processes,
        ports=[(free_port(), free_port(), free_port()) for _ in range(processes)],
        extra_env={"HELPDESK_REMOTE_ENABLED": "false", "HELPDESK_CHAT_RATE": "1000000/minute"},
        proxy=False,
    )
    stats, stop = Stats(), asyncio.Event()
    outboxes: list[asyncio.Queue] = [asyncio.Queue() for _ in range(args.tickets)]
    try:
        cluster.start()
        limits = httpx.Limits(max_connections=50)
        clients = [httpx.AsyncClient(base_url=n.url, limits=limits, timeout=60) for n in cluster.nodes]
        for http in clients:
            await http.get("/login")
        pids = [n.process.pid for n in cluster.nodes if n.process is not None]
        base_rss = sum(rss_kb(pid) for pid in pids)
        tasks, gate = [], asyncio.Semaphore(20)

        async def start(i: int) -> None:
            # Client i on process i % processes: a ticket's requester and most of its viewers differ.
            node, http = cluster.nodes[i % processes], clients[i % processes]
            async with gate:
                if i < args.tickets:
                    client = browser(node, http, requester_sessions[i], ticket_ids[i], stats, stop, outboxes[i])  # type: ignore[arg-type]
                else:
                    ticket = ticket_ids[i % args.tickets]
                    client = browser(node, http, sessions[i % len(sessions)], ticket, stats, stop)  # type: ignore[arg-type]
                task = asyncio.create_task(client)
                tasks.append(task)
                while stats.connected + stats.dropped <= i and not task.done():
                    await asyncio.sleep(0.01)

        for i in range(n_clients):
            await start(i)
        await asyncio.sleep(3)
        kb_per_client = (sum(rss_kb(pid) for pid in pids) - base_rss) / max(1, stats.connected)
        interval, seq = 1.0 / args.rate, 0
        started = time.perf_counter()
        while time.perf_counter() - started < args.seconds:
            outboxes[seq % args.tickets].put_nowait(seq)
            seq += 1
            await asyncio.sleep(max(0.0, started + seq * interval - time.perf_counter()))
        await asyncio.sleep(3)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for http in clients:
            await http.aclose()
    finally:
        cluster.stop()
        if redis is not None:
            redis.terminate()
            redis.wait(10)
    errors = [line for n in cluster.nodes for line in n.log.read_text().splitlines() if "Traceback" in line]
    lat = sorted(x * 1000 for x in stats.latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [0.0] * 99
    return {
        "clients": n_clients,
        "connected": stats.connected,
        "dropped": stats.dropped,
        "messages": seq,
        "delivered": len(lat),
        "p50": statistics.median(lat) if lat else 0.0,
        "p95": q[94],
        "p99": q[98],
        "kb": kb_per_client,
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--setups", type=int, nargs="+", default=[1, 2, 3], help="set-ups 1 to 3 (above)")
    args = parser.parse_args()
    server = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres-test-server.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    rows = []
    for n in args.clients:
        for name, processes, with_redis in [CASES[i - 1] for i in args.setups]:
            rows.append((name, asyncio.run(run_case(server, processes, with_redis, args, n))))
    print(f"\ncluster chat: {args.tickets} tickets, {args.rate:g} messages/s for {args.seconds:g} s, PostgreSQL\n")
    head = ["set-up", "clients", "connected", "dropped", "messages", "deliveries", "p50 ms", "p95 ms", "p99 ms"]
    head += ["KB/client"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for name, r in rows:
        cells = [name, r["clients"], r["connected"], r["dropped"], r["messages"], r["delivered"]]
        cells += [f"{r['p50']:.1f}", f"{r['p95']:.1f}", f"{r['p99']:.1f}", f"{r['kb']:.0f}"]
        print("| " + " | ".join(str(c) for c in cells) + " |")
        if r["errors"]:
            print(f"  server tracebacks: {r['errors']}")


if __name__ == "__main__":
    main()

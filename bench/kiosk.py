"""Wall displays under a burst of changes, and what the burst costs everyone else.

D simulated displays hold `/kiosk` open (each a NiceGUI page with its socket, as a TV's browser
does), and U employees hold their dashboard open, each sending a UI event (the ticket table's
sort request) every 2 seconds and timing the server's answer. Calm phases alternate with bursts
of 100 ticket changes through the REST API (100 new tickets), so that a drift of the shared
machine hits both. A burst arrives either at a set rate (`--rate 25`: 100 tickets in 4 s, a
mass incident) or all at once (`--rate 0`: 10 requests in flight, as fast as the API answers).

The displays, the burst's sender and the employees each run in their own process, as they do
on separate machines: the employees' timings must not wait on the bench reading 50 boards or
sending 100 requests. The displays and the sender run at nice 10 (BENCH_AGENT_NICE), as they
would not take the server's CPU at all on their own machines. Clocks are `time.monotonic`, one
clock for every process on Linux.

Measured: the time until every display shows the final state (its "open" counter equals the
final count), counted from the burst's first request and from its last response; the server's
CPU (calm, and per change beyond the calm rate); and the employees' UI event latency p95 in the
calm phases and during the bursts.

    python -m bench.kiosk [--displays 0 50] [--rate 25 0] [--users 100] [--changes 100] [--bursts 5]

BENCH_IN_FLIGHT=1 sends an all-at-once burst one request at a time instead of 10;
BENCH_PHASES=1 prints each calm phase's and each burst's own p50 and p95 (to stderr);
BENCH_PROFILE=file records py-spy samples of the server (BENCH_PROFILE_RATE per second).
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
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.data import add_accounts, fresh_database  # noqa: E402
from bench.nicegui_client import PageTab  # noqa: E402
from tests.support.app_process import App  # noqa: E402

OPEN_COUNTER = re.compile(rb'data-counter=\\"open\\"><b>(\d+)</b>')
USER_EVERY = 2.0  # seconds between one employee's UI events (50 events/s from 100 employees)
BURST_TICKET = {"description": "bench", "priority": "high", "category": "other"}
CALM_SETTLE = 1.0  # seconds after a burst before calm samples count again


def prepare(data_dir: Path, n_displays: int, n_users: int) -> tuple[list[str], list[str], str, int]:
    """Accounts, tickets and paired displays, written through the services before the app starts."""
    from sqlmodel import func, select

    from helpdesk.core import db
    from helpdesk.domain import auth, kiosk
    from models import Category, Priority, Role, Status, Ticket

    fresh_database(data_dir)
    people = add_accounts(
        ("admin", 1, Role.technician, True), ("tech", 8, Role.technician), ("employee", n_users + 1, Role.employee)
    )
    [admin], technicians, employees = people["admin"], people["tech"], people["employee"]
    with db.write_session() as session:
        for i, employee in enumerate(employees[:-1]):
            for n in range(3):
                session.add(Ticket(title=f"Problem {n} of {employee.name}", description="bench",
                                   priority=Priority.normal, category=Category.other, requester_id=employee.id,
                                   assignee_id=technicians[(i + n) % 8].id if n else None,
                                   status=Status.in_progress if n == 2 else Status.open))  # fmt: skip
    displays = []
    for i in range(n_displays):
        _display, code = kiosk.create_display(admin, f"TV {i}", "en" if i % 2 else "fr", privacy=i % 3 != 0)
        displays.append(kiosk.pair(code))
    with db.read_session() as session:
        open_now = session.exec(select(func.count()).select_from(Ticket).where(Ticket.status == Status.open)).one()
    sessions = [auth.start_session(e) for e in employees[:-1]]
    burst_token = auth.start_api_token(employees[-1])[0]
    db.engine().dispose()
    return displays, sessions, burst_token, open_now


class Employee:
    """An employee's dashboard tab: sends the table's sort request, times the answer."""

    def __init__(self, tab: PageTab) -> None:
        self.tab = tab
        self.table = tab.listener("table", "request")
        self.sent_at: float | None = None
        self.answered = asyncio.Event()
        self.samples: list[tuple[float, float]] = []  # (sent at, latency)

    def on_update(self, frame: bytes, at: float) -> None:
        if self.sent_at is not None and b"rowsNumber" in frame:
            self.samples.append((self.sent_at, at - self.sent_at))
            self.sent_at = None
            self.answered.set()

    async def act(self, stop: asyncio.Event, offset: float) -> None:
        await asyncio.sleep(offset)
        descending = False
        while not stop.is_set():
            started = time.monotonic()
            self.answered.clear()
            self.sent_at = started
            descending = not descending
            pagination = {"page": 1, "rowsPerPage": 25, "sortBy": "updated", "descending": descending}
            await self.tab.emit(*self.table, {"pagination": pagination})
            try:
                await asyncio.wait_for(self.answered.wait(), timeout=10)
            except TimeoutError:
                self.sent_at = None
            await asyncio.sleep(max(0.0, started + USER_EVERY - time.monotonic()))


class Display:
    def __init__(self, tab: PageTab) -> None:
        self.tab = tab
        self.open_count: int | None = None
        self.reached: dict[int, float] = {}

    def on_update(self, frame: bytes, at: float) -> None:
        for value in OPEN_COUNTER.findall(frame):
            self.open_count = int(value)
            self.reached.setdefault(int(value), at)


# --- helper processes: the displays, and the burst's sender -------------------------------------


class Agent:
    """A helper process of this bench, driven by one JSON line per command on stdin, answering one
    JSON line on stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, role: str, port: int, secrets: list[str]) -> "Agent":
        process = await asyncio.create_subprocess_exec(
            "nice", "-n", os.environ.get("BENCH_AGENT_NICE", "10"),
            sys.executable, "-m", "bench.kiosk", "--agent", role, "--port", str(port),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, limit=2**20,
        )  # fmt: skip
        agent = cls(process)
        await agent.ask(secrets=secrets)  # answered once its tabs are open and connected
        return agent

    async def ask(self, **command: object) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"bench agent exited with {await self.process.wait()}")
        return json.loads(line)

    async def close(self) -> dict:
        answer = await self.ask(stop=True)
        await self.process.wait()
        return answer


async def displays_agent(port: int, commands: asyncio.StreamReader, answer: Callable[[dict], None]) -> None:
    """Holds the boards open; answers when all of them show a given open count."""
    stop = asyncio.Event()
    secrets = json.loads(await commands.readline())["secrets"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        displays = []
        for cookie in secrets:
            display = Display(await PageTab.open(http, port, "/kiosk", {"helpdesk_display": cookie}))
            assert await display.tab.connect()
            displays.append(display)
        listeners = [asyncio.create_task(d.tab.listen(d.on_update, stop)) for d in displays]
        answer({"ready": len(displays)})
        while command := json.loads(await commands.readline()):
            if command.get("stop"):
                break
            count, deadline = command["open"], time.monotonic() + command["timeout"]
            while any(d.open_count != count for d in displays) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            reached = [d.reached.get(count) for d in displays]
            answer({"shown": None if None in reached else max(reached)})  # type: ignore[type-var]
        stop.set()
        await asyncio.gather(*listeners, return_exceptions=True)
        answer({"dropped": sum(d.tab.closed for d in displays)})


async def burst_agent(port: int, commands: asyncio.StreamReader, answer: Callable[[dict], None]) -> None:
    """Sends bursts of new tickets through the REST API, paced or all at once."""
    headers = {"Authorization": f"Bearer {json.loads(await commands.readline())['secrets'][0]}"}
    gate = asyncio.Semaphore(int(os.environ.get("BENCH_IN_FLIGHT", "10")))
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as http:

        async def change(number: int) -> None:
            async with gate:
                body = {"title": f"Burst ticket {number}", **BURST_TICKET}
                response = await http.post("/api/v1/tickets", json=body, headers=headers)
                assert response.status_code == 201, response.text

        async def send(i: int, number: int, rate: float) -> None:  # paced: the i-th change leaves at i / rate s
            if rate:
                await asyncio.sleep(i / rate)
            await change(number)

        await change(-1)  # the connection is open and the token checked before the first burst
        answer({"ready": 1})
        while command := json.loads(await commands.readline()):
            if command.get("stop"):
                break
            first = time.monotonic()
            await asyncio.gather(*(send(i, command["first"] + i, command["rate"]) for i in range(command["count"])))
            answer({"first": first, "last": time.monotonic()})
        answer({"stopped": True})


async def run_agent(role: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader(limit=2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)

    def answer(message: dict) -> None:
        print(json.dumps(message), flush=True)

    agents: dict[str, Callable[[int, asyncio.StreamReader, Callable[[dict], None]], Awaitable[None]]] = {
        "displays": displays_agent,
        "burst": burst_agent,
    }
    await agents[role](port, commands, answer)


# --- the measuring process ------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else float("nan")


async def run_one(n_displays: int, n_users: int, n_changes: int, n_bursts: int, calm: float, rate: float) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"helpdesk-bench-kiosk-{n_displays}-"))
    cookies, sessions, burst_token, open_count = prepare(data_dir, n_displays, n_users)
    with App(data_dir) as app:
        open_count += 1  # the sender's first ticket, which opens its connection
        stop = asyncio.Event()
        async with httpx.AsyncClient(base_url=app.url, timeout=60, limits=httpx.Limits(max_connections=20)) as http:
            displays = await Agent.start("displays", app.port, cookies)
            sender = await Agent.start("burst", app.api_port, [burst_token])  # the API has its own process
            employees = []
            for session in sessions:
                employee = Employee(await PageTab.open(http, app.port, "/", {"helpdesk_session": session}))
                assert await employee.tab.connect()
                employees.append(employee)
            listeners = [asyncio.create_task(e.tab.listen(e.on_update, stop)) for e in employees]
            actors = [asyncio.create_task(e.act(stop, i * USER_EVERY / n_users)) for i, e in enumerate(employees)]

            assert app.process is not None
            pid = app.process.pid
            calm_windows: list[tuple[float, float]] = []  # calm phases interleave with bursts: drift hits both
            calm_cpu = 0.0

            def calm_rate() -> float:  # the server's CPU seconds per second when no burst runs
                return calm_cpu / sum(end - start for start, end in calm_windows)

            async def calm_phase(seconds: float) -> None:
                nonlocal calm_cpu
                await asyncio.sleep(CALM_SETTLE)  # the previous burst's last answers and refresh are done
                start, cpu_start = time.monotonic(), cpu_seconds(pid)
                await asyncio.sleep(seconds - CALM_SETTLE)
                calm_windows.append((start, time.monotonic()))
                calm_cpu += cpu_seconds(pid) - cpu_start

            await calm_phase(calm)
            if os.environ.get("BENCH_PROFILE"):  # py-spy samples of the server during the bursts
                seconds = str(int(n_bursts * (4 + calm / 2)))  # about the bursts and the calm between them
                spy = str(Path(sys.executable).parent / "py-spy")  # installed with the test extras
                rate_hz = os.environ.get("BENCH_PROFILE_RATE", "50")
                profile = [spy, "record", "-d", seconds, "-r", rate_hz, "--format", "raw", "--threads"]
                profile += ["-o", os.environ["BENCH_PROFILE"], "--pid", str(pid)]
                subprocess.Popen(profile, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            bursts, burst_cpu = [], []
            for b in range(n_bursts):
                cpu_first = cpu_seconds(pid)
                sent = await sender.ask(first=b * n_changes, count=n_changes, rate=rate)
                first, last = sent["first"], sent["last"]
                open_count += n_changes
                shown = last
                if n_displays:
                    shown = (await displays.ask(open=open_count, timeout=10))["shown"] or float("inf")
                bursts.append({"first": first, "last": last, "shown": shown, "end": max(shown, last) + 0.25})
                # CPU the server spent beyond its calm rate, from the first change until all displays show it
                burst_cpu.append(cpu_seconds(pid) - cpu_first - calm_rate() * (time.monotonic() - first))
                await calm_phase(calm / 2)
            stop.set()
            await asyncio.gather(*actors, *listeners, return_exceptions=True)
            dropped = (await displays.close())["dropped"] + sum(e.tab.closed for e in employees)
            await sender.close()
    samples = [s for e in employees for s in e.samples]
    calm_lat = [lat * 1000 for sent, lat in samples if any(start <= sent <= end for start, end in calm_windows)]
    burst_lat = [lat * 1000 for sent, lat in samples if any(b["first"] <= sent <= b["end"] for b in bursts)]
    if os.environ.get("BENCH_PHASES"):  # each phase's own figures: is the pooled p95 one bad phase?
        phases = [("calm", start, end) for start, end in calm_windows]
        phases += [("burst", b["first"], b["end"]) for b in bursts]
        for name, start, end in sorted(phases, key=lambda phase: phase[1]):
            lat = [lat * 1000 for sent, lat in samples if start <= sent <= end] or [float("nan")]
            print(f"{name:5} {start:9.1f} s  n={len(lat):4}  p50={statistics.median(lat):5.1f}  "
                  f"p95={p95(lat):5.1f}  max={max(lat):5.1f} ms", file=sys.stderr)  # fmt: skip
    return {
        "displays": n_displays,
        "rate": rate,
        "users": len(employees),
        "burst_s": statistics.median(b["last"] - b["first"] for b in bursts),
        "from_first": statistics.median(b["shown"] - b["first"] for b in bursts),
        "from_last": statistics.median(b["shown"] - b["last"] for b in bursts),
        "calm_cpu": calm_rate(),
        "change_cpu_ms": statistics.median(burst_cpu) / n_changes * 1000,
        "calm_n": len(calm_lat),
        "calm_p95": p95(calm_lat),
        "burst_n": len(burst_lat),
        "burst_p95": p95(burst_lat),
        "errors": len(app.server_errors()),
        "dropped": dropped,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--displays", type=int, nargs="+", default=[0, 50])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--calm", type=float, default=6.0)
    parser.add_argument("--rate", type=float, nargs="+", default=[25.0, 0.0], help="changes/s; 0: all at once")
    parser.add_argument("--agent", choices=["displays", "burst"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent:
        asyncio.run(run_agent(args.agent, args.port))
        return
    rows = [
        asyncio.run(run_one(d, args.users, args.changes, args.bursts, args.calm, rate))
        for rate in args.rate
        for d in args.displays
    ]
    print(f"\nkiosk: {args.users} employees acting every {USER_EVERY} s; bursts of {args.changes} changes (median of "
          f"{args.bursts})\n")  # fmt: skip
    head = ["burst arrives", "displays", "burst lasts s", "all displays final: from first change s"]
    head += ["from last change s"]
    head += ["server CPU calm %", "server CPU per change ms", "employee p95 calm ms (n)"]
    head += ["employee p95 in bursts ms (n)", "ratio", "dropped", "server errors"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---:|" * len(head))
    for r in rows:
        cells = [f"{r['rate']:g}/s" if r["rate"] else "all at once", r["displays"], f"{r['burst_s']:.2f}"]
        cells += [f"{r['from_first']:.2f}", f"{r['from_last']:.2f}"] if r["displays"] else ["—", "—"]
        cells += [f"{r['calm_cpu'] * 100:.0f}", f"{r['change_cpu_ms']:.1f}"]
        cells += [f"{r['calm_p95']:.1f} ({r['calm_n']})", f"{r['burst_p95']:.1f} ({r['burst_n']})"]
        cells += [f"{r['burst_p95'] / r['calm_p95']:.2f}", r["dropped"], r["errors"]]
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()

"""`python -m helpdesk.runtime.devcluster` (`make cluster`): the whole helpdesk as a cluster on
this machine, for development and the tests: Redis, PostgreSQL, N app processes (each with its
REST API and remote bridge processes) and nginx in front, with sticky sessions. Ctrl-C stops it.

The layout is the one of several machines (README, "Several processes"): only the addresses
change. nginx sends a browser to the same app process each time (a hash of its `helpdesk_browser`
cookie: NiceGUI keeps a page's state in the process that built it), and to another one when that
one does not answer (the page then reloads there and reads everything from the database).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url

ROOT = Path(__file__).parents[2]
NGINX = """worker_processes 1;
error_log {root}/nginx-error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  client_body_temp_path {root}/nginx-tmp/body;
  proxy_temp_path {root}/nginx-tmp/proxy;
  fastcgi_temp_path {root}/nginx-tmp/fastcgi;
  uwsgi_temp_path {root}/nginx-tmp/uwsgi;
  scgi_temp_path {root}/nginx-tmp/scgi;
  client_max_body_size 64m;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  # Sticky: one browser, one app process (NiceGUI's pages live in the process that built them).
  upstream helpdesk_pages {{
    hash $cookie_helpdesk_browser consistent;
{pages}
  }}
  upstream helpdesk_api {{
{apis}
  }}
  upstream helpdesk_remote {{
    hash $cookie_helpdesk_browser consistent;
{bridges}
  }}
  server {{
    listen {host}:{port};
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_connect_timeout 2s;
    proxy_read_timeout 1h;
    proxy_buffering off;
    # A process that does not answer: the request goes to the next one.
    proxy_next_upstream error timeout http_502 http_503;
    location / {{ proxy_pass http://helpdesk_pages; }}
    location /api/ {{ proxy_pass http://helpdesk_api; }}
    location = /docs {{ proxy_pass http://helpdesk_api; }}
    location /docs/ {{ proxy_pass http://helpdesk_api; }}
    location = /openapi.json {{ proxy_pass http://helpdesk_api; }}
    # The bridges (remote assistance); the query string holds a one-use token: not logged.
    location /remote-bridge/ {{ proxy_pass http://helpdesk_remote/; }}
  }}
}}
"""


def _servers(ports: list[int]) -> str:
    return "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)


def nginx_config(root: Path, host: str, port: int, pages: list[int], apis: list[int], bridges: list[int]) -> str:
    return NGINX.format(
        root=root, host=host, port=port, pages=_servers(pages), apis=_servers(apis), bridges=_servers(bridges)
    )


@dataclass
class Node:
    """One app process (with its API and bridge children) of the cluster."""

    name: str
    port: int
    api_port: int
    bridge_port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "main.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: kill -9 takes its children (API, bridge) too
        )

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9, the app and its children at once: as a machine that dies."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    database_url: str  # PostgreSQL
    redis_url: str
    root: Path  # the shared data dir (secret key, attachments) and the logs
    size: int = 3
    port: int = 8080  # nginx's
    host: str = "127.0.0.1"
    first_port: int = 8101  # app i listens on first_port + i, its API on +100, its bridge on -2000
    ports: list[tuple[int, int, int]] | None = None  # or each app's (port, API port, bridge port)
    extra_env: dict[str, str] = field(default_factory=dict)
    proxy: bool = True  # nginx in front (the benchmarks talk to each process directly)
    nodes: list[Node] = field(default_factory=list)
    nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What every process of the cluster shares (the `helpdesk` command's too)."""
        base = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        return (
            base
            | {
                "DATABASE_URL": self.database_url,
                "HELPDESK_REDIS_URL": self.redis_url,
                "HELPDESK_DATA_DIR": str(self.root / "data"),  # every process's: one key, one attachment store
                "HELPDESK_HOST": "127.0.0.1",
                "HELPDESK_TRUSTED_PROXIES": "127.0.0.1",  # nginx says who the client is
                "HELPDESK_PUBLIC_URL": self.url,
                "HELPDESK_REMOTE_PUBLIC_URL": f"ws://{self.host}:{self.port}/remote-bridge/",
                "HELPDESK_REMOTE_ORIGINS": self.url,
            }
            | self.extra_env
        )

    def start(self) -> None:
        (self.root / "nginx-tmp").mkdir(parents=True, exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        first = self.first_port
        ports = self.ports or [(first + i, first + i + 100, first + i - 2000) for i in range(self.size)]
        for i, (port, api_port, bridge_port) in enumerate(ports):
            env = self.env | {
                "HELPDESK_INSTANCE": f"app{i + 1}",
                "HELPDESK_PORT": str(port),
                "HELPDESK_API_PORT": str(api_port),
                "HELPDESK_REMOTE_BRIDGE_PORT": str(bridge_port),
            }
            self.nodes.append(Node(f"app{i + 1}", port, api_port, bridge_port, env, self.root / f"app{i + 1}.log"))
        self.nodes[0].start()  # first alone: it migrates the database and makes the signing key
        self._wait([self.nodes[0]])
        for node in self.nodes[1:]:
            node.start()
        self._wait(self.nodes[1:])
        if not self.proxy:
            return
        config = self.root / "nginx.conf"
        config.write_text(
            nginx_config(
                self.root,
                self.host,
                self.port,
                [n.port for n in self.nodes],
                [n.api_port for n in self.nodes],
                [n.bridge_port for n in self.nodes],
            )
        )
        self.nginx = subprocess.Popen(["nginx", "-c", str(config), "-p", str(self.root), "-g", "daemon off;"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start: " + (self.root / "nginx-error.log").read_text())

    def _wait(self, nodes: list[Node]) -> None:
        deadline = time.monotonic() + 60
        while not all(node.ready() for node in nodes):
            for node in nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise RuntimeError(f"{node.name} exited:\n{node.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("the cluster did not start:\n" + "\n".join(n.log.read_text()[-2000:] for n in nodes))
            time.sleep(0.2)

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.terminate()
            self.nginx.wait(10)
            self.nginx = None
        for node in self.nodes:
            node.stop()


def redis_server(port: int, scratch: Path, log: Path) -> subprocess.Popen:
    """Debian's redis-server on loopback, keeping nothing on disk (the database is the truth)."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return subprocess.Popen([*command, "--dir", str(scratch), "--logfile", str(log)])


def database(server_url: str, name: str, fresh: bool = False) -> tuple[str, bool]:
    """A database `name` on the server as a URL, and whether it was made now (if missing, or
    always when `fresh`: dropped first)."""
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if fresh:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        made = connection.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first() is None
        if made:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=3, help="app processes (default 3)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--dir", type=Path, default=ROOT / "data" / "cluster", help="logs and shared data dir")
    parser.add_argument("--seed-demo", action="store_true", help="demo accounts and tickets (password demo-pass-123)")
    args = parser.parse_args()
    server = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres-test-server.sh")], capture_output=True, text=True, check=True
    ).stdout.strip()
    url, made = database(server, "helpdesk_cluster")
    args.dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="helpdesk-redis-"))
    redis = redis_server(args.redis_port, scratch, args.dir / "redis.log")
    cluster = Cluster(url, f"redis://127.0.0.1:{args.redis_port}/0", args.dir.resolve(), args.size, args.port)
    try:
        if args.seed_demo and made:  # once: the database outlives the cluster
            subprocess.run([sys.executable, "-m", "helpdesk.cli", "seed-demo"], cwd=ROOT, env=cluster.env, check=True)
        cluster.start()
        print(f"\nThe helpdesk runs as {args.size} processes behind nginx: {cluster.url}", flush=True)
        for node in cluster.nodes:
            print(f"  {node.name}: {node.url} (API :{node.api_port}, bridge :{node.bridge_port})", flush=True)
        print("Ctrl-C stops it all.", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not leave processes behind
            signal.signal(number, signal.SIG_IGN)
        cluster.stop()
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

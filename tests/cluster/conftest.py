"""Several app processes on a real PostgreSQL and a real Redis, nginx in front (the dev cluster of
helpdesk/runtime/devcluster.py), driven in real Chromium. They need PostgreSQL: they run in the
test command's PostgreSQL pass (HELPDESK_TEST_POSTGRES), and are skipped without it."""

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from helpdesk.runtime.devcluster import Cluster
from tests.conftest import POSTGRES, _drop, _postgres, _postgres_admin
from tests.e2e.conftest import PASSWORD, browser  # noqa: F401 (the fixture, for these tests too)
from tests.e2e.test_remote_journey import vnc  # noqa: F401 (the fixture: a TigerVNC workstation)
from tests.support.app_process import REMOTE_SETTINGS, ROOT, free_port
from tests.support.redis import RedisServer

_numbers = itertools.count()
# For the test modules here (a conftest's own pytestmark marks nothing).
NEEDS_POSTGRES = pytest.mark.skipif(not POSTGRES, reason="the cluster runs on PostgreSQL: HELPDESK_TEST_POSTGRES")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Cluster]:
    """Three app processes (each with its API process), nginx in front, the accounts made."""
    assert POSTGRES is not None
    name = f"helpdesk_cluster_{os.getpid()}_{next(_numbers)}"
    _postgres_admin(f"CREATE DATABASE {name}")
    database = _postgres(name)
    ports = [(free_port(), free_port(), free_port()) for _ in range(3)]
    root = tmp_path_factory.mktemp("cluster")
    cluster = Cluster(
        database, redis_server.url, root, size=3, port=free_port(), ports=ports,
        extra_env={"HELPDESK_API_NICENESS": "0", **REMOTE_SETTINGS},  # each app starts its bridge
    )  # fmt: skip
    for email, name_, role in (
        ("anna@example.com", "Anna Employee", "employee"),
        ("tom@example.com", "Tom Technician", "technician"),
        ("ada@example.com", "Ada Admin", "technician --admin"),
    ):
        subprocess.run(
            [sys.executable, "-m", "helpdesk.cli", "create-user", "--email", email, "--name", name_, "--role",
             *role.split(), "--password-stdin"],
            input=PASSWORD, text=True, env=cluster.env, cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
    cluster.start()
    yield cluster
    cluster.stop()
    errors = [
        f"{node.name}: {line}"
        for node in cluster.nodes
        for line in node.log.read_text().splitlines()
        if "Traceback" in line or "ERROR" in line
    ]
    _drop(name)
    assert errors == [], "\n".join(errors)


def api_token(api_url: str, email: str) -> dict[str, str]:
    response = httpx.post(api_url + "/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}

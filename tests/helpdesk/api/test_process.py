"""The REST API in its own process, as `main.py` starts it: its port, the app's pointer to it, and
its supervision. (Its events reaching the pages: tests/e2e/test_kiosk_journey.py.)"""

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.app_process import App

PASSWORD = "process password 123"


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    app = App(tmp_path_factory.mktemp("api-process"))
    app.env["HELPDESK_REMOTE_ENABLED"] = "false"
    app.helpdesk("create-user", "--email", "root@example.com", "--name", "Root", "--role", "technician", "--admin",
                 "--password-stdin", stdin=PASSWORD)  # fmt: skip
    with app:
        yield app
    assert app.server_errors() == [], app.log.read_text()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _token(app: App) -> str:
    body = {"email": "root@example.com", "password": PASSWORD}
    response = httpx.post(app.api_url + "/api/v1/auth/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_the_api_answers_on_its_own_port_and_the_apps_port_points_there(running_app: App) -> None:
    headers = {"Authorization": f"Bearer {_token(running_app)}"}
    assert httpx.get(running_app.api_url + "/api/v1/users/me", headers=headers).json()["email"] == "root@example.com"
    assert httpx.get(running_app.api_url + "/openapi.json").json()["info"]["title"] == "Helpdesk API"
    docs = httpx.get(running_app.api_url + "/docs").text
    assert "/docs/assets/swagger-ui-bundle.js" in docs and "cdn." not in docs  # works without internet access
    assert httpx.get(running_app.api_url + "/docs/assets/swagger-ui-bundle.js").status_code == 200

    moved = httpx.get(running_app.url + "/api/v1/users/me", headers=headers)
    assert moved.status_code == 404
    assert moved.json() == {"detail": f"The REST API answers at {running_app.api_url}/api/"}
    assert httpx.get(running_app.url + "/openapi.json").status_code == 404  # no API schema on the pages' port


def _api_pid(app: App) -> int:
    assert app.process is not None
    [api] = [pid for pid in _children(app.process.pid) if b"helpdesk.api" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return api


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_api_runs_below_the_apps_cpu_priority(running_app: App) -> None:
    assert running_app.process is not None
    api, niceness = _api_pid(running_app), int(running_app.env.get("HELPDESK_API_NICENESS", "19"))
    assert _nice(api) == min(19, _nice(running_app.process.pid) + niceness)
    # Its own session, so with autogroup scheduling its own group: the group's nice is what counts.
    autogroup = Path(f"/proc/{api}/autogroup")
    if not autogroup.exists() or Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
        pytest.skip("this kernel does not group processes by session")
    assert autogroup.read_text().split()[-1] == str(niceness)
    assert _autogroup(api) != _autogroup(running_app.process.pid)


def _autogroup(pid: int) -> str:
    """The process's autogroup; the file is empty for the default group (sessions never set since boot, as in CI)."""
    shown = Path(f"/proc/{pid}/autogroup").read_text().split()
    return shown[0] if shown else "default"


def test_a_killed_api_process_is_restarted(running_app: App) -> None:
    assert running_app.process is not None
    api = _api_pid(running_app)
    os.kill(api, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(running_app.api_url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    else:
        raise AssertionError("the API did not come back")
    assert api not in _children(running_app.process.pid)
    assert _token(running_app)  # the same database and key as before

"""Three app processes on one PostgreSQL and one Redis: every live feature crosses processes
(chat, presence, queues, revocations, the wall board, remote assistance through nginx), the rate
limits are shared, a Redis restart is caught up, a job's lease moves when its holder is killed,
and through nginx an employee's page survives the kill -9 of its process.

The tests run in this order on one cluster: the last two each kill a process."""

import time

import httpx
import redis
from playwright.sync_api import Browser, Page, expect

from helpdesk.runtime.devcluster import Cluster, Node
from tests.cluster.conftest import NEEDS_POSTGRES, api_token
from tests.e2e.conftest import bubbles, report_problem, screenshot, send, sign_in
from tests.e2e.test_remote_journey import centre_pixel, request_remote, viewer
from tests.support.redis import RedisServer
from tests.support.vnc import COLOUR, VncServer

pytestmark = NEEDS_POSTGRES


def instance_of(page: Page, cluster: Cluster) -> str:
    """Which process nginx serves this browser from (its cookie decides)."""
    return page.context.request.get(cluster.url + "/healthz").json()["instance"]


def node(cluster: Cluster, name: str) -> Node:
    return next(n for n in cluster.nodes if n.name == name)


def test_chat_typing_seen_presence_and_queues_cross_processes(cluster: Cluster, browser: Browser) -> None:
    a, b, c = cluster.nodes
    anna = sign_in(browser, a, "anna@example.com")  # on app1
    url = report_problem(anna, "Cluster: the badge reader beeps", "Red light, then nothing.")
    tom = sign_in(browser, b, "tom@example.com")  # on app2
    tom.goto(url.replace(a.url, b.url))

    expect(anna.get_by_text("Also here: Tom Technician")).to_be_visible(timeout=5000)
    expect(tom.get_by_text("Also here: Anna Employee")).to_be_visible(timeout=5000)
    anna.get_by_placeholder("Write a message…").press_sequentially("Hel")
    expect(tom.get_by_text("Anna Employee is typing…")).to_be_visible(timeout=5000)
    send(anna, "It started this morning")
    expect(bubbles(tom, "It started this morning")).to_have_count(1, timeout=5000)
    send(tom, "Which door?")
    expect(bubbles(anna, "Which door?")).to_have_count(1, timeout=5000)
    expect(anna.locator(".q-message-stamp").filter(has_text="Seen").first).to_be_visible(timeout=5000)
    expect(tom.locator(".q-message-stamp").filter(has_text="Seen").first).to_be_visible(timeout=5000)

    # A ticket made through app3's API reaches the queue open on app2, live.
    queue = sign_in(browser, b, "ada@example.com")
    queue.goto(b.url + "/?view=all")
    headers = api_token(f"http://127.0.0.1:{c.api_port}", "anna@example.com")
    ticket = {"title": "Cluster: made through the API", "description": "On the third process.", "priority": "high"}
    assert httpx.post(f"http://127.0.0.1:{c.api_port}/api/v1/tickets", json=ticket, headers=headers).status_code == 201
    expect(queue.get_by_role("link", name="Cluster: made through the API")).to_be_visible(timeout=5000)

    # Anna closes her page: presence on app2 says so.
    anna.context.close()
    expect(tom.get_by_text("Also here: Anna Employee")).to_have_count(0, timeout=5000)
    for page in (tom, queue):
        page.context.close()


def test_a_deactivation_on_one_process_ends_the_pages_on_another(cluster: Cluster, browser: Browser) -> None:
    a, b, _c = cluster.nodes
    anna = sign_in(browser, b, "anna@example.com")
    admin_api = f"http://127.0.0.1:{a.api_port}"
    headers = api_token(admin_api, "ada@example.com")
    me = httpx.get(f"http://127.0.0.1:{b.api_port}/api/v1/users/me", headers=api_token(admin_api, "anna@example.com"))
    account = f"{admin_api}/api/v1/users/{me.json()['id']}"
    assert httpx.patch(account, json={"active": False}, headers=headers).status_code == 200  # through app1's API
    expect(anna.get_by_text("An administrator deactivated your account.")).to_be_visible(timeout=10_000)  # on app2
    assert httpx.patch(account, json={"active": True}, headers=headers).status_code == 200
    anna.context.close()


def test_sign_in_throttling_counts_across_processes(cluster: Cluster) -> None:
    apis = [f"http://127.0.0.1:{n.api_port}/api/v1/auth/token" for n in cluster.nodes]
    wrong = {"email": "nobody-here@example.com", "password": "not the password"}
    codes = [httpx.post(apis[attempt % 3], json=wrong).status_code for attempt in range(6)]
    assert codes[:5] == [400] * 5 or codes[:5] == [401] * 5, codes  # five wrong ones, spread over three processes
    assert codes[5] == 429  # the sixth is refused, wherever it lands


def test_after_a_redis_restart_pages_catch_up(cluster: Cluster, browser: Browser, redis_server: RedisServer) -> None:
    a, b, _c = cluster.nodes
    anna = sign_in(browser, a, "anna@example.com")
    url = report_problem(anna, "Cluster: Redis goes away", "And comes back.")
    tom = sign_in(browser, b, "tom@example.com")
    tom.goto(url.replace(a.url, b.url))
    expect(anna.get_by_text("Also here: Tom Technician")).to_be_visible(timeout=5000)

    redis_server.stop()
    send(tom, "Sent while Redis was away")
    expect(bubbles(tom, "Sent while Redis was away")).to_have_count(1)  # saved, and shown on its own process
    time.sleep(1)
    redis_server.start()
    expect(bubbles(anna, "Sent while Redis was away")).to_have_count(1, timeout=20_000)
    send(anna, "And this one after")
    expect(bubbles(tom, "And this one after")).to_have_count(1, timeout=10_000)
    for page in (anna, tom):
        page.context.close()


def test_a_wall_board_on_one_process_follows_tickets_and_revocation_from_others(
    cluster: Cluster, browser: Browser
) -> None:
    a, b, c = cluster.nodes
    admin = sign_in(browser, a, "ada@example.com")  # on app1
    admin.goto(a.url + "/admin/displays")
    admin.get_by_role("button", name="New display").click()
    admin.get_by_label("Name").fill("Cluster TV")
    admin.get_by_role("button", name="Create").click()
    link = admin.get_by_label("Pairing link", exact=True).input_value()
    tv = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    tv.goto(b.url + link[link.index("/kiosk/pair") :])  # the board is served by app2
    tv.wait_for_url(b.url + "/kiosk")

    api = f"http://127.0.0.1:{c.api_port}"  # a ticket through app3's API
    ticket = {"title": "Cluster: the wall board sees this", "description": "Made on app3.", "priority": "urgent"}
    headers = api_token(api, "anna@example.com")
    assert httpx.post(api + "/api/v1/tickets", json=ticket, headers=headers).status_code == 201
    expect(tv.locator(".row").filter(has_text="Cluster: the wall board sees this")).to_be_visible(timeout=5000)

    admin.goto(a.url + "/admin/displays")  # revoked on app1: the board on app2 leaves
    admin.locator("button[title=Revoke]").first.click()
    admin.get_by_role("button", name="Revoke").last.click()
    expect(tv.get_by_text("This screen is not paired")).to_be_visible(timeout=10_000)
    for page in (admin, tv):
        page.context.close()


def on_two_processes(browser: Browser, cluster: Cluster, first: str, second: str) -> tuple[Page, Page]:
    """Two people signed in through nginx, served by two different processes: each browser goes
    to the process its cookie hashes to, so new browsers until the two differ."""
    one, other = sign_in(browser, cluster, first), sign_in(browser, cluster, second)
    for _attempt in range(12):
        if instance_of(other, cluster) != instance_of(one, cluster):
            break
        other.context.close()
        other = sign_in(browser, cluster, second)
    assert instance_of(other, cluster) != instance_of(one, cluster)
    return one, other


def test_through_nginx_remote_assistance_crosses_processes(cluster: Cluster, browser: Browser, vnc: VncServer) -> None:
    anna, tom = on_two_processes(browser, cluster, "anna@example.com", "tom@example.com")
    url = report_problem(anna, "Through nginx: my screen flickers", "Since the update.")
    anna.goto(cluster.url + "/")  # elsewhere in the app: the prompt finds her anyway
    tom.goto(url)
    tom.get_by_role("button", name="Take").click()
    request_remote(tom, vnc, "Control (keyboard and mouse)")
    question = anna.get_by_text("Tom Technician asks to control your computer")
    expect(question).to_be_visible(timeout=5000)  # the request crossed from his process to hers
    anna.get_by_role("button", name="Accept").click()
    expect(anna.get_by_text("Tom Technician is controlling your screen")).to_be_visible(timeout=5000)
    frame = viewer(tom)  # noVNC through nginx's /remote-bridge/ to a bridge, then to the VNC server
    deadline = time.monotonic() + 5
    while centre_pixel(frame) != list(COLOUR) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert centre_pixel(frame) == list(COLOUR)
    anna.get_by_role("button", name="Stop").click()
    expect(tom.locator("iframe[title='Remote screen']")).to_have_count(0, timeout=5000)
    for page in (anna, tom):
        page.context.close()


def test_a_jobs_lease_moves_on_when_its_holder_is_killed(cluster: Cluster, redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    key = "helpdesk:lease:remote sweep"
    deadline = time.monotonic() + 15
    while (holder := client.get(key)) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert holder is not None
    owner = node(cluster, holder.split("/")[0])
    owner.kill()
    deadline = time.monotonic() + 30
    while (after := client.get(key)) in (None, holder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert after is not None and after != holder  # another process runs the job now
    assert after.split("/")[0] != owner.name


def test_through_nginx_a_page_survives_the_kill_of_its_process(cluster: Cluster, browser: Browser) -> None:
    alive = [n for n in cluster.nodes if n.process is not None and n.process.poll() is None]
    assert len(alive) == 2
    anna, tom = on_two_processes(browser, cluster, "anna@example.com", "tom@example.com")
    anna_on = instance_of(anna, cluster)
    url = report_problem(anna, "Through nginx: the VPN drops", "Every hour or so.")
    tom.goto(url)
    send(tom, "First, before the crash")
    expect(bubbles(anna, "First, before the crash")).to_have_count(1, timeout=5000)

    node(cluster, anna_on).kill()  # kill -9: the process and its API, with Anna's page open
    send(tom, "Second, while her process is dead")
    expect(bubbles(anna, "Second, while her process is dead")).to_have_count(1, timeout=20_000)
    assert instance_of(anna, cluster) not in (anna_on,)
    send(anna, "I am still here")
    expect(bubbles(tom, "I am still here")).to_have_count(1, timeout=5000)
    for text in ("First, before the crash", "Second, while her process is dead", "I am still here"):
        expect(bubbles(anna, text)).to_have_count(1)  # every message, none twice
    screenshot(anna, "cluster-failover")

import asyncio
import re
from collections.abc import Callable

from nicegui.testing import User as SimUser

from helpdesk.domain import auth
from models import User


def sign_in(sim: SimUser, person: User, language: str = "en") -> None:
    """Give the simulated browser a session cookie, as /auth/session would. Its browser keeps no
    drafts (pages/static/drafts.js answers an empty read)."""
    sim.javascript_rules[re.compile(r"helpdeskDrafts\.read\(")] = lambda _match: {}
    # The domain the cookie jar files the server's own Set-Cookie under, so the two never coexist.
    sim.http_client.cookies.set(auth.COOKIE, auth.start_session(person), domain="test.local")
    sim.http_client.headers["accept-language"] = language


async def eventually(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait for a live update to land (it arrives through the event loop, not at once)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)

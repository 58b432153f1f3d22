from dataclasses import dataclass

import httpx
import pytest
from nicegui.testing import User as SimUser

from helpdesk.domain import auth
from tests.conftest import People


@dataclass
class Api:
    http: httpx.AsyncClient
    tokens: dict[str, str]

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    async def call(self, method: str, path: str, who: str | None, json: object = None) -> httpx.Response:
        return await self.http.request(method, "/api/v1" + path, headers=self.headers(who), json=json)


CALLERS = (None, "employee_a", "employee_b", "technician", "admin")


@pytest.fixture
def api(user: SimUser, people: People) -> Api:
    """The real app (main.py, as the `user` fixture loads it) over in-process HTTP."""
    tokens = {name: auth.start_api_token(getattr(people, name))[0] for name in CALLERS if name}
    return Api(user.http_client, tokens)

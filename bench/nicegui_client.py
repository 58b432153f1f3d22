"""A simulated NiceGUI browser tab for benchmarks: load a page over HTTP, then hold its socket.

It does what nicegui.js does on the wire: connect to socket.io with the page's client id,
answer pings, acknowledge updates, and send UI events as `42["event", ...]` frames.
"""

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable

import httpx
import websockets

CLIENT_ID = re.compile(r"'client_id': '([0-9a-f-]+)'")
ELEMENTS = re.compile(r"parseElements\(String\.raw`(.*?)`\)", re.S)
MESSAGE_ID = re.compile(rb'"_id":\s*(\d+)')


class PageTab:
    def __init__(self, port: int, html: str) -> None:
        self.port = port
        self.client_id = CLIENT_ID.search(html).group(1)  # type: ignore[union-attr]
        self.elements: dict[str, dict] = json.loads(ELEMENTS.search(html).group(1))  # type: ignore[union-attr]
        self.ws: websockets.ClientConnection | None = None
        self.closed = False

    @classmethod
    async def open(cls, http: httpx.AsyncClient, port: int, path: str, cookies: dict[str, str]) -> "PageTab":
        page = await http.get(path, cookies=cookies)
        page.raise_for_status()
        return cls(port, page.text)

    def listener(self, tag: str, event: str) -> tuple[str, str]:
        """(element id, listener id) of the first element whose tag ends with `tag` listening to `event`."""
        for key, element in self.elements.items():
            if str(element.get("tag", "")).endswith(tag):
                for listener in element.get("events", []):
                    if listener["type"] == event:
                        return key, listener["listener_id"]
        raise LookupError(f"no {tag} listening to {event}")

    async def connect(self) -> bool:
        url = (
            f"ws://127.0.0.1:{self.port}/_nicegui_ws/socket.io/?client_id={self.client_id}&next_message_id=0"
            f"&implicit_handshake=true&document_id={uuid.uuid4()}&tab_id={uuid.uuid4()}&old_tab_id=null"
            "&EIO=4&transport=websocket"
        )
        self.ws = await websockets.connect(url, max_size=None, compression=None, open_timeout=60)
        await self.ws.recv()  # engine.io open packet
        await self.ws.send("40")
        return str(await self.ws.recv()).startswith("40")

    async def emit(self, element_id: str, listener_id: str, *args: object) -> None:
        assert self.ws is not None
        encoded = ",".join(json.dumps(json.dumps(a)) for a in args)  # each argument is JSON in JSON
        await self.ws.send(
            f'42["event",{{"id":{element_id},"client_id":"{self.client_id}",'
            f'"listener_id":"{listener_id}","args":[{encoded}]}}]'
        )

    async def listen(self, on_update: Callable[[bytes, float], None], stop: asyncio.Event) -> None:
        """Receive until `stop`: every update frame goes to `on_update(frame, monotonic time)`."""
        assert self.ws is not None
        next_id, acked, last_ack = 0, 0, time.monotonic()
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(self.ws.recv(decode=False), timeout=1.0)
            except TimeoutError:
                frame = b""
            except websockets.ConnectionClosed:
                self.closed = True
                return
            if frame in (b"1", b"41"):  # the server closed the connection or socket.io's namespace
                self.closed = True
                return
            if frame == b"2":
                await self.ws.send("3")
            elif frame.startswith(b"42"):
                on_update(frame, time.monotonic())
                ids = MESSAGE_ID.findall(frame)
                if ids:
                    next_id = max(next_id, int(ids[-1]) + 1)
            if next_id > acked and time.monotonic() - last_ack > 3:
                await self.ws.send(f'42["ack",{{"client_id":"{self.client_id}","next_message_id":{next_id}}}]')
                acked, last_ack = next_id, time.monotonic()
        await self.ws.close()

"""What every HTTP request and response goes through, in the app and the API processes alike.

- `BodyLimit`: a body over its cap is refused with a JSON 413 before it is read (by its
  Content-Length) or as soon as it passes the cap (a chunked body); uploads get the attachment
  limit plus room for the form around the file, everything else HELPDESK_REQUEST_MAX_BYTES. A
  JSON body holding invalid Unicode (a lone surrogate, which no database column can store) gets
  a 422 instead of reaching a service.
- `SecurityHeaders`: nosniff, no referrer (the viewer's address carries a token), no framing by
  another origin, HSTS behind HTTPS, and on HTML a Content-Security-Policy whose scripts need a
  per-response nonce (NiceGUI writes its own inline scripts; each gets the nonce here, and
  nothing else can run inline).
"""

import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from helpdesk.core.config import Settings, get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATHS = re.compile(r"^/tickets/\d+/attachments$")
UPLOAD_OVERHEAD = 64 * 1024
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


async def _json_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def has_lone_surrogate(value: Any) -> bool:
    """Whether a decoded JSON value holds a string that UTF-8 cannot encode."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class BodyLimit:
    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self.settings = settings

    def _cap(self, path: str) -> int:
        settings = self.settings or get_settings()
        if UPLOAD_PATHS.match(path):
            return settings.attachment_max_bytes + UPLOAD_OVERHEAD
        return settings.request_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        cap = self._cap(scope["path"])
        headers = dict(scope["headers"])
        too_large = f"The request is larger than this server accepts ({cap // 1000:,} kB at most)."
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            await _json_error(send, 400, "Invalid Content-Length.")
            return
        if declared > cap:
            await _json_error(send, 413, too_large)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                await _json_error(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b"") and _SURROGATE.search(body):
            try:
                invalid = has_lone_surrogate(json.loads(body))
            except ValueError:
                invalid = False  # not JSON at all: the route's own validation answers
            if invalid:
                await _json_error(send, 422, "The request holds invalid Unicode text.")
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings | None = None) -> None:
        self.app = app
        self.settings = settings

    def _policy(self, nonce: str, host: str) -> str:
        settings = self.settings or get_settings()
        if settings.remote_public_url:
            bridge = settings.remote_public_url.rstrip("/")
        else:
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            bridge = f"ws://{name}:{settings.remote_bridge_port} wss://{name}:{settings.remote_bridge_port}"
        return "; ".join(
            (
                "default-src 'self'",
                # NiceGUI's own inline scripts carry the nonce; Vue compiles NiceGUI's component
                # templates at run time, which needs 'unsafe-eval'.
                f"script-src 'self' 'nonce-{nonce}' 'unsafe-eval'",
                # Quasar and Vue set style attributes, and Tailwind writes its style sheet at run time.
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data: blob:",
                "font-src 'self' data:",
                f"connect-src 'self' {bridge}",
                "frame-src 'self'",
                "frame-ancestors 'self'",
                "form-action 'self'",
                "base-uri 'none'",
                "object-src 'none'",
            )
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = self.settings or get_settings()
        host = dict(scope["headers"]).get(b"host", b"localhost").decode("latin-1")
        start: Message | None = None
        html: list[bytes] = []

        async def guarded(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-frame-options"]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                ]
                if settings.cookie_secure:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message = {**message, "headers": headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    start = message  # held until the whole page is here, to give its scripts the nonce
                    return
                headers.append((b"content-security-policy", b"frame-ancestors 'self'"))
                await send(message)
                return
            if start is None:
                await send(message)
                return
            html.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            nonce = secrets.token_urlsafe(18)
            body = b"".join(html).replace(b"<script", f'<script nonce="{nonce}"'.encode())
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers += [
                (b"content-length", str(len(body)).encode()),
                (b"content-security-policy", self._policy(nonce, host).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, guarded)


def install(app: Any) -> None:
    """Both guards on a Starlette/FastAPI app (the body limit innermost)."""
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)

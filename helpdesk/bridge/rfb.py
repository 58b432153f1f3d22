"""The parts of RFB (the VNC protocol, RFC 6143) the bridge reads: the workstation's greeting,
and in a view-only session both directions of the stream.

View only holds against a modified viewer and a chatty server:
- browser -> workstation: only what a viewer needs to see passes (pixel format before the first
  update request, encodings rewritten to the ones parsed below, update requests, continuous
  updates, fences); keyboard, pointer, clipboard and everything unknown are withheld;
- workstation -> browser: every message is parsed to its end (so a message cannot hide in
  another's payload), the workstation's clipboard text is withheld, and anything this parser does
  not know closes the connection.
Each direction is a generator that asks for bytes (`Read`), and says what to send on (`Emit`,
`Pass`) or withhold (`Drop`), so however the stream is split the result is the same.
"""

import re
import struct
from collections.abc import Generator
from dataclasses import dataclass, field

GREETING = re.compile(rb"RFB (\d{3})\.(\d{3})\n")
CLIENT_VERSIONS = {b"RFB 003.007\n": (3, 7), b"RFB 003.008\n": (3, 8)}

# Encodings a view-only viewer may ask for: their payload lengths are known below.
RAW, COPY_RECT, ZRLE = 0, 1, 16
DESKTOP_SIZE, LAST_RECT, CURSOR, DESKTOP_NAME, EXTENDED_DESKTOP_SIZE = -223, -224, -239, -307, -308
FENCE, CONTINUOUS_UPDATES = -312, -313
PARSED_ENCODINGS = frozenset({RAW, COPY_RECT, ZRLE, DESKTOP_SIZE, LAST_RECT, CURSOR, DESKTOP_NAME})
PARSED_ENCODINGS |= {EXTENDED_DESKTOP_SIZE, FENCE, CONTINUOUS_UPDATES}
PARSED_ENCODINGS |= set(range(-32, -22)) | set(range(-256, -246))  # JPEG quality, compression level


class Refused(Exception):
    """The bridge will not carry this stream; `reason` is a remote.EndReason value or None."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def check_greeting(greeting: bytes) -> tuple[int, int]:
    """The workstation's RFB version, if it is a VNC server the bridge can carry (3.7 or later)."""
    match = GREETING.fullmatch(greeting)
    if match is None:
        raise Refused("the workstation did not answer as a VNC server", "not_vnc")
    version = (int(match[1]), int(match[2]))
    if version < (3, 7):
        raise Refused(f"the workstation speaks RFB {version[0]}.{version[1]}, 3.7 or later is needed", "old_rfb")
    return version


@dataclass(frozen=True)
class _Count:
    count: int


class Read(_Count):
    """Take `count` bytes and hand them to the protocol."""


class Peek(_Count):
    """Wait for `count` bytes without taking them."""


class Pass(_Count):
    """Send the next `count` bytes on, unread."""


class Drop(_Count):
    """Withhold the next `count` bytes."""


@dataclass(frozen=True)
class Emit:
    data: bytes


Step = Read | Peek | Emit | Pass | Drop
Protocol = Generator[Step, bytes | None, None]


class Stream:
    """Runs one direction's protocol generator over a stream split anywhere."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.buffer = bytearray()
        self.step: Step | None = next(protocol)
        self.dropped = 0

    def feed(self, data: bytes) -> bytes:
        self.buffer += data
        out = bytearray()
        while self.step is not None:
            step = self.step
            if isinstance(step, Emit):
                out += step.data
                self.step = self._next(None)
            elif isinstance(step, Read | Peek):
                if len(self.buffer) < step.count:
                    break
                chunk = bytes(self.buffer[: step.count])
                if isinstance(step, Read):
                    del self.buffer[: step.count]
                self.step = self._next(chunk)
            else:
                take = min(step.count, len(self.buffer))
                if isinstance(step, Pass):
                    out += self.buffer[:take]
                del self.buffer[:take]
                left = step.count - take
                if left:
                    self.step = type(step)(left)
                    break
                self.step = self._next(None)
        return bytes(out)

    def _next(self, value: bytes | None) -> Step | None:
        try:
            return self.protocol.send(value)
        except StopIteration:
            return None


@dataclass
class ViewOnly:
    """The state both directions share: what was negotiated, and the pixel size."""

    server_version: tuple[int, int]
    version: tuple[int, int] = (3, 8)
    security: int | None = None
    bytes_per_pixel: int = 4
    updates_requested: bool = False
    withheld: dict[str, int] = field(default_factory=dict)

    def _withhold(self, what: str) -> None:
        self.withheld[what] = self.withheld.get(what, 0) + 1

    # Browser -> workstation.

    def client(self) -> Protocol:
        version = yield Read(12)
        if version not in CLIENT_VERSIONS:
            raise Refused("the viewer must speak RFB 3.7 or 3.8 in a view-only session")
        self.version = min(CLIENT_VERSIONS[version], min(self.server_version, (3, 8)))
        yield Emit(version)
        choice = yield Read(1)
        if choice[0] not in (1, 2):  # None or VNC authentication: the rest is plain RFB
            raise Refused("a security type the bridge cannot read in a view-only session")
        self.security = choice[0]
        yield Emit(choice)
        if choice[0] == 2:
            yield Emit((yield Read(16)))
        yield Emit((yield Read(1)))  # ClientInit
        while True:
            kind = (yield Read(1))[0]
            if kind == 0:  # SetPixelFormat: only before the first update, so sizes stay known
                body = yield Read(19)
                if not self.updates_requested and body[3] in (8, 16, 32):
                    self.bytes_per_pixel = body[3] // 8
                    yield Emit(bytes([kind]) + body)
                else:
                    self._withhold("pixel format")
            elif kind == 2:  # SetEncodings: only those parsed on the way back
                header = yield Read(3)
                count = struct.unpack(">H", header[1:3])[0]
                raw = yield Read(4 * count)
                wanted = [e for e in struct.unpack(f">{count}i", raw) if e in PARSED_ENCODINGS]
                yield Emit(struct.pack(">BxH", 2, len(wanted)) + struct.pack(f">{len(wanted)}i", *wanted))
            elif kind == 3:  # FramebufferUpdateRequest
                self.updates_requested = True
                yield Emit(bytes([kind]) + (yield Read(9)))
            elif kind == 150:  # EnableContinuousUpdates
                yield Emit(bytes([kind]) + (yield Read(9)))
            elif kind == 248:  # ClientFence
                header = yield Read(8)
                yield Emit(bytes([kind]) + header + (yield Read(header[7])))
            else:
                yield from self._withhold_client(kind)

    def _withhold_client(self, kind: int) -> Protocol:
        match kind:
            case 4:  # KeyEvent
                yield Drop(7)
                self._withhold("key")
            case 5:  # PointerEvent
                yield Drop(5)
                self._withhold("pointer")
            case 6:  # ClientCutText (a negative length announces the extended clipboard)
                header = yield Read(7)
                yield Drop(abs(struct.unpack(">i", header[3:7])[0]))
                self._withhold("clipboard")
            case 255:  # QEMU: extended key event (or anything else, which the bridge cannot size)
                sub = yield Read(1)
                if sub[0] != 0:
                    raise Refused("an unknown QEMU message in a view-only session")
                yield Drop(10)
                self._withhold("key")
            case 251:  # SetDesktopSize
                header = yield Read(7)
                yield Drop(16 * header[5])
                self._withhold("resize")
            case _:
                raise Refused(f"an unknown RFB message ({kind}) in a view-only session")

    # Workstation -> browser (the 12-byte greeting has been checked and sent already).

    def server(self) -> Protocol:
        count = (yield Read(1))[0]
        yield Emit(bytes([count]))
        if count == 0:  # the server refuses, with a reason, and closes
            length = yield Read(4)
            yield Emit(length)
            yield Pass(struct.unpack(">I", length)[0])
            return
        yield Emit((yield Read(count)))
        yield Peek(1 if self.version < (3, 8) else 4)  # what comes next depends on the viewer's choice
        if self.security is None:
            raise Refused("the workstation spoke before the viewer chose its security")
        if self.security == 2:
            yield Emit((yield Read(16)))  # the challenge
        if self.security == 2 or self.version >= (3, 8):
            result = yield Read(4)
            yield Emit(result)
            if result != b"\0\0\0\0":
                if self.version >= (3, 8):
                    length = yield Read(4)
                    yield Emit(length)
                    yield Pass(struct.unpack(">I", length)[0])
                return
        init = yield Read(24)
        self.bytes_per_pixel = max(1, init[4] // 8)
        yield Emit(init)
        yield Pass(struct.unpack(">I", init[20:24])[0])
        while True:
            kind = (yield Read(1))[0]
            if kind == 0:
                yield from self._update()
            elif kind == 1:  # SetColourMapEntries
                header = yield Read(5)
                yield Emit(bytes([kind]) + header)
                yield Pass(6 * struct.unpack(">H", header[3:5])[0])
            elif kind == 2:  # Bell
                yield Emit(bytes([kind]))
            elif kind == 3:  # ServerCutText: the workstation's clipboard stays there
                header = yield Read(7)
                yield Drop(abs(struct.unpack(">i", header[3:7])[0]))
                self._withhold("workstation clipboard")
            elif kind == 150:  # EndOfContinuousUpdates
                yield Emit(bytes([kind]))
            elif kind == 248:  # ServerFence
                header = yield Read(8)
                yield Emit(bytes([kind]) + header + (yield Read(header[7])))
            else:
                raise Refused(f"an unknown message from the workstation ({kind}) in a view-only session")

    def _update(self) -> Protocol:
        header = yield Read(3)
        yield Emit(b"\0" + header)
        rects = struct.unpack(">H", header[1:3])[0]
        for _ in range(rects):
            rect = yield Read(12)
            yield Emit(rect)
            _x, _y, width, height, encoding = struct.unpack(">HHHHi", rect)
            if encoding == LAST_RECT:
                return
            yield from self._payload(encoding, width, height)

    def _payload(self, encoding: int, width: int, height: int) -> Protocol:
        match encoding:
            case 0:
                yield Pass(width * height * self.bytes_per_pixel)
            case 1:
                yield Pass(4)
            case 16 | -307:  # ZRLE, DesktopName: a length, then that many bytes
                length = yield Read(4)
                yield Emit(length)
                yield Pass(struct.unpack(">I", length)[0])
            case -223:
                pass
            case -239:  # Cursor: pixels, then a bit mask
                yield Pass(width * height * self.bytes_per_pixel + (width + 7) // 8 * height)
            case -308:
                screens = yield Read(4)
                yield Emit(screens)
                yield Pass(16 * screens[0])
            case _:
                raise Refused(f"an encoding the viewer did not ask for ({encoding}) in a view-only session")

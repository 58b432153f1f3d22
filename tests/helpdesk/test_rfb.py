"""View only, parsed both ways: whatever the split of the stream, the same bytes come out."""

import random
import struct

import pytest

from helpdesk.bridge.rfb import Refused, Stream, ViewOnly, check_greeting

SET_ENCODINGS = struct.pack(">BxH4i", 2, 4, 16, 7, -223, 0xC0A1E5CE - (1 << 32))  # ZRLE, Tight, size, clipboard
UPDATE_REQUEST = struct.pack(">BBHHHH", 3, 0, 0, 0, 8, 8)
PIXEL_FORMAT = struct.pack(">Bxxx", 0) + bytes([32, 24, 0, 1]) + b"\0" * 12
KEY = struct.pack(">BBxxI", 4, 1, 0x61)
POINTER = struct.pack(">BBHH", 5, 1, 16, 16)
CUT = struct.pack(">Bxxxi", 6, 3) + b"abc"
EXTENDED_CUT = struct.pack(">Bxxxi", 6, -8) + b"\x10\x00\x00\x01" + b"zzzz"
QEMU_KEY = struct.pack(">BBHII", 255, 0, 1, 0x61, 30)
RESIZE = struct.pack(">BxHHBx", 251, 100, 100, 1) + b"\0" * 16


def split(data: bytes, stream: Stream, seed: int) -> bytes:
    chooser = random.Random(seed)
    out, i = [], 0
    while i < len(data):
        n = chooser.choice((1, 2, 3, 7, 64))
        out.append(stream.feed(data[i : i + n]))
        i += n
    return b"".join(out)


def browser_stream(version: bytes = b"RFB 003.008\n") -> tuple[bytes, bytes]:
    """What a viewer sends (with input a modified viewer adds) and what may reach the workstation."""
    handshake = version + b"\x01" + b"\x01"
    sent = handshake + PIXEL_FORMAT + SET_ENCODINGS + KEY + UPDATE_REQUEST + POINTER + CUT + EXTENDED_CUT
    sent += QEMU_KEY + RESIZE + PIXEL_FORMAT + UPDATE_REQUEST
    allowed = handshake + PIXEL_FORMAT + struct.pack(">BxH2i", 2, 2, 16, -223) + UPDATE_REQUEST + UPDATE_REQUEST
    return sent, allowed


@pytest.mark.parametrize("seed", range(5))
def test_input_never_reaches_the_workstation_however_the_stream_is_split(seed: int) -> None:
    state = ViewOnly(server_version=(3, 8))
    sent, allowed = browser_stream()
    assert split(sent, Stream(state.client()), seed) == allowed
    assert state.withheld == {"key": 2, "pointer": 1, "clipboard": 2, "resize": 1, "pixel format": 1}


@pytest.mark.parametrize("version", [b"RFB 003.003\n", b"RFB 003.889\n", b"RFB 004.001\n", b"HTTP/1.1 200"])
def test_a_viewer_claiming_another_version_is_refused(version: bytes) -> None:
    with pytest.raises(Refused):
        Stream(ViewOnly(server_version=(3, 8)).client()).feed(version)


def test_unknown_or_unreadable_messages_are_refused() -> None:
    stream = Stream(ViewOnly(server_version=(3, 8)).client())
    stream.feed(b"RFB 003.008\n\x01\x01")
    with pytest.raises(Refused):
        stream.feed(b"\x99")
    secure = Stream(ViewOnly(server_version=(3, 8)).client())
    with pytest.raises(Refused):  # VeNCrypt: encrypted, so the bridge could not read the rest
        secure.feed(b"RFB 003.008\n\x13")


def workstation_stream(version: tuple[int, int]) -> tuple[bytes, bytes]:
    security = b"\x01\x01" + (b"\0\0\0\0" if version >= (3, 8) else b"")
    init = struct.pack(">HH", 4, 2) + bytes([32, 24, 0, 1]) + b"\0" * 12 + struct.pack(">I", 3) + b"pc7"
    raw = struct.pack(">HHHHi", 0, 0, 4, 2, 0) + b"\x11" * (4 * 2 * 4)
    copy = struct.pack(">HHHHi", 0, 0, 2, 2, 1) + b"\0\0\0\1"
    zrle = struct.pack(">HHHHi", 0, 0, 4, 2, 16) + struct.pack(">I", 5) + b"zzzzz"
    cursor = struct.pack(">HHHHi", 0, 0, 9, 1, -239) + b"\x22" * (9 * 4) + b"\xff\x80"
    screens = struct.pack(">HHHHi", 0, 0, 4, 2, -308) + b"\x01\0\0\0" + b"\0" * 16
    update = struct.pack(">BxH", 0, 5) + raw + copy + zrle + cursor + screens
    last_rect = struct.pack(">BxH", 0, 0xFFFF) + copy + struct.pack(">HHHHi", 0, 0, 0, 0, -224)
    colours = struct.pack(">BxHH", 1, 0, 1) + b"\0" * 6
    clipboard = struct.pack(">Bxxxi", 3, 6) + b"secret"
    extended_clipboard = struct.pack(">Bxxxi", 3, -4) + b"\x10\0\0\x01"
    fence = struct.pack(">BxxxIB", 248, 0, 2) + b"ok"
    head = security + init
    tail = update + last_rect + colours + b"\x02" + b"\x96" + fence
    sent = head + update + clipboard + last_rect + colours + extended_clipboard + b"\x02" + b"\x96" + fence
    return sent, head + tail


@pytest.mark.parametrize("version", [(3, 7), (3, 8)])
@pytest.mark.parametrize("seed", range(3))
def test_the_workstation_clipboard_never_reaches_the_viewer(version: tuple[int, int], seed: int) -> None:
    state = ViewOnly(server_version=version)
    client = Stream(state.client())
    client.feed(f"RFB 003.00{version[1]}\n".encode() + b"\x01")  # the viewer chose no authentication
    sent, passed = workstation_stream(version)
    assert split(sent, Stream(state.server()), seed) == passed
    assert state.withheld == {"workstation clipboard": 2}


def test_an_encoding_nobody_asked_for_closes_the_view() -> None:
    state = ViewOnly(server_version=(3, 8))
    Stream(state.client()).feed(b"RFB 003.008\n\x01")
    server = Stream(state.server())
    server.feed(workstation_stream((3, 8))[0][:30])  # security and server init
    with pytest.raises(Refused):
        server.feed(struct.pack(">BxH", 0, 1) + struct.pack(">HHHHi", 0, 0, 4, 4, 7))  # Tight


@pytest.mark.parametrize(
    ("greeting", "reason"),
    [(b"RFB 003.003\n", "old_rfb"), (b"SSH-2.0-Open", "not_vnc"), (b"HTTP/1.1 400", "not_vnc"), (b"", "not_vnc")],
)
def test_only_a_vnc_server_of_3_7_or_later_is_carried(greeting: bytes, reason: str) -> None:
    with pytest.raises(Refused) as refused:
        check_greeting(greeting)
    assert refused.value.reason == reason
    assert check_greeting(b"RFB 003.008\n") == (3, 8)
    assert check_greeting(b"RFB 003.007\n") == (3, 7)

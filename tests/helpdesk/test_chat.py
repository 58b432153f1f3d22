import io

import pytest
from PIL import Image

from helpdesk.core import events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from helpdesk.domain import chat, policy, tickets, users
from models import Category, Priority
from tests.conftest import People


@pytest.fixture
def ticket_id(people: People) -> int:
    return tickets.create(people.employee_a, "Printer jams", "Every page.", Priority.normal, Category.hardware).id


def png(width: int = 800, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_messages_are_saved_then_published_in_order(people: People, ticket_id: int) -> None:
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    first = chat.post(people.employee_a, ticket_id, "  Hello?  ")
    second = chat.post(people.technician, ticket_id, "On it.")
    assert first.body == "Hello?" and second.id > first.id
    posted = [e for e in seen if isinstance(e, events.MessagePosted)]
    assert [e.message for e in posted] == [first, second]
    # Replying means having read what came before: the other side is told.
    assert events.MessagesSeen(ticket_id, people.technician.id, "Tom Technician", True, second.id) in seen
    assert [m.body for m in chat.history(people.employee_a, ticket_id)] == ["Hello?", "On it."]
    assert [m.id for m in chat.history(people.employee_a, ticket_id, after_id=first.id)] == [second.id]


def test_first_technician_reply_sets_first_response(people: People, ticket_id: int) -> None:
    chat.post(people.employee_a, ticket_id, "Anyone?")
    chat.post(people.technician, ticket_id, "A note", internal=True)
    assert tickets.get(people.technician, ticket_id).ticket.first_response_at is None
    reply = chat.post(people.technician, ticket_id, "Looking now.")
    assert tickets.get(people.technician, ticket_id).ticket.first_response_at == reply.created_at


def test_internal_notes_never_reach_employees(people: People, ticket_id: int) -> None:
    with pytest.raises(PermissionDenied):
        chat.post(people.employee_a, ticket_id, "let me in", internal=True)
    note = chat.post(people.technician, ticket_id, "Requester is on leave tomorrow", internal=True)
    assert note.internal
    assert chat.history(people.employee_a, ticket_id) == []
    assert [m.id for m in chat.history(people.technician_2, ticket_id)] == [note.id]
    assert chat.unread_counts(people.employee_a, [ticket_id]) == {}
    assert chat.unread_counts(people.technician_2, [ticket_id]) == {ticket_id: 1}


def test_only_people_who_see_the_ticket_can_chat(people: People, ticket_id: int) -> None:
    with pytest.raises(NotFound):
        chat.post(people.employee_b, ticket_id, "hi")
    with pytest.raises(NotFound):
        chat.history(people.employee_b, ticket_id)
    with pytest.raises(NotFound):
        chat.mark_seen(people.employee_b, ticket_id, 1)


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 5001])
def test_empty_and_over_long_messages_are_refused(people: People, ticket_id: int, body: str) -> None:
    with pytest.raises(InvalidInput):
        chat.post(people.employee_a, ticket_id, body)
    assert chat.history(people.technician, ticket_id) == []


def test_posting_is_rate_limited_per_user(people: People, ticket_id: int) -> None:
    for i in range(20):
        chat.post(people.employee_a, ticket_id, f"message {i}")
    with pytest.raises(RateLimited):
        chat.post(people.employee_a, ticket_id, "one too many")
    chat.post(people.technician, ticket_id, "others are not limited")
    assert len(chat.history(people.technician, ticket_id)) == 21


def test_unread_counts_and_seen_receipts(people: People, ticket_id: int) -> None:
    m1 = chat.post(people.employee_a, ticket_id, "one")
    m2 = chat.post(people.employee_a, ticket_id, "two")
    assert chat.unread_counts(people.technician, [ticket_id]) == {ticket_id: 2}
    assert chat.unread_counts(people.employee_a, [ticket_id]) == {}  # one's own messages are read
    assert chat.seen_by_other_side(people.employee_a, ticket_id) == 0
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    chat.mark_seen(people.technician, ticket_id, m1.id)
    assert chat.unread_counts(people.technician, [ticket_id]) == {ticket_id: 1}
    assert chat.seen_by_other_side(people.employee_a, ticket_id) == m1.id
    assert seen == [events.MessagesSeen(ticket_id, people.technician.id, "Tom Technician", True, m1.id)]
    chat.mark_seen(people.technician, ticket_id, m1.id)  # nothing new: no event
    assert len(seen) == 1
    chat.mark_seen(people.technician, ticket_id, m2.id)
    assert chat.unread_counts(people.technician, [ticket_id]) == {}


def test_unread_total_counts_my_tickets_only(people: People, ticket_id: int) -> None:
    other = tickets.create(people.employee_b, "Other", "x", Priority.normal, Category.other).id
    tickets.take(people.technician, ticket_id)
    chat.post(people.employee_a, ticket_id, "for Tom")
    chat.post(people.employee_b, other, "for nobody yet")
    assert chat.unread_total(people.technician) == 1
    assert chat.unread_total(people.technician, exclude_ticket_id=ticket_id) == 0
    chat.post(people.technician, ticket_id, "reply")
    assert chat.unread_total(people.employee_a) == 1


def test_image_attachment_is_stored_with_a_server_name_and_a_thumbnail(people: People, ticket_id: int) -> None:
    posted = chat.post(people.employee_a, ticket_id, "", upload=chat.Upload("../../etc/screen shot.png", png()))
    [info] = posted.files
    assert info.content_type == "image/png" and info.has_thumbnail and info.filename == "screen shot.png"
    file = chat.open_attachment(people.technician, info.id)
    assert file.path.parent == chat.attachments_dir() and "screen" not in file.path.name
    assert file.path.read_bytes() == png()
    thumb = chat.open_attachment(people.employee_a, info.id, thumbnail=True)
    with Image.open(thumb.path) as image:
        assert max(image.size) <= 320
    with pytest.raises(NotFound):
        chat.open_attachment(people.employee_b, info.id)


def test_files_in_internal_notes_are_for_technicians_only(people: People, ticket_id: int) -> None:
    note = chat.post(
        people.technician, ticket_id, "log", internal=True, upload=chat.Upload("app.log", b"error at 10:42\n")
    )
    [info] = note.files
    assert info.content_type == "text/plain"
    assert chat.open_attachment(people.technician_2, info.id).path.exists()
    with pytest.raises(NotFound):
        chat.open_attachment(people.employee_a, info.id)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("evil.png", b"<script>alert(1)</script>"),  # a name that lies
        ("fake.pdf", b"MZ\x90\x00" + b"\x00" * 100),  # an executable
        ("broken.png", png()[:200]),  # a truncated image
        ("notes.txt", b"\xff\xfe\x00\x00binary"),  # not text
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("empty.txt", b""),
    ],
)
def test_attachments_are_checked_by_content(people: People, ticket_id: int, name: str, data: bytes) -> None:
    with pytest.raises(InvalidInput):
        chat.post(people.employee_a, ticket_id, "see file", upload=chat.Upload(name, data))
    assert chat.history(people.employee_a, ticket_id) == []


def test_attachment_size_limit(people: People, ticket_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_ATTACHMENT_MAX_BYTES", "1000")
    get_settings.cache_clear()
    with pytest.raises(InvalidInput, match="at most"):
        chat.post(people.employee_a, ticket_id, "", upload=chat.Upload("a.log", b"x" * 1001))
    get_settings.cache_clear()


def test_pdf_attachment(people: People, ticket_id: int) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    [info] = chat.post(people.employee_a, ticket_id, "invoice", upload=chat.Upload("invoice.pdf", pdf)).files
    assert info.content_type == "application/pdf" and not info.has_thumbnail


def test_queued_read_markers_are_written_in_one_batch(people: People, ticket_id: int) -> None:
    message = chat.post(people.employee_a, ticket_id, "hello")
    seen: list[events.Event] = []
    events.subscribe(seen.append)
    chat.queue_seen(people.technician, ticket_id, message.id)
    chat.queue_seen(people.technician, ticket_id, message.id - 1)  # an older report changes nothing
    chat.queue_seen(people.technician_2, ticket_id, message.id)
    chat.queue_seen(people.employee_b, ticket_id, message.id)  # not theirs to see: dropped
    assert chat.unread_counts(people.technician, [ticket_id]) == {ticket_id: 1}  # nothing written yet
    assert chat.flush_seen() == 2
    assert chat.unread_counts(people.technician, [ticket_id]) == {}
    # One receipt for the technicians' side, at the furthest position read.
    receipts = [e for e in seen if isinstance(e, events.MessagesSeen)]
    assert [(e.ticket_id, e.is_technician, e.last_read_id) for e in receipts] == [(ticket_id, True, message.id)]
    assert chat.flush_seen() == 0


def test_a_deactivated_users_queued_marker_is_dropped(people: People, ticket_id: int) -> None:
    message = chat.post(people.employee_a, ticket_id, "hello")
    chat.queue_seen(people.technician, ticket_id, message.id)
    users.update(people.admin, people.technician.id, is_active=False)
    assert chat.flush_seen() == 0


def test_who_may_see_and_who_is_concerned_by_a_live_message(people: People, ticket_id: int) -> None:
    tickets.take(people.technician, ticket_id)
    heard: list[events.Event] = []
    events.subscribe(heard.append)
    chat.post(people.technician_2, ticket_id, "public")
    chat.post(people.technician_2, ticket_id, "note", internal=True)
    public, note = (e for e in heard if isinstance(e, events.MessagePosted))
    assert policy.may_receive(people.employee_a, public) and not policy.may_receive(people.employee_a, note)
    assert not policy.may_receive(people.employee_b, public)
    assert policy.may_receive(people.technician, note)
    # A toast for the requester and the assignee, never for the author or about a hidden note.
    assert chat.concerns(people.employee_a, public) and not chat.concerns(people.employee_a, note)
    assert chat.concerns(people.technician, note) and not chat.concerns(people.technician_2, note)
    assert not chat.concerns(people.admin, public)


def test_ones_own_reading_is_never_a_receipt(people: People) -> None:
    # A technician who reports a ticket is its requester and on the technicians' side at once.
    own = tickets.create(people.technician, "My own laptop", "Fan noise.", Priority.low, Category.hardware).id
    message = chat.post(people.technician, own, "note to self")
    assert chat.seen_by_other_side(people.technician, own) == 0
    chat.mark_seen(people.technician_2, own, message.id)
    assert chat.seen_by_other_side(people.technician, own) == message.id

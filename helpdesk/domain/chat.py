"""Live chat on a ticket: messages, internal notes, attachments, read markers.

A message is committed before it is published, so nobody is told of a message that could still
be lost. Internal notes never reach an employee: every read path below filters them out, and the
published event is flagged, and live routing drops it for employees (domain/policy.py).
"""

import io
import logging
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import filetype
from limits import parse
from PIL import Image, UnidentifiedImageError
from sqlalchemy import and_, func, insert, or_, tuple_, update
from sqlmodel import Session, select
from sqlmodel.sql.expression import Select

from helpdesk.core import cluster, db, events
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, InvalidInput, NotFound, PermissionDenied, RateLimited, StorageUnavailable
from helpdesk.core.events import MessagePosted
from helpdesk.core.views import ChatFile, ChatMessage
from helpdesk.domain import notify, policy, tickets
from helpdesk.domain.policy import load_actor
from models import Attachment, Message, MessageRead, Role, Ticket, User
from models.clock import utcnow
from models.message import FILENAME_MAX

log = logging.getLogger(__name__)

HISTORY_LIMIT = 500
THUMBNAIL_SIZE = (320, 320)
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
DOCUMENT_TYPES = {"application/pdf"}
TEXT_SUFFIXES = {".txt", ".log", ".csv", ".json", ".xml", ".ini", ".conf", ".cfg", ".yaml", ".yml", ".md"}

_limiter = cluster.SharedLimiter()  # shared by every process when Redis is set


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def attachments_dir() -> Path:
    path = get_settings().data_dir / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reset_rate_limit() -> None:
    _limiter.reset()
    with _pending_lock:
        _pending_seen.clear()


def _may_post(session: Session, actor: User, ticket_id: int, internal: bool) -> tuple[User, Ticket]:
    actor = load_actor(session, actor)
    ticket = policy.visible_ticket(session, actor, ticket_id)  # first: an unseen ticket answers "not found"
    if internal and not actor.is_technician:
        raise PermissionDenied(N_("Only technicians can write internal notes."))
    return actor, ticket


def validate_body(body: str, has_attachment: bool) -> str:
    body = body.strip()
    limit = get_settings().chat_max_length
    if not body and not has_attachment:
        raise InvalidInput(N_("Write a message first."))
    if len(body) > limit:
        raise InvalidInput(N_("A message can hold at most {max} characters."), max=limit)
    return body


def sniff(upload: Upload) -> str:
    """The upload's real type, from its bytes (never from its name or the browser's word)."""
    limit = get_settings().attachment_max_bytes
    if not upload.data:
        raise InvalidInput(N_("The file is empty."))
    if len(upload.data) > limit:
        raise InvalidInput(N_("Files can be at most {mb} MB."), mb=round(limit / 1024 / 1024, 1))
    kind = filetype.guess(upload.data)
    if kind is not None and kind.mime in IMAGE_TYPES:
        try:
            with Image.open(io.BytesIO(upload.data)) as image:
                image.verify()  # decodes the structure: a renamed or truncated file fails here
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise InvalidInput(N_("This image is damaged.")) from error
        return kind.mime
    if kind is not None and kind.mime in DOCUMENT_TYPES:
        return kind.mime
    if kind is None and Path(upload.filename).suffix.lower() in TEXT_SUFFIXES and b"\x00" not in upload.data:
        try:
            upload.data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text/plain"
    raise InvalidInput(N_("Only images, PDF and text or log files can be attached."))


def _safe_filename(name: str) -> str:
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "file"
    return name[-FILENAME_MAX:]


@dataclass(frozen=True)
class StoredFile:
    """An upload written to the attachments folder, waiting for its message to be saved."""

    name: str  # random, the file's name on disk
    filename: str  # as the user named it, made safe
    content_type: str
    size: int
    has_thumbnail: bool


def _store(upload: Upload, content_type: str) -> StoredFile:
    """The file (and an image's thumbnail) under a random name; on a failed write nothing stays."""
    stored = secrets.token_hex(16)
    filename, size = _safe_filename(upload.filename), len(upload.data)
    try:
        folder = attachments_dir()
        (folder / stored).write_bytes(upload.data)
        if content_type not in IMAGE_TYPES:
            return StoredFile(stored, filename, content_type, size, False)
        with Image.open(io.BytesIO(upload.data)) as image:
            image.thumbnail(THUMBNAIL_SIZE)
            image.convert("RGB").save(folder / f"{stored}.thumb.jpg", "JPEG", quality=80)
        return StoredFile(stored, filename, content_type, size, True)
    except OSError as error:
        _discard(stored)
        log.warning("an attachment could not be written: %s", error.strerror or type(error).__name__)
        raise StorageUnavailable(db.CANNOT_SAVE) from None


def _discard(stored: str) -> None:
    """Remove a stored file and its thumbnail (whose message was never saved)."""
    folder = get_settings().data_dir / "attachments"
    for name in (stored, f"{stored}.thumb.jpg"):
        (folder / name).unlink(missing_ok=True)


def post(actor: User, ticket_id: int, body: str, internal: bool = False, upload: Upload | None = None) -> ChatMessage:
    """Save a message (and its file), then tell every open view of the ticket."""
    body = validate_body(body, upload is not None)
    content_type = sniff(upload) if upload is not None else None
    if upload is not None:  # check before the file touches the disk (the write below checks again)
        with db.read_session() as session:
            _may_post(session, actor, ticket_id, internal)
    if not _limiter.hit(parse(get_settings().chat_rate), "chat", str(actor.id)):
        raise RateLimited(N_("You are sending messages too fast. Wait a moment."))
    stored = _store(upload, content_type) if upload is not None and content_type else None
    try:
        return _save(actor, ticket_id, body, internal, stored)
    except BaseException:
        if stored is not None:
            _discard(stored.name)  # the message was not saved: neither is its file
        raise


def _save(actor: User, ticket_id: int, body: str, internal: bool, stored: StoredFile | None) -> ChatMessage:
    with db.write_session() as session:
        actor, ticket = _may_post(session, actor, ticket_id, internal)
        now = utcnow()
        message = Message(ticket_id=ticket_id, author_id=actor.id, body=body, internal=internal, created_at=now)
        session.add(message)
        session.flush()
        files: tuple[ChatFile, ...] = ()
        if stored is not None:
            attachment = Attachment(
                message_id=message.id,
                ticket_id=ticket_id,
                stored_name=stored.name,
                filename=stored.filename,
                content_type=stored.content_type,
                size=stored.size,
                has_thumbnail=stored.has_thumbnail,
            )
            session.add(attachment)
            session.flush()
            files = (_file(attachment),)
        posted = _message(message, actor, files)
        notify.message_posted(session, ticket, message, actor)
        db.publish(session, MessagePosted(posted, ticket.requester_id, ticket.assignee_id, ticket.title))
        # Writing a message means having read everything before it: the other side learns that too.
        if _mark_read(session, actor.id, ticket_id, message.id):
            db.publish(session, _seen(actor, ticket_id, message.id))
        if not internal and tickets.note_response(ticket, actor, now):
            session.add(ticket)
            tickets.publish_change(session, ticket)
    return posted


def _file(attachment: Attachment) -> ChatFile:
    return ChatFile(
        attachment.id, attachment.filename, attachment.content_type, attachment.size, attachment.has_thumbnail
    )


def _message(message: Message, author: User, files: tuple[ChatFile, ...]) -> ChatMessage:
    m = message
    return ChatMessage(m.id, m.ticket_id, author.id, author.name, m.body, m.internal, m.created_at, files)


def _visible_messages(session: Session, actor: User, ticket_id: int) -> Select:
    """The ticket's messages (with their authors) that the actor may see; the ticket is checked."""
    actor = load_actor(session, actor)
    policy.visible_ticket(session, actor, ticket_id)
    query = select(Message, User).join(User, User.id == Message.author_id).where(Message.ticket_id == ticket_id)
    return query if actor.is_technician else query.where(Message.internal.is_(False))


def history(
    actor: User, ticket_id: int, after_id: int = 0, limit: int = HISTORY_LIMIT, before_id: int | None = None
) -> list[ChatMessage]:
    """Messages the actor may see, oldest first, at most `limit`: the newest ones, or those older
    than `before_id` (paging back), or the first ones after `after_id` (catching up, paging on)."""
    with db.read_session() as session:
        query = _visible_messages(session, actor, ticket_id).where(Message.id > after_id)
        if before_id is not None:
            query = query.where(Message.id < before_id)
        if after_id and before_id is None:
            rows = list(session.exec(query.order_by(Message.id).limit(limit)))
        else:
            rows = list(session.exec(query.order_by(Message.id.desc()).limit(limit)))[::-1]
        return _with_files(session, rows)


def message(actor: User, ticket_id: int, message_id: int) -> ChatMessage:
    """One message of the ticket, if the actor may see it."""
    with db.read_session() as session:
        row = session.exec(_visible_messages(session, actor, ticket_id).where(Message.id == message_id)).first()
        if row is None:
            raise NotFound(N_("This message does not exist."))
        return _with_files(session, [row])[0]


def _with_files(session: Session, rows: list) -> list[ChatMessage]:
    ids = [m.id for m, _ in rows]
    files: dict[int, list[ChatFile]] = {}
    if ids:
        for a in session.exec(select(Attachment).where(Attachment.message_id.in_(ids)).order_by(Attachment.id)):
            files.setdefault(a.message_id, []).append(_file(a))
    return [_message(m, u, tuple(files.get(m.id, ()))) for m, u in rows]


def _mark_read(session: Session, user_id: int, ticket_id: int, message_id: int) -> bool:
    read = session.get(MessageRead, (user_id, ticket_id))
    if read is None:
        session.add(MessageRead(user_id=user_id, ticket_id=ticket_id, last_read_id=message_id))
        return True
    if message_id > read.last_read_id:
        read.last_read_id = message_id
        read.updated_at = utcnow()
        session.add(read)
        return True
    return False


def _seen(reader: User, ticket_id: int, message_id: int) -> events.MessagesSeen:
    return events.MessagesSeen(ticket_id, reader.id, reader.name, reader.is_technician, message_id)


def mark_seen(actor: User, ticket_id: int, message_id: int) -> None:
    """The actor has seen the ticket's chat up to `message_id`; the other side learns it."""
    with db.write_session() as session:
        actor = load_actor(session, actor)
        policy.visible_ticket(session, actor, ticket_id)
        if _mark_read(session, actor.id, ticket_id, message_id):
            db.publish(session, _seen(actor, ticket_id, message_id))


# (user, ticket) -> (the user, the furthest message shown, whether the page showed the ticket now)
_pending_seen: dict[tuple[int, int], tuple[User, int, bool]] = {}
_pending_lock = threading.Lock()


def queue_seen(actor: User, ticket_id: int, message_id: int, viewed: bool = False) -> None:
    """Like `mark_seen`, batched: open pages report what they show; `flush_seen` writes it all
    in one transaction, so a thousand viewers do not mean a thousand write transactions.
    `viewed`: the page shows the ticket as it is now (its marker's time moves even with no new
    message), so an email need not tell what they saw change (domain/outbox.py)."""
    with _pending_lock:
        _user, furthest, was_viewed = _pending_seen.get((actor.id, ticket_id), (actor, 0, False))
        _pending_seen[(actor.id, ticket_id)] = (actor, max(furthest, message_id), viewed or was_viewed)


def queue_viewed(actor: User, ticket_id: int) -> None:
    queue_seen(actor, ticket_id, 0, viewed=True)


def flush_seen() -> int:
    """Write the queued read markers in one transaction. Returns how many moved.

    Receipts are published once per ticket and side (requester or technicians), with the
    furthest position, which is all a "seen" mark needs, instead of once per viewer."""
    with _pending_lock:
        batch = dict(_pending_seen)
        _pending_seen.clear()
    if not batch:
        return 0
    moved, receipts = 0, {}
    with db.write_session() as session:
        users = {u.id: u for u in session.exec(select(User).where(User.id.in_({k[0] for k in batch})))}
        tickets = {t.id: t for t in session.exec(select(Ticket).where(Ticket.id.in_({k[1] for k in batch})))}
        keys, existing = list(batch), {}
        for start in range(0, len(keys), 400):  # well under SQLite's limit on bound parameters
            pairs = tuple_(MessageRead.user_id, MessageRead.ticket_id).in_(keys[start : start + 400])
            columns = select(MessageRead.user_id, MessageRead.ticket_id, MessageRead.last_read_id).where(pairs)
            existing.update({(user, ticket): last for user, ticket, last in session.exec(columns)})
        now, inserts, updates = utcnow(), [], []
        for (user_id, ticket_id), (actor, message_id, viewed) in batch.items():
            user, ticket = users.get(user_id), tickets.get(ticket_id)
            allowed = (
                user is not None
                and user.is_active
                and user.token_version == actor.token_version
                and ticket is not None
                and policy.can_view(user, ticket)
            )
            read = existing.get((user_id, ticket_id))
            advanced = read is None or message_id > read
            if not allowed or not (advanced or viewed):
                continue
            last = max(message_id, read or 0)
            row = {"user_id": user_id, "ticket_id": ticket_id, "last_read_id": last, "updated_at": now}
            (inserts if read is None else updates).append(row)
            if not advanced or not message_id:
                continue  # only viewed: no receipt to send
            moved += 1
            side = (ticket_id, user.is_technician)
            if side not in receipts or receipts[side].last_read_id < message_id:
                receipts[side] = _seen(user, ticket_id, message_id)
        # Two executemany statements rather than one ORM object per marker: this runs every second.
        if inserts:
            session.execute(insert(MessageRead), inserts)
        if updates:
            session.execute(update(MessageRead), updates)
        for event in receipts.values():
            db.publish(session, event)
    return moved


def seen_by_other_side(actor: User, ticket_id: int) -> int:
    """The highest message id that the other side (requester vs. technicians) has read; never
    the actor themselves (a technician can be a ticket's requester too)."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        ticket = policy.visible_ticket(session, actor, ticket_id)
        query = select(func.max(MessageRead.last_read_id)).where(
            MessageRead.ticket_id == ticket_id, MessageRead.user_id != actor.id
        )
        if actor.id == ticket.requester_id:
            query = query.join(User, User.id == MessageRead.user_id).where(User.role == Role.technician)
        else:
            query = query.where(MessageRead.user_id == ticket.requester_id)
        return session.exec(query).one() or 0


def unread_counts(actor: User, ticket_ids: list[int]) -> dict[int, int]:
    """Per ticket, the messages by others that the actor has not read (notes only for technicians)."""
    if not ticket_ids:
        return {}
    with db.read_session() as session:
        actor = load_actor(session, actor)
        read = MessageRead
        query = (
            select(Message.ticket_id, func.count())
            .join(Ticket, Ticket.id == Message.ticket_id)
            .join(read, and_(read.ticket_id == Message.ticket_id, read.user_id == actor.id), isouter=True)
            .where(
                Message.ticket_id.in_(ticket_ids),
                Message.author_id != actor.id,
                or_(read.last_read_id.is_(None), Message.id > read.last_read_id),
            )
            .group_by(Message.ticket_id)
        )
        if not actor.is_technician:
            query = query.where(Message.internal.is_(False), Ticket.requester_id == actor.id)
        return dict(session.exec(query).all())


def concerns(user: User, posted: MessagePosted) -> bool:
    """A message by someone else on one of the user's tickets (see `my_ticket_ids`): worth a toast."""
    message = posted.message
    if message.author_id == user.id or not policy.may_see_message(user, posted.requester_id, message.internal):
        return False
    return posted.assignee_id == user.id if user.is_technician else posted.requester_id == user.id


def my_ticket_ids(actor: User) -> list[int]:
    """The tickets whose messages concern the actor: requested by them, or assigned to them."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        column = Ticket.assignee_id if actor.is_technician else Ticket.requester_id
        return list(session.exec(select(Ticket.id).where(column == actor.id)))


def unread_total(actor: User, exclude_ticket_id: int | None = None) -> int:
    counts = unread_counts(actor, my_ticket_ids(actor))
    return sum(count for ticket_id, count in counts.items() if ticket_id != exclude_ticket_id)


@dataclass(frozen=True)
class AttachmentFile:
    path: Path
    filename: str
    content_type: str


def open_attachment(actor: User, attachment_id: int, thumbnail: bool = False) -> AttachmentFile:
    """The file, if the actor may see its ticket (and its note); otherwise NotFound, as if absent."""
    with db.read_session() as session:
        actor = load_actor(session, actor)
        attachment = session.get(Attachment, attachment_id)
        message = session.get(Message, attachment.message_id) if attachment else None
        ticket = session.get(Ticket, attachment.ticket_id) if attachment else None
        visible = (
            attachment is not None
            and message is not None
            and ticket is not None
            and policy.can_view(actor, ticket)
            and policy.may_see_message(actor, ticket.requester_id, message.internal)
        )
        if not visible or attachment is None or (thumbnail and not attachment.has_thumbnail):
            raise NotFound(N_("This file does not exist."))
    name = f"{attachment.stored_name}.thumb.jpg" if thumbnail else attachment.stored_name
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    path = attachments_dir() / name
    if not path.is_file():  # a database restored without its files, a disk swapped...
        log.warning("attachment %d: its file is missing", attachment_id)
        raise NotFound(N_("This file is missing on the server. An administrator can restore it from a backup."))
    return AttachmentFile(path, attachment.filename, content_type)

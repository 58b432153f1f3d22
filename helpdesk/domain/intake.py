"""Email in: a new email from a known person opens a ticket in their name; a reply to one of our
emails joins its ticket's chat as its sender, without the quoted history and signature.

What is never turned into anything (and never answered): automatic mail (Auto-Submitted,
Precedence bulk/list, vacation replies), bounces (delivery reports, MAILER-DAEMON), our own
emails, and a loop (more than HELPDESK_MAIL_LOOP_LIMIT from one sender in a minute). What the
helpdesk cannot take (an unknown sender, too large, a refused file) is answered once with the
reason, and listed for administrators.

Each email is remembered by its Message-ID in the same transaction as what it creates, so one
read twice (a restart half-way) adds nothing twice. HTML is reduced to text, never rendered.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from urllib.parse import unquote, urlsplit

import html2text
from mailparser_reply import EmailReplyParser
from sqlalchemy import func
from sqlmodel import Session, col, select

from helpdesk.core import db, i18n, mailer
from helpdesk.core.config import IMAP_SCHEMES, get_settings
from helpdesk.core.errors import N_, Conflict, HelpdeskError, InvalidInput, StorageUnavailable
from helpdesk.domain import chat, outbox, tickets, users
from helpdesk.domain.chat import Upload
from models import Category, InboundMail, InboundOutcome, MailStatus, OutboxMail, Priority, Role, Status, Ticket, User
from models.clock import utcnow
from models.mail import SUBJECT_MAX
from models.ticket import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN

log = logging.getLogger(__name__)
ADMIN_LANGUAGE = "en"  # refusal reasons are kept in English for the outbox page
REFUSAL_EVERY = timedelta(hours=1)  # at most one "we could not take your email" per sender
_reply_parser = EmailReplyParser(languages=["en", "fr"])


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    security: str
    user: str
    password: str
    folder: str = "INBOX"

    @classmethod
    def from_url(cls, url: str) -> "Mailbox":
        parts = urlsplit(url)
        security, port = IMAP_SCHEMES[parts.scheme]  # scheme and host checked with the settings
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        user, password = unquote(parts.username), unquote(parts.password or "")
        assert parts.hostname is not None
        return cls(parts.hostname, parts.port or port, security, user, password, folder)

    def describe(self) -> str:
        return f"{self.security} {self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox() -> Mailbox | None:
    url = get_settings().imap_url
    return Mailbox.from_url(url) if url else None


@dataclass
class Incoming:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    files: list[Upload] = field(default_factory=list)
    ticket_id: int | None = None
    automatic: str | None = None  # why it is never answered, if it is automatic mail


def parse(raw: bytes) -> Incoming:
    mail: EmailMessage = message_from_bytes(raw, policy=default_policy)  # type: ignore[assignment]
    name, sender = parseaddr(str(mail.get("From", "")))
    message_id = str(mail.get("Message-ID", "")).strip()[:255] or f"<sha256-{hashlib.sha256(raw).hexdigest()}>"
    references = f"{mail.get('In-Reply-To', '')} {mail.get('References', '')}"
    ticket_id = mailer.ticket_of_references(references)
    if ticket_id is None:
        recipients = getaddresses([str(mail.get(h, "")) for h in ("To", "Cc", "Delivered-To", "X-Original-To")])
        ticket_id = next((t for _n, a in recipients if (t := mailer.ticket_of_address(a)) is not None), None)
    return Incoming(
        message_id=message_id,
        sender=sender.strip().lower(),
        sender_name=name.strip(),
        subject=" ".join(str(mail.get("Subject", "")).split())[:SUBJECT_MAX],
        text=_text(mail),
        files=_files(mail),
        ticket_id=ticket_id,
        automatic=_automatic(mail, sender, message_id),
    )


def _automatic(mail: EmailMessage, sender: str, message_id: str) -> str | None:
    auto = str(mail.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(mail.get("Precedence", "")).strip().lower()
    local = sender.partition("@")[0].lower()
    if auto != "no" or precedence in ("bulk", "junk", "list", "auto_reply") or mail.get("X-Autoreply"):
        return "automatic reply"
    if mail.get_content_type() == "multipart/report" or local in ("mailer-daemon", "postmaster") or not sender:
        return "delivery report"
    if mail.get("List-Id") or mail.get("List-Unsubscribe"):
        return "mailing list"
    if sender.lower() == mailer.from_address().lower() or mailer.is_ours(message_id):
        return "our own email"
    return None


def _text(mail: EmailMessage) -> str:
    """The email's own words: its plain text (or its HTML reduced to text), quotes and signature gone."""
    body = mail.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeError):
        content = body.get_payload(decode=True).decode("utf-8", errors="replace")  # type: ignore[union-attr]
    if body.get_content_type() == "text/html":
        converter = html2text.HTML2Text()
        converter.ignore_images = converter.ignore_links = converter.ignore_emphasis = True
        converter.body_width = 0
        content = converter.handle(content)
    content = content.replace("\r\n", "\n").strip()
    if not content:
        return ""
    replies = _reply_parser.read(text=content).replies
    return (replies[0].body if replies else content).strip()


def _files(mail: EmailMessage) -> list[Upload]:
    files = []
    for part in mail.iter_attachments():
        data = part.get_payload(decode=True) or b""
        files.append(Upload(part.get_filename() or "attachment", data))  # type: ignore[arg-type]
    return files


# Taking one email -------------------------------------------------------------------------------


def take(raw: bytes) -> InboundOutcome | None:
    """Process one email from the mailbox; None if it was processed before (nothing is done)."""
    incoming = parse(raw)
    with db.read_session() as session:
        if session.exec(select(InboundMail.id).where(InboundMail.message_id == incoming.message_id)).first():
            return None
        if incoming.automatic is None and _loops(session, incoming.sender):
            incoming.automatic = "loop"
    if incoming.automatic:
        _remember(incoming, InboundOutcome.ignored, incoming.automatic)
        return InboundOutcome.ignored
    if len(raw) > _size_limit():
        return _refuse(incoming, N_("Your email is too large for the helpdesk (at most {mb} MB)."), mb=_mb())
    user = _sender_account(incoming)
    if user is None:
        return _refuse(incoming, N_("Your address is not known to the helpdesk. Ask the IT team for an account."))
    try:
        for upload in incoming.files:
            chat.sniff(upload)
        return _apply(user, incoming)
    except InvalidInput as refusal:
        return _refuse(incoming, refusal.message, **refusal.params)
    except StorageUnavailable:
        raise  # nothing was saved: the email stays unread in the mailbox and is tried again
    except HelpdeskError as error:  # e.g. too many messages a minute: kept for administrators, not retried forever
        _remember(incoming, InboundOutcome.ignored, i18n.gettext(ADMIN_LANGUAGE, error.message, **error.params))
        return InboundOutcome.ignored


def _apply(user: User, incoming: Incoming) -> InboundOutcome:
    ticket = None
    if incoming.ticket_id is not None:
        try:
            ticket = tickets.get(user, incoming.ticket_id).ticket
        except HelpdeskError:
            ticket = None  # not theirs: it opens a ticket of their own instead
    files = list(incoming.files)
    if ticket is None:
        outcome, reason = InboundOutcome.ticket, None
        with db.first_write_also(_remembering(incoming, outcome, reason, None)):
            created = tickets.create(user, _title(incoming), _description(incoming), Priority.normal, Category.other)
        ticket_id = created.id
    else:
        outcome, ticket_id = InboundOutcome.reply, ticket.id
        body = incoming.text[: get_settings().chat_max_length]
        if not body and not files:
            return _refuse(incoming, N_("Your reply was empty once the quoted email was left out."))
        with db.first_write_also(_remembering(incoming, outcome, None, ticket_id)):
            chat.post(user, ticket_id, body, upload=files.pop(0) if files else None)
        if ticket.status == Status.resolved:
            tickets.reopen(user, ticket_id)  # a reply to a resolved ticket means it is not solved
    for upload in files:
        chat.post(user, ticket_id, "", upload=upload)
    return outcome


def _title(incoming: Incoming) -> str:
    title = incoming.subject
    if len(title) < TITLE_MIN:
        title = " ".join(incoming.text.split())[:60] or "Email without a subject"
    if len(title) < TITLE_MIN:
        title = f"{title} (email)"
    return title[:TITLE_MAX]


def _description(incoming: Incoming) -> str:
    return (incoming.text or incoming.subject or "(empty email)")[:DESCRIPTION_MAX]


def _sender_account(incoming: Incoming) -> User | None:
    user = users.get_by_email(incoming.sender) if incoming.sender else None
    if user is not None:
        return user if user.is_active else None
    domain = incoming.sender.rpartition("@")[2]
    allowed = {d.strip().lower() for d in get_settings().mail_allowed_domains.split(",") if d.strip()}
    if domain not in allowed:
        return None
    name = (incoming.sender_name or incoming.sender.partition("@")[0])[:100]
    try:  # an employee account (checked as any other); they follow their tickets by email
        return users.create_unchecked(incoming.sender, name, secrets.token_urlsafe(24), Role.employee)
    except InvalidInput:
        return None  # an address or name no account could have
    except Conflict:
        return users.get_by_email(incoming.sender)  # made meanwhile by another email


def _loops(session: Session, sender: str) -> bool:
    since = utcnow() - timedelta(minutes=1)
    count = session.exec(
        select(func.count()).where(InboundMail.sender == sender, InboundMail.received_at >= since)
    ).one()
    return count >= get_settings().mail_loop_limit


def _size_limit() -> int:
    return get_settings().attachment_max_bytes * 2


def _mb() -> float:
    return round(_size_limit() / 1024 / 1024, 1)


def _remembering(
    incoming: Incoming, outcome: InboundOutcome, reason: str | None, ticket_id: int | None
) -> Callable[[Session], None]:
    def remember(session: Session) -> None:
        created = ticket_id if ticket_id is not None else db.inserted(session, Ticket)
        session.add(
            InboundMail(
                message_id=incoming.message_id,
                sender=incoming.sender[:320],
                subject=incoming.subject,
                outcome=outcome,
                reason=reason,
                ticket_id=created,
            )
        )

    return remember


def _remember(incoming: Incoming, outcome: InboundOutcome, reason: str | None) -> None:
    with db.write_session() as session:
        _remembering(incoming, outcome, reason, None)(session)


def _refuse(incoming: Incoming, reason: str, **params: object) -> InboundOutcome:
    """Not taken: remembered with the reason for administrators, and the sender told, once an hour
    at most (a forged sender must not turn the helpdesk into a mail cannon)."""
    with db.write_session() as session:
        told_lately = session.exec(
            select(func.count()).where(
                InboundMail.sender == incoming.sender,
                InboundMail.outcome == InboundOutcome.refused,
                InboundMail.received_at >= utcnow() - REFUSAL_EVERY,
            )
        ).one()
        _remembering(incoming, InboundOutcome.refused, i18n.gettext(ADMIN_LANGUAGE, reason, **params), None)(session)
        if not told_lately and mailer.server() is not None:
            mail = OutboxMail(to_address=incoming.sender, status=MailStatus.queued)
            session.add(mail)
            session.flush()
            recipient = users.get_by_email(incoming.sender)
            outbox.fill_refusal(mail, incoming.subject, recipient.language if recipient else None, reason, params)
            session.add(mail)
    return InboundOutcome.refused


def refused(actor: User, limit: int = 50) -> list[InboundMail]:
    """Received mail the helpdesk did not take, newest first (administrators)."""
    with db.read_session() as session:
        users.require_admin(session, actor, N_("Only administrators can manage the outbox."))
        return list(
            session.exec(
                select(InboundMail)
                .where(InboundMail.outcome == InboundOutcome.refused)
                .order_by(col(InboundMail.id).desc())
                .limit(limit)
            ).all()
        )

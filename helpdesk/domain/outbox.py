"""The outbox: an email waits out its delay, is composed in its reader's language (what they saw
live left out), then sent by the background job (runtime/jobs.py), retried with backoff after a
temporary failure, and kept as failed with the reason after its last try.

Each email is claimed (`sending`) in a transaction before the SMTP call and marked sent right
after it, so no two runs or processes send it. A process killed between the server taking it
and the mark leaves it `sending`; it is tried again after STALE_SENDING, with the same
Message-ID, so a mail client shows it once.
"""

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from helpdesk.core import db, i18n, mailer
from helpdesk.core.config import get_settings
from helpdesk.core.errors import N_, InvalidInput
from helpdesk.domain import chat, notify, policy, users
from models import Attachment, MailStatus, Message, MessageRead, Notice, NoticeKind, OutboxMail, Ticket, User
from models.clock import utcnow

BATCH = 50
PAUSE = 0.01  # seconds after each email composed or sent (see `run`)
QUIET = 0.5  # and before the next, this long with no write made for someone in this process...
LONGEST_WAIT = 5.0  # ...waiting this long at most, so a steady load never stops email
STALE_SENDING = timedelta(minutes=10)
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "mail_templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def backoff(attempts: int) -> timedelta:
    """HELPDESK_MAIL_RETRY_SECONDS (30 s), then twice as long each time, up to an hour."""
    return timedelta(seconds=min(get_settings().mail_retry_seconds * 2 ** max(attempts - 1, 0), 3600))


def run() -> None:
    """The job: compose what is due, then send what is queued, batch after batch until done.

    It runs in the API's process (runtime/jobs.py) and pauses after each email (PAUSE): back to
    back, its reads and writes competed with the pages' for SQLite's one writer and the CPU, and
    the chat's p95 went from 12 to 350 ms while 1,000 emails went out (bench/email). Email is
    not in a hurry; the chat is."""
    with db.background():
        while compose_due() == BATCH:
            pass
        while send_due() == BATCH:
            pass


def _breathe() -> None:
    time.sleep(PAUSE)
    db.wait_for_quiet(QUIET, LONGEST_WAIT)


# Composing --------------------------------------------------------------------------------------


@dataclass
class Entry:
    heading: str
    body: str | None = None
    files: list[str] = field(default_factory=list)


HEADINGS = {
    NoticeKind.reply: N_("{name} wrote:"),
    NoticeKind.taken: N_("{name} took your ticket and is handling it."),
    NoticeKind.resolved: N_("{name} resolved your ticket. Still a problem? Reopen it from the ticket's page."),
    NoticeKind.reopened: N_("{name} reopened the ticket."),
    NoticeKind.new_ticket: N_("{name} opened a new ticket:"),
    NoticeKind.assigned: N_("{name} assigned this ticket to you."),
}


def compose_due(now: datetime | None = None) -> int:
    """Turn the notices whose delay is over into emails: one per person and ticket, with what
    came on that ticket since; how many emails were made (queued or skipped).

    Reading and rendering happen outside the write transaction (SQLite has one writer, and the
    chat must not wait on templates); the write then links the notices read to their email. A
    notice that came in between stays pending for the next round."""
    now = now or utcnow()
    ready = now - timedelta(seconds=get_settings().mail_delay_seconds)
    pending = col(Notice.mail_id).is_(None)
    with db.read_session() as session:
        if session.exec(select(Notice.id).where(pending, Notice.created_at <= ready).limit(1)).first() is None:
            return 0  # the usual case: no write transaction every two seconds for nothing
    chat.flush_seen()  # what the open pages showed until now counts as seen
    with db.read_session() as session:
        pairs = session.exec(
            select(Notice.user_id, Notice.ticket_id)
            .where(pending, Notice.created_at <= ready)
            .group_by(Notice.user_id, Notice.ticket_id)
            .limit(BATCH)
        ).all()
    composed = []
    for user_id, ticket_id in pairs:
        with db.read_session() as session:  # one at a time: the pause holds no reader's place
            composed.append(_compose(session, user_id, ticket_id, now))
        _breathe()
    with db.write_session() as session:
        for mail, notice_ids in composed:
            if mail is not None:
                session.add(mail)
                session.flush()
                if mail.status == MailStatus.queued:
                    mail.message_id = mailer.message_id(mail.ticket_id, mail.id)
            # Linked to their email; those nobody wants (choices, an account gone) are dropped.
            these = col(Notice.id).in_(notice_ids)
            if mail is None:
                session.execute(delete(Notice).where(these))
            else:
                session.execute(update(Notice).where(these).values(mail_id=mail.id))
    return len(pairs)


def _compose(session: Session, user_id: int, ticket_id: int, now: datetime) -> tuple[OutboxMail | None, list[int]]:
    """One person's email about one ticket (None: nobody wants it), and the notices it covers."""
    notices = session.exec(
        select(Notice)
        .where(Notice.user_id == user_id, Notice.ticket_id == ticket_id, col(Notice.mail_id).is_(None))
        .order_by(Notice.id)
    ).all()
    ids = [n.id for n in notices if n.id is not None]
    user, ticket = session.get(User, user_id), session.get(Ticket, ticket_id)
    if user is None or ticket is None or not policy.can_view(user, ticket):
        return None, ids
    wanted = [n for n in notices if notify.wants(session, user, NoticeKind(n.kind))]
    if not wanted:
        return None, ids
    mail = OutboxMail(user_id=user.id, ticket_id=ticket.id, to_address=user.email, due_at=now)
    mail.status, mail.subject = MailStatus.skipped, subject(ticket)  # the outbox page names its ticket
    entries = [e for n in wanted if (e := _entry(session, user, ticket, n)) is not None]
    if not entries:
        return mail, ids  # they saw it all live
    locale = _locale(user)
    mail.body_text, mail.body_html = _render(
        mail,
        locale,
        i18n.gettext(locale, N_("Ticket #{id}: {title}"), id=ticket.id, title=ticket.title),
        entries,
        link=f"{get_settings().base_url}/tickets/{ticket.id}",
        link_label=i18n.gettext(locale, N_("Open ticket #{id}"), id=ticket.id),
        notes=[_reply_hint(locale)],
    )
    mail.status = MailStatus.queued
    return mail, ids


def _entry(session: Session, user: User, ticket: Ticket, notice: Notice) -> Entry | None:
    """What the email says of one notice, or None if its reader saw it live already."""
    actor = session.get(User, notice.actor_id) if notice.actor_id else None
    heading = i18n.gettext(_locale(user), HEADINGS[NoticeKind(notice.kind)], name=actor.name if actor else "?")
    read = session.get(MessageRead, (user.id, ticket.id))
    if notice.message_id is not None:
        message = session.get(Message, notice.message_id)
        if message is None or not policy.may_see_message(user, ticket.requester_id, message.internal):
            return None
        if read is not None and read.last_read_id >= message.id:
            return None
        files = session.exec(select(Attachment.filename).where(Attachment.message_id == message.id)).all()
        return Entry(heading, message.body or None, list(files))
    if read is not None and read.updated_at >= notice.created_at:
        return None  # they had the ticket's page in front of them since: they saw the change
    if notice.kind == NoticeKind.new_ticket:
        return Entry(heading, ticket.description)
    return Entry(heading)


def subject(ticket: Ticket) -> str:
    """The same for every email of a ticket, so that mail clients group them."""
    return f"[#{ticket.id}] {ticket.title}"


def _locale(user: User) -> str:
    return i18n.negotiate(user.language, None)


def _reply_hint(locale: str) -> str:
    if get_settings().imap_url:
        return i18n.gettext(locale, N_("Reply to this email to answer in the ticket's chat."))
    return i18n.gettext(locale, N_("Answer on the ticket's page: replies to this email are not read."))


def _fill(mail: OutboxMail, subject_line: str) -> None:
    mail.subject = subject_line[:255]
    mail.message_id = mailer.message_id(mail.ticket_id, mail.id)  # type: ignore[arg-type]


def _render(
    mail: OutboxMail,
    locale: str,
    heading: str,
    entries: list[Entry],
    link: str | None,
    link_label: str,
    notes: list[str],
    preferences: bool = True,
) -> tuple[str, str]:
    context = {
        "lang": locale,
        "subject": mail.subject,
        "heading": heading,
        "entries": entries,
        "link": link,
        "link_label": link_label,
        "notes": notes,
        "footer": i18n.gettext(locale, N_("You receive this email from the IT helpdesk.")),
        "preferences": f"{get_settings().base_url}/profile#email" if preferences else None,
        "preferences_label": i18n.gettext(locale, N_("Choose which emails you get")),
    }
    return _templates.get_template("notice.txt").render(context), _templates.get_template("notice.html").render(context)


# Sending ----------------------------------------------------------------------------------------


def send_due(now: datetime | None = None) -> int:
    """Send what is queued and due; the number the server took."""
    server = mailer.server()
    if server is None:
        return 0
    now = now or utcnow()
    due = select(OutboxMail.id).where(
        col(OutboxMail.status).in_((MailStatus.queued, MailStatus.sending)), OutboxMail.due_at <= now
    )
    with db.read_session() as session:
        if session.exec(due.limit(1)).first() is None:
            return 0
    mails = _claim(now)
    if not mails:
        return 0
    results = server.send([_message(mail) for mail in mails], between=_breathe)
    sent = 0
    with db.write_session() as session:
        for mail, failure in zip(mails, results, strict=True):
            row = session.get(OutboxMail, mail.id)
            if row is None:
                continue
            row.attempts += 1
            if failure is None:
                row.status, row.sent_at, row.last_error = MailStatus.sent, utcnow(), None
                sent += 1
            elif failure.temporary and row.attempts < get_settings().mail_max_attempts:
                row.status, row.last_error = MailStatus.queued, failure.reason
                row.due_at = utcnow() + backoff(row.attempts)
            else:
                row.status, row.last_error = MailStatus.failed, failure.reason
            session.add(row)
    return sent


def _claim(now: datetime) -> list[OutboxMail]:
    with db.write_session() as session:
        db.lock(session, "outbox")  # one claimer at a time across processes (PostgreSQL)
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.status == MailStatus.sending, OutboxMail.due_at < now - STALE_SENDING)
            .values(status=MailStatus.queued)
        )
        mails = session.exec(
            select(OutboxMail)
            .where(OutboxMail.status == MailStatus.queued, OutboxMail.due_at <= now)
            .order_by(OutboxMail.id)
            .limit(BATCH)
        ).all()
        for mail in mails:
            mail.status, mail.due_at = MailStatus.sending, now
            session.add(mail)
        return list(mails)


def _message(mail: OutboxMail) -> EmailMessage:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject or ""
    message["Message-ID"] = mail.message_id
    message["Date"] = formatdate(usegmt=True)
    # RFC 3834: automatic, so that vacation responders do not answer it (and Exchange's neither).
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    if mail.ticket_id is not None:
        root = mailer.thread_id(mail.ticket_id)
        message["In-Reply-To"] = root
        message["References"] = root
        message["List-Unsubscribe"] = f"<{settings.base_url}/profile#email>"
        if settings.imap_url:
            name = parseaddr(settings.mail_from)[0] or "Helpdesk"
            message["Reply-To"] = formataddr((name, mailer.reply_address(mail.ticket_id)))
    message.set_content(mail.body_text or "")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    return message


# Administrators ---------------------------------------------------------------------------------


def send_test(actor: User, to_address: str) -> OutboxMail:
    """A test email to any address, queued to go out at once (the outbox shows how it went)."""
    to_address = users.validate_email(to_address)
    if mailer.server() is None:
        raise InvalidInput(N_("No mail server is set (HELPDESK_SMTP_URL)."))
    with db.write_session() as session:
        actor = users.require_admin(session, actor, N_("Only administrators can send a test email."))
        mail = OutboxMail(user_id=None, ticket_id=None, to_address=to_address, status=MailStatus.queued)
        session.add(mail)
        session.flush()
        locale = _locale(actor)
        _fill(mail, i18n.gettext(locale, N_("Test email from the helpdesk")))
        mail.body_text, mail.body_html = _render(
            mail,
            locale,
            i18n.gettext(locale, N_("It works: the helpdesk can send email.")),
            [Entry(i18n.gettext(locale, N_("{name} sent this test from the outbox page."), name=actor.name))],
            link=None,
            link_label="",
            notes=[],
        )
        session.add(mail)
    return mail


def fill_refusal(mail: OutboxMail, subject_line: str, language: str | None, reason: str, params: dict) -> None:
    """The polite answer to an email the helpdesk could not take: in the sender's language if
    they have an account, else in each language the helpdesk speaks."""
    locales = [i18n.negotiate(language, None)] if language else list(i18n.SUPPORTED)
    heading = " / ".join(i18n.gettext(locale, N_("Your email was not taken")) for locale in locales)
    _fill(mail, f"{heading}: {subject_line}" if subject_line else heading)
    entries = [Entry(i18n.gettext(locale, reason, **params)) for locale in locales]
    mail.body_text, mail.body_html = _render(mail, locales[0], heading, entries, None, "", [], preferences=False)


def retry(actor: User, mail_id: int) -> None:
    """Send a failed email again, now."""
    with db.write_session() as session:
        users.require_admin(session, actor, N_("Only administrators can manage the outbox."))
        mail = session.get(OutboxMail, mail_id)
        if mail is None or mail.status != MailStatus.failed:
            raise InvalidInput(N_("Only an email that failed can be sent again."))
        mail.status, mail.due_at, mail.attempts = MailStatus.queued, utcnow(), 0
        session.add(mail)


@dataclass
class OutboxPage:
    mails: list[OutboxMail]
    counts: dict[MailStatus, int]
    pending: int  # notices waiting out their delay, not yet an email


def pending_count() -> int:
    with db.read_session() as session:
        return session.exec(select(func.count()).where(col(Notice.mail_id).is_(None))).one()


def listing(actor: User, status: MailStatus | None = None, limit: int = 100) -> OutboxPage:
    with db.read_session() as session:
        users.require_admin(session, actor, N_("Only administrators can manage the outbox."))
        query = select(OutboxMail).order_by(col(OutboxMail.id).desc()).limit(limit)
        if status is not None:
            query = query.where(OutboxMail.status == status)
        counts = dict(session.exec(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
        mails = list(session.exec(query).all())
    return OutboxPage(mails, {MailStatus(k): v for k, v in counts.items()}, pending_count())

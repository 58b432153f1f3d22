from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import AutoString, Field, SQLModel

from models.clock import utcnow

ADDRESS_MAX = 320
SUBJECT_MAX = 255


class NoticeKind(StrEnum):
    """What a person may be told by email; each is a preference on /profile."""

    reply = "reply"  # a public reply on one's ticket (requester) or on a ticket assigned to one
    taken = "taken"  # one's ticket was taken by a technician
    resolved = "resolved"  # one's ticket was resolved
    reopened = "reopened"  # a technician reopened one's ticket
    new_ticket = "new_ticket"  # technicians: a ticket was opened
    assigned = "assigned"  # technicians: someone else assigned a ticket to one
    test = "test"  # an administrator's test email (no preference)


class MailStatus(StrEnum):
    """An outgoing email's life: `queued` to be sent (again, after a temporary failure),
    `sending` while one process holds it, then `sent`, `failed` (its last try, or refused for
    good) or `skipped` (its reader had seen everything it would have said on the page)."""

    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"


class Notice(SQLModel, table=True):
    """Something a person is to be told by email (a reply, a ticket taken...), saved in the
    transaction of the change that causes it: one cheap insert. After the delay, the outbox job
    gathers a person's notices on a ticket into one email and links them to it (`mail_id`)."""

    __table_args__ = (Index("ix_notice_pending", "mail_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    ticket_id: int = Field(foreign_key="ticket.id")
    kind: NoticeKind = Field(sa_type=AutoString(length=16))
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = Field(default_factory=utcnow)
    mail_id: int | None = Field(default=None, foreign_key="outbox_mail.id")


class OutboxMail(SQLModel, table=True):
    """One outgoing email, composed once (every try sends the same one)."""

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    to_address: str = Field(max_length=ADDRESS_MAX)
    status: MailStatus = Field(default=MailStatus.queued, sa_type=AutoString(length=16))
    due_at: datetime = Field(default_factory=utcnow)  # when it is (next) tried
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    subject: str | None = Field(default=None, max_length=SUBJECT_MAX)
    message_id: str | None = Field(default=None, max_length=255)
    body_text: str | None = None
    body_html: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None


class MailPreference(SQLModel, table=True):
    """A person's choice for one kind of email; without a row, the kind's default applies."""

    __tablename__ = "mail_preference"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    kind: NoticeKind = Field(primary_key=True, sa_type=AutoString(length=16))
    enabled: bool


class InboundOutcome(StrEnum):
    ticket = "ticket"  # opened a ticket
    reply = "reply"  # added to a ticket's chat
    refused = "refused"  # not taken; the sender was told why (once)
    ignored = "ignored"  # automatic mail, a bounce, our own, a loop: nothing done, nobody told


class InboundMail(SQLModel, table=True):
    """An email read from the mailbox, by its Message-ID: one processed twice (a restart half-way)
    is found here and adds nothing twice. Administrators see what was refused and why."""

    __tablename__ = "inbound_mail"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(max_length=255, unique=True)
    sender: str = Field(max_length=ADDRESS_MAX, index=True)
    subject: str = Field(default="", max_length=SUBJECT_MAX)
    outcome: InboundOutcome = Field(sa_type=AutoString(length=16))
    reason: str | None = Field(default=None, max_length=500)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    received_at: datetime = Field(default_factory=utcnow, index=True)

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.clock import utcnow

BODY_MAX_DEFAULT = 5_000
FILENAME_MAX = 255


class Message(SQLModel, table=True):
    """One chat message on a ticket. `internal` notes are for technicians only."""

    __table_args__ = (Index("ix_message_ticket_id_id", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(default="", max_length=20_000)
    internal: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Attachment(SQLModel, table=True):
    """A file sent with a message, stored under the data dir with a server-made name."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    stored_name: str = Field(max_length=64, unique=True)
    filename: str = Field(max_length=FILENAME_MAX)
    content_type: str = Field(max_length=100)
    size: int
    has_thumbnail: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class MessageRead(SQLModel, table=True):
    """How far a user has read a ticket's chat: unread counts and "seen" receipts."""

    __tablename__ = "message_read"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    last_read_id: int = 0
    updated_at: datetime = Field(default_factory=utcnow)

"""Read models: what the screens, the API and mail show, as plain frozen values named for what
they are. They are neither tables (models/) nor events (core/events.py): an event carries one."""

from dataclasses import dataclass
from datetime import datetime

from models import EndReason, RemoteMode, RemoteStatus


@dataclass(frozen=True)
class ChatFile:
    """A file attached to a chat message."""

    id: int
    filename: str
    content_type: str
    size: int
    has_thumbnail: bool


@dataclass(frozen=True)
class ChatMessage:
    """A saved chat message with its author's name; `internal`: a note for technicians only."""

    id: int
    ticket_id: int
    author_id: int
    author_name: str
    body: str
    internal: bool
    created_at: datetime
    files: tuple[ChatFile, ...] = ()


@dataclass(frozen=True)
class RemoteView:
    """A remote assistance session as both people's pages show it."""

    remote_id: int
    ticket_id: int
    employee_id: int
    technician_id: int
    status: RemoteStatus
    mode: RemoteMode
    technician_name: str
    ticket_title: str
    address: str = ""  # host:port the bridge connects to, shown to the employee before consent
    end_reason: EndReason | None = None
    answer_by: datetime | None = None  # a request expires then without an answer

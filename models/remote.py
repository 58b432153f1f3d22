from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models.clock import utcnow


class RemoteMode(StrEnum):
    view = "view"
    control = "control"


class RemoteStatus(StrEnum):
    requested = "requested"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    ended = "ended"


class RemoteSession(SQLModel, table=True):
    """A technician's consented view of, or control over, an employee's workstation."""

    __tablename__ = "remote_session"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    technician_id: int = Field(foreign_key="user.id")
    employee_id: int = Field(foreign_key="user.id", index=True)
    mode: RemoteMode = Field(max_length=16)
    status: RemoteStatus = Field(default=RemoteStatus.requested, max_length=16, index=True)
    host: str = Field(max_length=255)
    port: int
    requested_at: datetime = Field(default_factory=utcnow)
    answered_at: datetime | None = None
    # First frame through the bridge ("started"), and the last moment a viewer was connected.
    started_at: datetime | None = None
    bridge_seen_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = Field(default=None, max_length=32)


class RemoteToken(SQLModel, table=True):
    """A one-use, 60-second ticket for the bridge; only its SHA-256 digest is kept."""

    __tablename__ = "remote_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: int = Field(foreign_key="remote_session.id", index=True)
    technician_id: int = Field(foreign_key="user.id")
    expires_at: datetime
    used_at: datetime | None = None

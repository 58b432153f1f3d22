from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator
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


class EndReason(StrEnum):
    """Why a remote session ended (kept on the session, shown on the timeline and both pages)."""

    employee = "employee"
    technician = "technician"
    time_limit = "time_limit"
    idle = "idle"
    reassigned = "reassigned"  # the ticket moved on: reassigned, resolved, or its technician left
    signed_out = "signed_out"
    cancelled = "cancelled"  # the technician withdrew the request before an answer
    expired = "expired"  # nobody answered the request in time
    # The bridge refused to carry the session (helpdesk/bridge/server.py):
    address = "address"  # the workstation's address is not (or no longer) allowed
    not_vnc = "not_vnc"  # what answered is not a VNC server
    old_rfb = "old_rfb"  # a VNC server older than RFB 3.7
    unreachable = "unreachable"  # nothing answered


BRIDGE_REASONS = frozenset({EndReason.address, EndReason.not_vnc, EndReason.old_rfb, EndReason.unreachable})


class RemoteStep(StrEnum):
    """A remote session's steps as the ticket's timeline records them."""

    requested = "requested"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    started = "started"
    ended = "ended"


class _EndReasonText(TypeDecorator):
    """Stored as the plain text it always was (no database enum to migrate), read as EndReason."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: object) -> str | None:
        return None if value is None else EndReason(value).value

    def process_result_value(self, value: str | None, dialect: object) -> EndReason | None:
        return None if value is None else EndReason(value)


class RemoteAssistance(SQLModel, table=True):
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
    end_reason: EndReason | None = Field(default=None, sa_type=_EndReasonText)


class RemoteToken(SQLModel, table=True):
    """A one-use, 60-second ticket for the bridge; only its SHA-256 digest is kept."""

    __tablename__ = "remote_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    session_id: int = Field(foreign_key="remote_session.id", index=True)
    technician_id: int = Field(foreign_key="user.id")
    expires_at: datetime
    used_at: datetime | None = None

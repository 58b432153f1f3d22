from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.clock import utcnow

TITLE_MIN = 3
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000


class Status(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


PRIORITY_RANK = {Priority.low: 0, Priority.normal: 1, Priority.high: 2, Priority.urgent: 3}


class Category(StrEnum):
    hardware = "hardware"
    software = "software"
    network = "network"
    access = "access"
    other = "other"


class Ticket(SQLModel, table=True):
    __table_args__ = (
        # The technician queue's views: all open, unassigned, mine, resolved, each newest first.
        Index("ix_ticket_status_updated", "status", "updated_at"),
        Index("ix_ticket_assignee_status_updated", "assignee_id", "status", "updated_at"),
        Index("ix_ticket_requester_updated", "requester_id", "updated_at"),
        Index("ix_ticket_title", "title"),
        Index("ix_ticket_status_priority_updated", "status", "priority_rank", "updated_at"),
        # The whole queue newest first (a search walks it), and the newest change at a glance.
        Index("ix_ticket_updated", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(max_length=DESCRIPTION_MAX)
    priority: Priority = Priority.normal
    # Denormalised sort key so "priority" sorts by urgency, not alphabetically, with an index.
    priority_rank: int = 1
    category: Category = Category.other
    status: Status = Status.open
    requester_id: int = Field(foreign_key="user.id")
    assignee_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None


class TicketEventKind(StrEnum):
    created = "created"
    status = "status"
    priority = "priority"
    category = "category"
    assignee = "assignee"
    title = "title"
    description = "description"
    remote = "remote"  # remote assistance: to_value is the step, from_value its detail


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's timeline: who changed what, from what to what, when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    kind: TicketEventKind
    from_value: str | None = Field(default=None, max_length=255)
    to_value: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)

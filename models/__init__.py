"""SQLModel tables and enums. Imports nothing of helpdesk/ or pages/."""

from models.display import Display
from models.message import Attachment, Message, MessageRead
from models.remote import RemoteMode, RemoteSession, RemoteStatus, RemoteToken
from models.session import RevokedSession
from models.ticket import Category, Priority, Status, Ticket, TicketEvent, TicketEventKind
from models.user import Assignee, Requester, Role, User

__all__ = [
    "Assignee",
    "Attachment",
    "Category",
    "Display",
    "Message",
    "MessageRead",
    "Priority",
    "RemoteMode",
    "RemoteSession",
    "RemoteStatus",
    "RemoteToken",
    "Requester",
    "RevokedSession",
    "Role",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "User",
]

"""SQLModel tables and enums. Imports nothing of helpdesk/ or pages/."""

from models.display import Display
from models.message import Attachment, Message, MessageRead
from models.remote import RemoteMode, RemoteSession, RemoteStatus, RemoteToken
from models.session import RevokedSession
from models.ticket import Category, Priority, Status, Ticket, TicketEvent, TicketEventKind
from models.user import Role, User

__all__ = [
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
    "RevokedSession",
    "Role",
    "Status",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "User",
]

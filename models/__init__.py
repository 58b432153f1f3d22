"""SQLModel tables and enums. Imports nothing of helpdesk/ or pages/."""

from models.display import Display
from models.health import HealthProbe
from models.idempotency import IdempotencyKey
from models.mail import InboundMail, InboundOutcome, MailPreference, MailStatus, Notice, NoticeKind, OutboxMail
from models.message import Attachment, Message, MessageRead
from models.remote import BRIDGE_REASONS, EndReason, RemoteAssistance, RemoteMode, RemoteStatus, RemoteStep, RemoteToken
from models.saved_view import SavedView
from models.session import RevokedSession
from models.ticket import Category, Priority, Status, Ticket, TicketEvent, TicketEventKind
from models.user import Assignee, Requester, Role, SessionEnd, Theme, User

__all__ = [
    "BRIDGE_REASONS",
    "Assignee",
    "Attachment",
    "Category",
    "Display",
    "EndReason",
    "HealthProbe",
    "IdempotencyKey",
    "InboundMail",
    "InboundOutcome",
    "MailPreference",
    "MailStatus",
    "Message",
    "MessageRead",
    "Notice",
    "NoticeKind",
    "OutboxMail",
    "Priority",
    "RemoteAssistance",
    "RemoteMode",
    "RemoteStatus",
    "RemoteStep",
    "RemoteToken",
    "Requester",
    "RevokedSession",
    "Role",
    "SavedView",
    "SessionEnd",
    "Status",
    "Theme",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "User",
]

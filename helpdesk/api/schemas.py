"""What the REST API accepts and returns. Limits here appear in the OpenAPI schema; responses
name their fields explicitly, so no hash, token version or internal column can leak."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from helpdesk.core.security import PASSWORD_MAX, PASSWORD_MIN
from helpdesk.domain.queue import PER_PAGE_MAX
from helpdesk.domain.users import EMAIL_PATTERN
from models import Category, Priority, Role, Status, TicketEventKind
from models.message import BODY_MAX_DEFAULT
from models.ticket import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN
from models.user import EMAIL_MAX, NAME_MAX

ID_MAX = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Strict):
    email: str = Field(max_length=EMAIL_MAX)
    password: str = Field(max_length=PASSWORD_MAX)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")


class UserRef(BaseModel):
    id: int
    name: str


class UserPublic(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    is_admin: bool
    is_active: bool
    language: str | None
    created_at: datetime


class UserCreate(Strict):
    email: str = Field(max_length=EMAIL_MAX, pattern=EMAIL_PATTERN)
    name: str = Field(min_length=1, max_length=NAME_MAX)
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    role: Role = Role.employee
    is_admin: bool = False


class UserUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    role: Role | None = None
    is_admin: bool | None = None
    active: bool | None = None


class TicketCreate(Strict):
    title: str = Field(min_length=TITLE_MIN, max_length=TITLE_MAX)
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX)
    priority: Priority = Priority.normal
    category: Category = Category.other


class TicketUpdate(Strict):
    """Employees: title and description of their own open ticket, or `status: open` to reopen.
    Technicians: status, priority, category and assignee (`null` unassigns)."""

    title: str | None = Field(None, min_length=TITLE_MIN, max_length=TITLE_MAX)
    description: str | None = Field(None, min_length=1, max_length=DESCRIPTION_MAX)
    status: Status | None = None
    priority: Priority | None = None
    category: Category | None = None
    assignee_id: int | None = Field(None, ge=1, le=ID_MAX)


class TicketSummary(BaseModel):
    id: int
    title: str
    status: Status
    priority: Priority
    category: Category
    requester: UserRef
    assignee: UserRef | None
    created_at: datetime
    updated_at: datetime


class TicketPublic(TicketSummary):
    description: str
    first_response_at: datetime | None
    resolved_at: datetime | None


class TicketPage(BaseModel):
    items: list[TicketSummary]
    total: int
    page: int
    per_page: int = Field(le=PER_PAGE_MAX)


class TimelineEvent(BaseModel):
    id: int
    kind: TicketEventKind
    actor: str | None = Field(description="display name of who made the change")
    from_value: str | None
    to_value: str | None
    created_at: datetime


class MessageCreate(Strict):
    body: str = Field(min_length=1, max_length=BODY_MAX_DEFAULT)
    internal: bool = Field(False, description="an internal note, for technicians only")


class AttachmentPublic(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class MessagePublic(BaseModel):
    id: int
    author: UserRef
    body: str
    internal: bool
    created_at: datetime
    attachments: list[AttachmentPublic]


class ErrorBody(BaseModel):
    detail: str | list[dict[str, Any]] = Field(
        description="what went wrong, in the caller's language; for a malformed request, FastAPI's list of field errors"
    )

from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel

from models.clock import utcnow

EMAIL_MAX = 254
NAME_MAX = 100


class Role(StrEnum):
    employee = "employee"
    technician = "technician"


class SessionEnd(StrEnum):
    """Why a user's sessions ended, as their sign-in page then says."""

    signed_out = "signed_out"
    password_changed = "password_changed"
    password_reset = "password_reset"
    role_changed = "role_changed"
    deactivated = "deactivated"


class Theme(StrEnum):
    """Light or dark pages; `system` follows the device's setting."""

    system = "system"
    light = "light"
    dark = "dark"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Stored lower-cased: uniqueness is case-insensitive on every backend without a functional index.
    email: str = Field(max_length=EMAIL_MAX, unique=True, index=True)
    name: str = Field(max_length=NAME_MAX)
    role: Role = Field(default=Role.employee, index=True)
    is_admin: bool = False
    is_active: bool = True
    password_hash: str = Field(max_length=255)
    # Carried in every session token; bumping it ends all the user's sessions at once.
    token_version: int = 1
    language: str | None = Field(default=None, max_length=8)
    # A Theme value, stored as text (a new database enum type would need its own migration step).
    theme: str = Field(default=Theme.system.value, max_length=8, sa_column_kwargs={"server_default": "system"})
    # The workstation remote assistance connects to; empty: the address of the last sign-in.
    workstation_host: str | None = Field(default=None, max_length=255)
    workstation_port: int | None = None
    last_address: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def is_technician(self) -> bool:
        return self.role == Role.technician


# The two people a ticket names, as aliases for joins; made once, since building one costs more
# than the query that uses it.
Requester = aliased(User, name="requester")
Assignee = aliased(User, name="assignee")

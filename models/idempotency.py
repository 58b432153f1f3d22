from datetime import datetime

from sqlmodel import Field, SQLModel

from models.clock import utcnow

KEY_MAX = 255


class IdempotencyKey(SQLModel, table=True):
    """An API write sent with an `Idempotency-Key`: saved in the same transaction as the write,
    so a retry of it (same user, same key, within a day) is answered without writing again."""

    __tablename__ = "idempotency_key"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    key: str = Field(primary_key=True, max_length=KEY_MAX)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the method, path and body
    resource_id: int | None = None  # what the write made (a ticket, a message), if anything
    created_at: datetime = Field(default_factory=utcnow, index=True)

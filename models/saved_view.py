from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow

VIEW_NAME_MAX = 60
VIEW_QUERY_MAX = 1_000


class SavedView(SQLModel, table=True):
    """A technician's named set of queue filters: the queue's URL query string, kept as it was."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=VIEW_NAME_MAX)
    query: str = Field(max_length=VIEW_QUERY_MAX)
    created_at: datetime = Field(default_factory=utcnow)

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.clock import utcnow


class HealthProbe(SQLModel, table=True):
    """One row that /healthz rewrites now and then: a database that cannot be written shows."""

    __tablename__ = "health_probe"

    id: int = Field(default=1, primary_key=True)
    checked_at: datetime = Field(default_factory=utcnow)

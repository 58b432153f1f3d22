from datetime import datetime

from sqlmodel import Field, SQLModel


class RevokedSession(SQLModel, table=True):
    """A signed-out session: its token id is refused until the token would have expired anyway."""

    __tablename__ = "revoked_session"

    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(index=True)

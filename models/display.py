from datetime import datetime

from sqlmodel import Field, SQLModel

from models.clock import utcnow

DISPLAY_NAME_MAX = 100


class Display(SQLModel, table=True):
    """A paired wall screen (kiosk). It sees the live queue board and nothing else.

    Both secrets are random 256-bit values stored as SHA-256 digests: at that entropy a slow
    password hash adds nothing, and the board checks the cookie on every page load.
    """

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=DISPLAY_NAME_MAX)
    language: str = Field(default="en", max_length=8)
    # On by default: no requester names, no descriptions.
    privacy: bool = True
    secret_hash: str | None = Field(default=None, max_length=64, index=True)
    pairing_hash: str | None = Field(default=None, max_length=64, index=True)
    pairing_expires_at: datetime | None = None
    paired_at: datetime | None = None
    last_seen_at: datetime | None = None
    revoked_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Aware UTC; SQLModel's UTCDateTime stores and returns UTC on every backend."""
    return datetime.now(UTC)

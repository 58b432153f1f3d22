"""PostgreSQL: the open queue by priority, read from an index in its order

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:50:00

PostgreSQL cannot merge the two status ranges of (status, priority_rank, updated_at) in order, so
the open queue by priority sorted all open tickets (52 ms at 30,000). A partial index over the
open ones, in the sort's order, gives the first page directly. SQLite merges the ranges itself.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_ticket_pg_open_priority ON ticket (priority_rank, updated_at, id) "
            "WHERE status IN ('open', 'in_progress')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_ticket_pg_open_priority")

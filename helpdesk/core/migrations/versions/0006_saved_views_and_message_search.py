"""technicians' saved queue views; on SQLite, one full-text row per ticket with its chat

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('query', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'name')
    )
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_view_user_id'), ['user_id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        _search_index()


# One full-text row per ticket: its title, description, and the text of its chat (public messages
# and internal notes apart, so an employee's search can leave the notes out). A search is then one
# MATCH giving ticket ids, with no join through 500,000 messages. Kept by triggers; a new message
# appends to its ticket's row (FTS5 rewrites that one row).
_CHAT = (
    "SELECT coalesce(group_concat(CASE WHEN NOT internal THEN body END, ' '), ''), "
    "coalesce(group_concat(CASE WHEN internal THEN body END, ' '), '') FROM message WHERE ticket_id = {id}"
)
_TRIGGERS = {
    "ticket_search_ticket_insert": "AFTER INSERT ON ticket BEGIN "
    "INSERT INTO ticket_search(rowid, title, description, public, internal) "
    "VALUES (new.id, new.title, new.description, '', ''); END",
    "ticket_search_ticket_update": "AFTER UPDATE OF title, description ON ticket BEGIN "
    "UPDATE ticket_search SET title = new.title, description = new.description WHERE rowid = new.id; END",
    "ticket_search_ticket_delete": "AFTER DELETE ON ticket BEGIN "
    "DELETE FROM ticket_search WHERE rowid = old.id; END",
    "ticket_search_message_insert": "AFTER INSERT ON message BEGIN "
    "UPDATE ticket_search SET "
    "public = CASE WHEN new.internal THEN public ELSE public || ' ' || new.body END, "
    "internal = CASE WHEN new.internal THEN internal || ' ' || new.body ELSE internal END "
    "WHERE rowid = new.ticket_id; END",
    "ticket_search_message_update": "AFTER UPDATE OF body, internal ON message BEGIN "
    f"UPDATE ticket_search SET (public, internal) = ({_CHAT.format(id='new.ticket_id')}) "
    "WHERE rowid = new.ticket_id; END",
    "ticket_search_message_delete": "AFTER DELETE ON message BEGIN "
    f"UPDATE ticket_search SET (public, internal) = ({_CHAT.format(id='old.ticket_id')}) "
    "WHERE rowid = old.ticket_id; END",
}
_OLD_TRIGGERS = {
    "ticket_fts_insert": "AFTER INSERT ON ticket BEGIN "
    "INSERT INTO ticket_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    "ticket_fts_delete": "AFTER DELETE ON ticket BEGIN "
    "INSERT INTO ticket_fts(ticket_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); END",
    "ticket_fts_update": "AFTER UPDATE OF title, description ON ticket BEGIN "
    "INSERT INTO ticket_fts(ticket_fts, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description); "
    "INSERT INTO ticket_fts(rowid, title, description) VALUES (new.id, new.title, new.description); END",
}


def _search_index() -> None:
    for name in _OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS ticket_fts")
    op.execute(
        "CREATE VIRTUAL TABLE ticket_search USING fts5(title, description, public, internal, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO ticket_search(rowid, title, description, public, internal) "
        "SELECT t.id, t.title, t.description, coalesce(m.public, ''), coalesce(m.internal, '') FROM ticket t "
        "LEFT JOIN (SELECT ticket_id, group_concat(CASE WHEN NOT internal THEN body END, ' ') AS public, "
        "group_concat(CASE WHEN internal THEN body END, ' ') AS internal FROM message GROUP BY ticket_id) m "
        "ON m.ticket_id = t.id"
    )
    for name, body in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS ticket_search")
        op.execute(
            "CREATE VIRTUAL TABLE ticket_fts USING fts5(title, description, content='ticket', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        for name, body in _OLD_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        op.execute("INSERT INTO ticket_fts(ticket_fts) VALUES ('rebuild')")
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_view_user_id'))
    op.drop_table('saved_view')

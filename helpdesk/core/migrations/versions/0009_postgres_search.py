"""full-text search on PostgreSQL: one row per ticket with two tsvectors, accents folded, GIN

The reader's text (title, description, public chat) and the technicians' (that plus internal
notes) are two documents, so an employee's search never reads a note and every word of a
search may be in any part of the ticket, as with SQLite's FTS5 table (migration 0006). One
function rebuilds a ticket's row; triggers on ticket and message call it. SQLite: nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 05:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATEMENTS = [
    # Trusted since PostgreSQL 13: the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE (its dictionary could change); an index needs an IMMUTABLE wrapper.
    "CREATE OR REPLACE FUNCTION helpdesk_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
    "AS $$ SELECT unaccent('unaccent'::regdictionary, $1) $$",
    "CREATE OR REPLACE FUNCTION helpdesk_document(text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT to_tsvector('simple', helpdesk_unaccent(coalesce($1, ''))) $$",
    "CREATE TABLE ticket_search ("
    " ticket_id integer PRIMARY KEY REFERENCES ticket(id) ON DELETE CASCADE,"
    " public_doc tsvector NOT NULL, full_doc tsvector NOT NULL)",
    "CREATE INDEX ix_ticket_search_public ON ticket_search USING gin (public_doc)",
    "CREATE INDEX ix_ticket_search_full ON ticket_search USING gin (full_doc)",
    """CREATE OR REPLACE FUNCTION helpdesk_search_refresh(tid integer) RETURNS void LANGUAGE plpgsql AS $$
    DECLARE
      own tsvector;
      public_chat tsvector;
      notes tsvector;
    BEGIN
      SELECT helpdesk_document(title || ' ' || description) INTO own FROM ticket WHERE id = tid;
      IF own IS NULL THEN
        DELETE FROM ticket_search WHERE ticket_id = tid;
        RETURN;
      END IF;
      SELECT helpdesk_document(string_agg(body, ' ') FILTER (WHERE NOT internal)),
             helpdesk_document(string_agg(body, ' ') FILTER (WHERE internal))
        INTO public_chat, notes FROM message WHERE ticket_id = tid;
      INSERT INTO ticket_search (ticket_id, public_doc, full_doc)
        VALUES (tid, own || public_chat, own || public_chat || notes)
        ON CONFLICT (ticket_id) DO UPDATE SET public_doc = excluded.public_doc, full_doc = excluded.full_doc;
    END $$""",
    """CREATE OR REPLACE FUNCTION helpdesk_search_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM helpdesk_search_refresh(new.id); RETURN NULL; END $$""",
    """CREATE OR REPLACE FUNCTION helpdesk_search_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF tg_op = 'DELETE' THEN PERFORM helpdesk_search_refresh(old.ticket_id);
      ELSE PERFORM helpdesk_search_refresh(new.ticket_id); END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER ticket_search_ticket AFTER INSERT OR UPDATE OF title, description ON ticket "
    "FOR EACH ROW EXECUTE FUNCTION helpdesk_search_ticket()",
    "CREATE TRIGGER ticket_search_message AFTER INSERT OR UPDATE OR DELETE ON message "
    "FOR EACH ROW EXECUTE FUNCTION helpdesk_search_message()",
    "SELECT helpdesk_search_refresh(id) FROM ticket",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS ticket_search_message ON message")
    op.execute("DROP TRIGGER IF EXISTS ticket_search_ticket ON ticket")
    op.execute("DROP TABLE IF EXISTS ticket_search")
    for function in ("helpdesk_search_message()", "helpdesk_search_ticket()", "helpdesk_search_refresh(integer)",
                     "helpdesk_document(text)", "helpdesk_unaccent(text)"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}")

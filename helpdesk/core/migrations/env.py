from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from helpdesk.core import db

target_metadata = SQLModel.metadata


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The FTS5 indexes and their shadow tables are made by hand (0001, then 0006), not from the
    # models; so are PostgreSQL's own indexes (0011).
    if type_ == "index" and name is not None and name.startswith("ix_ticket_pg_"):
        return False
    return not (type_ == "table" and name is not None and name.startswith(("ticket_fts", "ticket_search")))


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or db.engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

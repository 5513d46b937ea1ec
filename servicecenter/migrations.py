"""Alembic driven from code: upgrade to head, and tell whether a database is at head."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from servicecenter.config import ROOT


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


# --- helpers for the migrations since 0018 (0013 keeps its own copy, as it was) ---------------------------


def add_reference(op, table: str, column: str, target: str) -> None:
    """A nullable foreign key column. On SQLite a plain ADD COLUMN with its REFERENCES clause: a batch rebuild would
    DROP the table, which the rows referencing it refuse with foreign keys on; a column kept by a downgrade there is
    reused."""
    import sqlalchemy as sa

    name = f"fk_{table}_{column}_{target}"
    if op.get_bind().dialect.name == "sqlite":
        if column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}:
            return
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER CONSTRAINT {name} REFERENCES {target} (id)")
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, target, [column], ["id"])


def drop_reference(op, table: str, column: str, target: str) -> None:
    """SQLite keeps the nullable column, emptied (dropping it would rebuild the table, see above)."""
    import sqlalchemy as sa

    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.table(table, sa.column(column)).update().values({column: None}))
        return
    op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
    op.drop_column(table, column)

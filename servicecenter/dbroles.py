"""The app's least-privilege PostgreSQL role: reads and writes rows, owns nothing, so it cannot drop the ledger
triggers, alter or truncate tables (migrations keep running as the owner)."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleRefused(ValueError):
    pass


def grant_app_role(engine: Engine, role: str, password: str | None = None) -> None:
    """Create (or bring up to date) the LOGIN role `role` with row privileges only; run it as the table owner.

    Safe to run again, e.g. after every migration: existing grants stay, the role's attributes are reset.
    """
    if engine.dialect.name != "postgresql":
        raise RoleRefused(f"A separate app role needs PostgreSQL; this database is {engine.dialect.name}.")
    if not ROLE_NAME.match(role):
        raise RoleRefused("A role name is lower-case letters, digits and _ (at most 63), not starting with a digit.")
    with engine.begin() as conn:
        if role == conn.scalar(text("SELECT current_user")):
            raise RoleRefused("The app role must not be the role that owns the tables (the one migrating).")
        _create_or_reset(conn, role, password)
        for statement in _grants(conn.scalar(text("SELECT current_database()")), role):
            conn.execute(text(statement))


def _create_or_reset(conn: Connection, role: str, password: str | None) -> None:
    exists = conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :role"), {"role": role})
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    conn.execute(text(f'{"ALTER" if exists else "CREATE"} ROLE "{role}" {attributes}'))
    if password is not None:
        # DDL takes no bind parameters: the server quotes the password itself (%L).
        statement = conn.scalar(
            text("SELECT format('ALTER ROLE %I PASSWORD %L', CAST(:role AS text), CAST(:password AS text))"),
            {"role": role, "password": password})
        conn.exec_driver_sql(statement, execution_options={"no_parameters": True})


def _grants(database: str, role: str) -> list[str]:
    rows, sequences = "SELECT, INSERT, UPDATE, DELETE", "USAGE, SELECT"
    return [
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        # Older PostgreSQL gave CREATE on public to everyone; whatever was granted to the role itself goes.
        f'REVOKE CREATE ON SCHEMA public FROM "{role}"',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
        f'GRANT {rows} ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT {sequences} ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        # Tables and sequences the owner creates in later migrations get the same grants.
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {rows} ON TABLES TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {sequences} ON SEQUENCES TO "{role}"',
    ]

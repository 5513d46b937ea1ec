"""The app's least-privilege PostgreSQL role: the whole request path works through it, and it cannot drop,
alter or truncate tables, drop the ledger triggers or switch them off."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError

from servicecenter.audit.models import Outcome
from servicecenter.auth.models import Role
from servicecenter.citizens.models import Citizen
from servicecenter.db import make_engine
from servicecenter.dbroles import RoleRefused, grant_app_role
from tests.conftest import _reset_pg, make_test_app
from tests.factories import Factory

PASSWORD = "app-role-test-password"


def _drop_role(engine, role: str) -> None:
    with engine.begin() as conn:
        if conn.scalar(text("SELECT count(*) FROM pg_roles WHERE rolname = :r"), {"r": role}):
            # Roles are cluster-wide: take back what it owns and was granted here, then drop it.
            conn.execute(text(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER'))
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))


@pytest.fixture
def app_role(pg_database):
    """Given a migrated, seeded PostgreSQL database and the app role made by the command (run as the owner)."""
    _reset_pg(pg_database)
    owner = make_engine(pg_database)
    role = f"sc_app_{make_url(pg_database).database}"
    _drop_role(owner, role)
    result = make_test_app(pg_database).test_cli_runner().invoke(
        args=["db", "grant-app-role", role, "--password-env", "SC_TEST_ROLE_PASSWORD"],
        env={"SC_TEST_ROLE_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    url = make_url(pg_database).set(username=role, password=PASSWORD).render_as_string(hide_password=False)
    yield role, url, owner
    _drop_role(owner, role)
    owner.dispose()


def test_the_app_serves_requests_through_its_role(app_role):
    role, url, _owner = app_role
    app = make_test_app(url)
    try:
        session = app.extensions["database"].factory()
        assert session.scalar(text("SELECT current_user")) == role
        factory = Factory(session)
        client = app.test_client()
        helpdesk = factory.user(Role.HELPDESK)
        client.login(helpdesk.username)
        form = {k: ("" if v is None else v) for k, v in vars(factory.citizen_data(cpr="120345-1234")).items()}
        form["responsible_organisation_id"] = form["responsible_organisation_id"] or 0
        response = client.post("/citizens/new", data=form)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        session.rollback()
        citizen = session.scalar(select(Citizen))
        assert client.get(f"/citizens/{citizen.id}").status_code == 200
        assert client.get("/healthz").status_code == 200
        session.close()
    finally:
        app.extensions["database"].engine.dispose()


@pytest.mark.parametrize("statement", [
    "DROP TABLE movements",
    "DROP TRIGGER movements_append_only ON movements",
    "ALTER TABLE movements DISABLE TRIGGER movements_append_only",
    "ALTER TABLE citizens ADD COLUMN note text",
    "TRUNCATE citizens",
    "TRUNCATE movements",
    "SET session_replication_role = replica",
    "CREATE TABLE sneaky (id int)",
])
def test_the_app_role_is_refused_owner_work(app_role, statement):
    _role, url, _owner = app_role
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError, match="must be owner|permission denied"), engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_ledger_triggers_still_refuse_the_app_role(app_role):
    _role, url, owner = app_role
    with owner.begin() as conn:
        conn.execute(text("INSERT INTO audit_events (at, action, entity_type, outcome) "
                          "VALUES (now(), 'test', 'test', :outcome)"), {"outcome": Outcome.ALLOWED.value})
    engine = create_engine(url)
    try:
        for statement in ("UPDATE audit_events SET action = 'y'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_app_role_has_rows_only(app_role):
    role, _url, owner = app_role
    with owner.connect() as conn:
        assert not conn.scalar(text("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles "
                                    "WHERE rolname = :r"), {"r": role})
        assert not conn.scalar(text("SELECT has_schema_privilege(:r, 'public', 'CREATE')"), {"r": role})
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                "AND tableowner = :r"), {"r": role}) == 0
        for privilege in ("TRUNCATE", "REFERENCES", "TRIGGER"):
            assert not conn.scalar(text("SELECT bool_or(has_table_privilege(:r, c.oid, :p)) FROM pg_class c "
                                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                        "WHERE n.nspname = 'public' AND c.relkind = 'r'"),
                                   {"r": role, "p": privilege})


def test_the_command_is_idempotent_and_future_tables_are_granted(app_role):
    role, url, owner = app_role
    grant_app_role(owner, role, PASSWORD)
    grant_app_role(owner, role)
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE later_migration (id serial PRIMARY KEY, name text)"))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO later_migration (name) VALUES ('a')"))
            assert conn.scalar(text("SELECT count(*) FROM later_migration")) == 1
    finally:
        engine.dispose()
        with owner.begin() as conn:
            conn.execute(text("DROP TABLE later_migration"))


def test_the_command_refuses_sqlite_and_the_owner(app_role, sqlite_url):
    _role, _url, owner = app_role
    sqlite = make_engine(sqlite_url)
    with pytest.raises(RoleRefused, match="needs PostgreSQL"):
        grant_app_role(sqlite, "sc_app")
    sqlite.dispose()
    with pytest.raises(RoleRefused, match="must not be the role that owns"):
        grant_app_role(owner, make_url(str(owner.url)).username)

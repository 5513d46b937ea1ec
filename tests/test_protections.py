"""Protections that an earlier change could remove without any test failing: each test here fails when its
protection goes (each was checked by removing the protection by hand and watching the test fail).

Given the protection in place, when someone tries what it stops, then it is stopped.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from servicecenter.audit.models import AuditEvent
from servicecenter.auth import passwords
from servicecenter.auth import service as auth_service
from servicecenter.auth.models import Role, User, UserSession, UserStatus
from servicecenter.db import AppendOnly, Base, unit_of_work, utcnow
from tests.factories import PASSWORD
from tests.html_form import form_as_shown

LIMITS = auth_service.LoginLimits(max_failures=5, max_failures_per_user=5, max_failures_per_ip=50,
                                  window=dt.timedelta(minutes=15))

# --- session management ----------------------------------------------------------------------------------------


def test_a_live_session_ends_when_the_account_is_disabled_by_any_path(client, factory, session):
    """The login session itself checks that the account is active, so a disable that did not go through the admin
    page (a script, a restore, a future bulk action) still ends the session at the next request."""
    user = factory.user(Role.HELPDESK)
    client.login(user.username)
    assert client.get("/citizens/").status_code == 200
    with unit_of_work(session):
        session.execute(update(User).where(User.id == user.id).values(status=UserStatus.DISABLED))
    response = client.get("/citizens/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    ended = session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert ended.ended_at is not None and ended.end_reason == "disabled"


def test_the_expiry_job_also_closes_busy_sessions_past_their_maximum_age(session, factory):
    """A session in use all day is still closed in the records once it is older than the maximum age."""
    user = factory.user()
    now = utcnow()
    with unit_of_work(session):
        login = auth_service.attempt_login(session, username=user.username, password=PASSWORD, ip="127.0.0.1",
                                           now=now - dt.timedelta(hours=13), limits=LIMITS)
        session.execute(update(UserSession).where(UserSession.user_id == user.id).values(
            last_seen_at=now - dt.timedelta(minutes=5)))
    with unit_of_work(session):
        ended = auth_service.end_expired_sessions(session, now=now, idle=dt.timedelta(minutes=60),
                                                  max_age=dt.timedelta(hours=12))
    assert login.token and ended == 1
    assert session.scalar(select(UserSession.end_reason).where(UserSession.user_id == user.id)) == "expired"


# --- password storage --------------------------------------------------------------------------------------------


def test_a_login_upgrades_a_hash_made_with_weaker_parameters(session, factory):
    """Stored hashes are argon2id with a salt of their own, and a login re-hashes one made with older, weaker work
    factors (so raising the factors reaches every account that logs in)."""
    user = factory.user()
    first, second = passwords.hash_password(PASSWORD), passwords.hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second and PASSWORD not in first
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    assert passwords.needs_rehash(weak)
    with unit_of_work(session):
        session.execute(update(User).where(User.id == user.id).values(password_hash=weak))
    with unit_of_work(session):
        assert auth_service.attempt_login(session, username=user.username, password=PASSWORD, ip="127.0.0.1",
                                          now=utcnow(), limits=LIMITS).token
    stored = session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored != weak and not passwords.needs_rehash(stored) and passwords.verify_password(stored, PASSWORD)


# --- CSRF -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "page", "action", "extra"), [
    (Role.HELPDESK, "/citizens/", "/citizens/search", {"q": "Jensen"}),
    (Role.HELPDESK, "/support/call", "/support/call", {"q": "12345678"}),
    (Role.HELPDESK, "/account/password", "", {}),
    (Role.WAREHOUSE, "/inventory/scan/accept", "/inventory/scan/accept", {"code": "D0000010"}),
])
def test_every_form_as_shown_carries_a_csrf_token_the_server_accepts(app, factory, role, page, action, extra):
    """The test client adds a token to every POST by itself; a browser sends only what the page gave it. So the
    form exactly as shown, without the client's help, must pass the CSRF check, and without its token must not."""
    client = app.test_client()
    client.login(factory.user(role).username)
    html = client.get(page).get_data(as_text=True)
    fields = form_as_shown(html, action)
    assert fields.get("csrf_token"), f"the form on {page} has no csrf_token"
    target = action or page
    assert client.post(target, data={**fields, **extra}, csrf=False).status_code != 400
    del fields["csrf_token"]
    assert client.post(target, data={**fields, **extra}, csrf=False).status_code == 400


def test_htmx_requests_get_their_csrf_token_from_the_page(app, factory):
    """htmx posts (search as you type, scans) send the header that the page's body declares."""
    client = app.test_client()
    client.login(factory.user(Role.HELPDESK).username)
    html = client.get("/citizens/").get_data(as_text=True)
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html).group(1)
    ok = client.post("/citizens/search", data={"q": "Jensen"}, headers={"X-CSRFToken": token, "HX-Request": "true"},
                     csrf=False)
    assert ok.status_code == 200
    refused = client.post("/citizens/search", data={"q": "Jensen"}, headers={"HX-Request": "true"}, csrf=False)
    assert refused.status_code == 400


# --- output encoding --------------------------------------------------------------------------------------------


def test_a_scanned_code_is_shown_escaped_in_the_scan_answer(app, factory):
    """A scanner (or a person) can type anything; the answer repeats the code, escaped."""
    client = app.test_client()
    client.login(factory.user(Role.WAREHOUSE).username)
    payload = "<img src=x onerror=alert(1)>"
    for headers in ({"HX-Request": "true"}, {}):
        html = client.post("/inventory/scan/fault", data={"code": payload}, headers=headers).get_data(as_text=True)
        assert "<img src=x" not in html
        assert "&lt;IMG" in html


# --- ledgers ----------------------------------------------------------------------------------------------------


def _ledger_tables() -> list[str]:
    import inventory.models  # noqa: F401 - every ledger's model is registered
    import support.models  # noqa: F401

    return sorted(mapper.local_table.name for mapper in Base.registry.mappers
                  if issubclass(mapper.class_, AppendOnly))


def test_the_ledgers_are_known():
    assert {"audit_events", "movements", "course_events", "ticket_events"} <= set(_ledger_tables())


def test_every_ledger_refuses_raw_sql_updates_and_deletes_in_the_database(app, session):
    """The ORM guard stops the app's own code; the database triggers stop everything else (a script, a console).
    Tried on a row of every ledger table, in a database filled by the demo data."""
    result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", "8"])
    assert result.exit_code == 0, result.output
    app.test_client().login("nobody", "a wrong password")  # a login_attempts row
    tried = []
    for table in _ledger_tables():
        row_id = session.scalar(text(f"SELECT min(id) FROM {table}"))  # noqa: S608 - a table name from the models
        session.rollback()
        if row_id is None:
            continue
        for statement in (f"UPDATE {table} SET id = id WHERE id = :id", f"DELETE FROM {table} WHERE id = :id"):
            with pytest.raises(DBAPIError, match="append-only"), unit_of_work(session):
                session.execute(text(statement), {"id": row_id})
        tried.append(table)
    assert {"audit_events", "movements", "course_events", "login_attempts"} <= set(tried)


# --- audit --------------------------------------------------------------------------------------------------------


def test_a_citizen_is_not_shown_when_the_read_cannot_be_logged(app, factory, monkeypatch):
    """The read log is written in the same transaction as the read, before anything is shown: if it cannot be
    written, the citizen's data is not shown either (never a read without its audit row)."""
    from servicecenter.citizens import service as citizen_service

    client = app.test_client()
    client.login(factory.user(Role.HELPDESK).username)
    citizen = factory.citizen(first_name="Oline", last_name="Revisorsen")

    def broken(*_args, **_kwargs):
        raise RuntimeError("the audit table is not writable")

    monkeypatch.setattr(citizen_service, "record_event", broken)
    try:
        response = client.get(f"/citizens/{citizen.id}")
    except RuntimeError:
        return
    assert response.status_code >= 500 and "Revisorsen" not in response.get_data(as_text=True)


def test_a_status_change_is_not_saved_without_its_audit_row(session, factory, monkeypatch):
    """transition() writes the status and its audit row in the caller's one transaction: when the audit row
    cannot be written, the status change is not saved either."""
    from servicecenter import statuses

    admin, user = factory.user(Role.ADMIN), factory.user(Role.HELPDESK)
    real = statuses.record_event

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        session.flush()
        raise RuntimeError("audit insert failed")

    monkeypatch.setattr(statuses, "record_event", failing)
    with pytest.raises(RuntimeError), unit_of_work(session):
        auth_service.set_user_status(session, session.get(User, user.id), UserStatus.DISABLED, actor=admin,
                                     now=utcnow())
    session.expire_all()
    assert session.get(User, user.id).status == UserStatus.ACTIVE
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.status")) is None

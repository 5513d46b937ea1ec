"""Rate limits on searches, record opens and exports (per person, counted in the database: every app instance sees
the same hits), and security events: a refusal by role or by rate limit is an audit row with the endpoint, the
client's address and the request id, as is every other audit row written during a request."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from servicecenter.audit.models import AuditEvent, Outcome
from servicecenter.auth.models import Role
from servicecenter.ratelimit import Limit, RateLimitHit, hit
from tests.conftest import make_test_app

LIMITS = {"search": (5, 60), "record": (3, 60), "export": (2, 600)}


@pytest.fixture
def app(database_url):  # this module's app has the limits switched on (the suite's are off)
    app = make_test_app(database_url, RATE_LIMITS=LIMITS)
    yield app
    app.extensions["database"].engine.dispose()


def events(session, action: str) -> list[AuditEvent]:
    session.rollback()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_searches_beyond_the_limit_are_refused_with_a_wait_and_a_security_event(client, session, factory):
    agent = factory.user(Role.HELPDESK)
    client.login(agent.username)
    client.post("/language", data={"lang": "en"})
    answers = [client.post("/citizens/search", data={"q": "jensen"}) for _ in range(LIMITS["search"][0] + 2)]
    assert [a.status_code for a in answers] == [200] * 5 + [429, 429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "60" and "Wait 1 minutes" in refused.get_data(as_text=True)
    logged = events(session, "security.rate_limited")
    assert len(logged) == 2 and logged[0].actor_id == agent.id and logged[0].outcome == Outcome.DENIED
    assert logged[0].detail == {"endpoint": "citizens.search", "method": "POST", "kind": "search"}
    assert logged[0].address == "127.0.0.1" and logged[-1].request_id == refused.headers["X-Request-ID"]
    colleague = client.application.test_client()
    colleague.login(factory.user(Role.HELPDESK).username)
    assert colleague.post("/citizens/search", data={"q": "jensen"}).status_code == 200  # per person


def test_the_window_slides(client, session, factory, monkeypatch):
    import servicecenter.db
    import servicecenter.web

    client.login(factory.user(Role.HELPDESK).username)
    for _ in range(5):
        client.post("/citizens/search", data={"q": "x"})
    assert client.post("/citizens/search", data={"q": "x"}).status_code == 429
    real = servicecenter.db.utcnow
    monkeypatch.setattr(servicecenter.web, "utcnow", lambda: real() + dt.timedelta(seconds=61))
    assert client.post("/citizens/search", data={"q": "x"}).status_code == 200
    session.rollback()
    assert len(session.scalars(select(RateLimitHit)).all()) == 1  # the old hits are gone with the window


def test_record_opens_and_exports_have_their_own_limits(client, factory):
    citizen = factory.citizen()
    client.login(factory.user(Role.HELPDESK).username)
    opens = [client.get(f"/citizens/{citizen.id}").status_code for _ in range(4)]
    assert opens == [200, 200, 200, 429]
    assert client.post("/citizens/search", data={"q": "x"}).status_code == 200  # searching is another limit
    client.post("/logout")
    client.login(factory.user(Role.COORDINATOR).username)
    exports = [client.get(f"/citizens/{citizen.id}/access-log.csv").status_code for _ in range(3)]
    assert exports == [200, 200, 429]


def test_the_limit_is_counted_in_the_database_across_app_instances(database_url, client, factory):
    other = make_test_app(database_url, RATE_LIMITS=LIMITS).test_client()  # a second gunicorn worker
    user = factory.user(Role.HELPDESK)
    client.login(user.username)
    other.login(user.username)
    for n in range(5):
        (client if n % 2 else other).post("/citizens/search", data={"q": "x"})
    assert other.post("/citizens/search", data={"q": "x"}).status_code == 429


def test_hit_counts_within_the_window_and_names_the_wait(session, factory):
    user = factory.user()
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    limit = Limit.parse("2/600")
    assert hit(session, user_id=user.id, kind="export", limit=limit, now=start) is None
    assert hit(session, user_id=user.id, kind="export", limit=limit, now=start + dt.timedelta(minutes=1)) is None
    assert hit(session, user_id=user.id, kind="export", limit=limit, now=start + dt.timedelta(minutes=2)) == 8
    assert hit(session, user_id=user.id, kind="export", limit=limit, now=start + dt.timedelta(minutes=10)) is None
    session.rollback()


def test_a_refusal_by_role_is_a_security_event_with_address_and_request_id(client, session, factory):
    nurse = factory.user(Role.NURSE)
    client.login(nurse.username)
    refused = client.get("/dispatch/")
    assert refused.status_code == 403
    [event] = events(session, "security.forbidden")
    assert (event.actor_id, event.outcome, event.detail["endpoint"]) == (nurse.id, Outcome.DENIED, "dispatch.queue")
    assert event.address == "127.0.0.1" and event.request_id == refused.headers["X-Request-ID"]
    assert event.request_id in refused.get_data(as_text=True)  # the id the user can quote is on the page


def test_every_audit_row_of_a_request_carries_its_address_and_request_id(client, session, factory):
    citizen = factory.citizen()
    client.login(factory.user(Role.HELPDESK).username)
    opened = client.get(f"/citizens/{citizen.id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    [view] = events(session, "citizen.view")
    assert (view.address, view.request_id) == ("10.1.2.3", opened.headers["X-Request-ID"])
    listed = client.post("/citizens/search", data={"q": citizen.last_name}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    [row] = events(session, "citizen.search_result")  # written in bulk: carries them too
    assert (row.address, row.request_id) == ("10.9.9.9", listed.headers["X-Request-ID"])
    made = factory.citizen()  # outside a request (a job, a script): no address, no request id
    session.rollback()
    created = session.scalar(select(AuditEvent).where(AuditEvent.citizen_id == made.id))
    assert (created.address, created.request_id) == (None, None)


def test_the_coordinators_review_the_security_events(client, session, factory):
    nurse = factory.user(Role.NURSE)
    client.login(nurse.username)
    refused = client.get("/dispatch/")
    assert client.get("/audit/security").status_code == 403
    client.post("/logout")
    client.login(factory.user(Role.COORDINATOR).username)
    client.post("/language", data={"lang": "en"})
    page = client.get("/audit/security").get_data(as_text=True)
    assert refused.headers["X-Request-ID"] in page and "dispatch.queue" in page and nurse.full_name in page
    assert "Refused: no access" in page

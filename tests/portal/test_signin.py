"""Signing in to the portal with a one-time code: what the code level shows, and the attacks on codes — reuse,
expiry, guessing (a thousand wrong codes lock the number, and the lock is logged), too many codes asked for, and
a number that belongs to no one (the answer does not tell)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import views as portal_views
from portal.models import SignInAttempt, SignInCode
from servicecenter.audit.models import AuditEvent
from servicecenter.db import utcnow
from servicecenter.outbox.models import MessageStatus, OutboxMessage
from tests.portal.helpers import NUMBER, Home, last_code, sign_in_with_code


@pytest.fixture
def home(session, factory):
    return Home(session, factory)


def english(client) -> None:
    client.post("/language", data={"lang": "en"})


def test_a_code_signs_the_citizen_in_to_her_visit_windows_only(client, session, home):
    english(client)
    answer = sign_in_with_code(client, session)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/portal/home")
    page = client.get("/portal/home").get_data(as_text=True)
    assert f'id="visit-{home.service.id}"' in page and "08:00" in page and "12:00" in page
    # Nothing that reveals health data at this level: no equipment, no task, no trainings, no log
    assert 'id="devices"' not in page and "We check your equipment" not in page and 'id="trainings"' not in page
    assert home.devices[0].tag not in page and 'id="step-up"' in page
    for part in ("/portal/access", "/portal/relatives"):
        assert client.get(part).headers["Location"].endswith("/portal/home")
    # The code went out through the outbox at once, to the number on her record
    session.rollback()
    sent = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "portal.code")).one()
    assert (sent.recipient, sent.status) == (NUMBER, MessageStatus.SENT)


def test_a_number_no_one_has_gets_the_same_answer_and_no_code(client, session, home):
    answer = client.post("/portal/code", data={"number": "+45 99 88 77 66"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/portal/code")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert session.scalar(select(func.count()).select_from(SignInAttempt)
                          .where(SignInAttempt.number_key == "99887766")) == 1
    assert client.post("/portal/code/check", data={"code": "123456"}).status_code == 422


def test_a_bad_number_is_refused_where_it_was_typed(client, home):
    english(client)
    answer = client.post("/portal/code", data={"number": "12ab"})
    assert answer.status_code == 422 and 'id="number-err"' in answer.get_data(as_text=True)


def test_a_code_works_once(client, session, home, app):
    sign_in_with_code(client, session)
    code = last_code(session)
    client.post("/portal/logout")
    client.post("/portal/code", data={"number": NUMBER})  # a new code is sent; the old one is used
    assert client.post("/portal/code/check", data={"code": code}).status_code == 422
    assert client.get("/portal/home").status_code == 302  # not signed in


def test_an_expired_code_is_refused(client, session, home, monkeypatch):
    client.post("/portal/code", data={"number": NUMBER})
    code = last_code(session)
    later = utcnow() + dt.timedelta(minutes=11)
    monkeypatch.setattr(portal_views, "now", lambda: later)
    assert client.post("/portal/code/check", data={"code": code}).status_code == 422
    monkeypatch.undo()
    assert client.get("/portal/home").status_code == 302


def test_a_thousand_wrong_codes_lock_the_number_and_the_lock_is_logged(client, session, home):
    client.post("/portal/code", data={"number": NUMBER})
    right = last_code(session)
    wrong = [f"{n:06d}" for n in range(1000, 3000) if f"{n:06d}" != right][:1000]
    statuses = [client.post("/portal/code/check", data={"code": code}).status_code for code in wrong]
    assert set(statuses[:9]) == {422} and set(statuses[9:]) == {429}
    # Locked: even the right code does not sign in now
    assert client.post("/portal/code/check", data={"code": right}).status_code == 429
    assert client.get("/portal/home").status_code == 302
    session.rollback()
    tries = session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.number_key == NUMBER, SignInAttempt.kind == "verify", SignInAttempt.succeeded.is_(False)))
    assert tries == 1001
    locks = session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.signin_locked")).all()
    assert len(locks) == 1 and locks[0].detail["number"].endswith("50") and NUMBER not in str(locks[0].detail)
    # The code itself died after its few tries
    assert session.scalars(select(SignInCode.failures)).one() == 5


def test_too_many_codes_for_one_number_are_refused(client, session, home):
    for _ in range(5):
        assert client.post("/portal/code", data={"number": NUMBER}).status_code == 302
    assert client.post("/portal/code", data={"number": NUMBER}).status_code == 429
    session.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 5


def test_the_portal_session_does_not_reach_staff_pages(client, session, home):
    sign_in_with_code(client, session)
    for page in ("/", "/citizens/", f"/citizens/{home.citizen.id}", "/dispatch/", "/support/"):
        answer = client.get(page)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], page


def test_the_session_ends_after_a_quarter_of_an_hour_idle(client, session, home, monkeypatch):
    sign_in_with_code(client, session)
    assert client.get("/portal/home").status_code == 200
    later = utcnow() + dt.timedelta(minutes=16)
    monkeypatch.setattr(portal_views, "now", lambda: later)
    assert client.get("/portal/home").status_code == 302


def test_the_tidy_job_ends_abandoned_sessions_and_forgets_day_old_codes(app, client, session, home):
    from portal.models import PortalSession
    from portal.service.signin import Limits, tidy
    from servicecenter.db import unit_of_work

    sign_in_with_code(client, session)
    client.post("/portal/code", data={"number": NUMBER})  # a second code, never used
    with unit_of_work(session):
        assert tidy(session, now=utcnow(), limits=Limits()) == (0, 0)
    with unit_of_work(session):
        assert tidy(session, now=utcnow() + dt.timedelta(days=2), limits=Limits()) == (1, 2)
    assert session.scalars(select(PortalSession.ended_at)).one() is not None
    assert client.get("/portal/home").status_code == 302
    assert session.scalar(select(func.count()).select_from(SignInAttempt)) == 3  # the attempts stay


def test_every_portal_page_without_a_portal_session_goes_to_sign_in(app, client, home):
    """The portal's pages are public to the staff login: each must check the portal's own session. The sign-in
    steps themselves are the only exceptions, and a new page that forgets the check fails here."""
    sign_in_steps = {"portal.start", "portal.ask_code", "portal.code_form", "portal.check_code", "portal.choose",
                     "portal.mitid", "portal.mitid_callback", "portal.logout"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or rule.endpoint in sign_in_steps:
            continue
        url = rule.build({"visit_id": home.service.id, "citizen_id": home.citizen.id})[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            answer = client.open(url, method=method, data={})
            expected = "/portal/" if not rule.endpoint.startswith("portal.staff") else "/login"
            assert answer.status_code == 302 and expected in answer.headers["Location"], (rule.endpoint, method)
            checked += 1
    assert checked >= 10

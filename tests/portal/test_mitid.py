"""MitID over OpenID Connect against a real provider on 127.0.0.1 (tests/oidc_provider.py): the code session
steps up to "betydelig" when MitID names the same person; a sign-in straight with MitID; and the refusals — another
person's MitID, too low a level, no CPR number, a forged or stale token, a wrong nonce or audience, a refusal at
the provider, a callback without a flow started (state)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from portal.models import Assurance, PortalSession
from servicecenter.audit.models import AuditEvent
from tests.conftest import make_test_app
from tests.oidc_provider import LOW, TestProvider
from tests.portal.helpers import Home, sign_in_with_code

BASE = "http://localhost"


@pytest.fixture
def provider():
    with TestProvider(redirect_uris=[f"{BASE}/portal/mitid/callback"], auto_approve=True) as provider:
        yield provider


@pytest.fixture
def app(database_url, provider):
    app = make_test_app(database_url, PUBLIC_BASE_URL=BASE, **provider.app_config())
    yield app
    app.extensions["database"].engine.dispose()


@pytest.fixture
def home(session, factory):
    return Home(session, factory)


def through_mitid(client) -> object:
    """Press the MitID button: the app sends the browser to the provider, which (auto-approving) sends it back
    with a code; the app's callback exchanges it over real HTTP. Returns the callback's answer."""
    to_provider = client.get("/portal/mitid")
    assert to_provider.status_code == 302
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def sessions(session) -> list[PortalSession]:
    session.rollback()
    return session.scalars(select(PortalSession).order_by(PortalSession.id)).all()


def test_the_code_session_steps_up_when_mitid_names_the_same_citizen(client, session, home, provider):
    sign_in_with_code(client, session)
    provider.next_login(cpr=home.citizen.cpr)
    answer = through_mitid(client)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/portal/home")
    page = client.get("/portal/home").get_data(as_text=True)
    assert 'id="devices"' in page and 'id="step-up"' not in page
    low, high = sessions(session)
    assert (low.assurance, high.assurance) == (Assurance.LOW, Assurance.SUBSTANTIAL)
    assert low.ended_at is not None and high.ended_at is None  # a new token at the new level
    assert provider.token_requests == 1


def test_another_persons_mitid_ends_the_code_session(client, session, home, provider):
    sign_in_with_code(client, session)
    provider.next_login(cpr="0101701234")
    answer = through_mitid(client)
    assert answer.headers["Location"].endswith("/portal/")
    assert client.get("/portal/home").status_code == 302
    assert all(s.ended_at is not None for s in sessions(session))
    assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "portal.step_up_refused")).one()


def test_mitid_alone_signs_the_citizen_in_at_the_substantial_level(client, session, home, provider):
    provider.next_login(cpr=home.citizen.cpr)
    assert through_mitid(client).headers["Location"].endswith("/portal/home")
    assert 'id="trainings"' in client.get("/portal/home").get_data(as_text=True)
    assert [s.assurance for s in sessions(session)] == [Assurance.SUBSTANTIAL]


@pytest.mark.parametrize("login", [
    {"loa": LOW}, {"tamper": "no_cpr"}, {"tamper": "wrong_key"}, {"tamper": "wrong_nonce"}, {"tamper": "wrong_aud"},
    {"tamper": "wrong_iss"}, {"tamper": "expired"}, {"refuse": True},
])
def test_a_token_the_client_must_not_trust_signs_no_one_in(client, session, home, provider, login):
    sign_in_with_code(client, session)
    provider.next_login(cpr=home.citizen.cpr, **login)
    answer = through_mitid(client)
    assert answer.status_code == 302
    assert [s.assurance for s in sessions(session)] == [Assurance.LOW]  # still only the code session
    assert 'id="step-up"' in client.get("/portal/home").get_data(as_text=True)


def test_a_callback_without_a_flow_started_here_is_refused(client, session, home, provider):
    provider.next_login(cpr=home.citizen.cpr)
    other = client.application.test_client()
    to_provider = other.get("/portal/mitid")
    back = requests.get(to_provider.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    answer = client.get(f"{callback.path}?{callback.query}")  # another browser's code and state
    assert answer.headers["Location"].endswith("/portal/") and sessions(session) == []
    assert provider.token_requests == 0


def test_a_relative_steps_up_with_her_own_mitid_and_still_sees_only_her_grant(client, session, home, provider):
    import datetime as dt

    from portal.models import GrantScope
    from portal.service import grants
    from servicecenter.citizens import service as citizens
    from servicecenter.citizens.models import Citizen, ContactKind
    from servicecenter.db import local_date, unit_of_work, utcnow

    with unit_of_work(session):
        citizen = session.get(Citizen, home.citizen.id)
        contact = citizens.add_contact(session, citizen, citizens.ContactData(
            kind=ContactKind.RELATIVE, name="Karen Datter", phone="40 50 60 70"), actor=home.helpdesk, now=utcnow())
        session.flush()
        grants.grant_access(session, citizen, contact_id=contact.id, relative_cpr="0203804321",
                            scope=GrantScope.DEVICES, until=local_date(utcnow()) + dt.timedelta(days=30),
                            actor=home.helpdesk, now=utcnow())
    sign_in_with_code(client, session, "40506070")
    provider.next_login(cpr=home.citizen.cpr)  # the citizen's MitID is not hers
    assert through_mitid(client).headers["Location"].endswith("/portal/")
    sign_in_with_code(client, session, "40506070")
    provider.next_login(cpr="0203804321")
    assert through_mitid(client).headers["Location"].endswith("/portal/home")
    page = client.get("/portal/home").get_data(as_text=True)
    assert 'id="devices"' in page and 'id="trainings"' not in page
    assert client.get("/portal/access").status_code == 404

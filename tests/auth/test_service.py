"""Accounts and login sessions, without HTTP."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from servicecenter.audit.models import AuditEvent
from servicecenter.auth import service
from servicecenter.auth.models import Role, UserSession, UserStatus
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError, InvalidTransition
from tests.factories import PASSWORD

LIMITS = service.LoginLimits(max_failures=5, max_failures_per_user=20, max_failures_per_ip=100,
                             window=dt.timedelta(minutes=15))


def login(session, username, password=PASSWORD, *, ip="10.0.0.1", now=None):
    with unit_of_work(session):
        return service.attempt_login(session, username=username, password=password, ip=ip,
                                     now=now or utcnow(), limits=LIMITS)


def test_login_with_the_right_password_opens_a_server_side_session(session, factory):
    user = factory.user(Role.HELPDESK)
    result = login(session, user.username.upper())  # usernames are case-insensitive
    assert result.user.id == user.id and result.token
    assert session.scalar(select(func.count()).select_from(UserSession)) == 1


@pytest.mark.parametrize("username,password", [("nobody", PASSWORD), (None, "wrong-password-123")])
def test_login_with_a_wrong_username_or_password_fails_with_one_message(session, factory, username, password):
    user = factory.user()
    result = login(session, username or user.username, password)
    assert result.user is None and "Wrong username or password" in result.error


def test_a_disabled_user_cannot_log_in(session, factory):
    admin, user = factory.user(Role.ADMIN), factory.user()
    with unit_of_work(session):
        service.set_user_status(session, user, UserStatus.DISABLED, actor=admin, now=utcnow())
    assert login(session, user.username).user is None


def test_failures_throttle_the_username_from_that_address_even_with_the_right_password(session, factory):
    user = factory.user()
    now = utcnow()
    for _ in range(5):
        assert login(session, user.username, "wrong-password", ip="10.0.0.1", now=now).user is None
    result = login(session, user.username, ip="10.0.0.1", now=now + dt.timedelta(minutes=1))
    assert result.user is None and result.retry_minutes == 15
    # The real user at another address is not locked out by someone guessing elsewhere.
    assert login(session, user.username, ip="10.0.0.2", now=now + dt.timedelta(minutes=1)).user is not None
    # After the window the right password works again.
    assert login(session, user.username, ip="10.0.0.1", now=now + dt.timedelta(minutes=16)).user is not None


def test_failures_spread_over_many_addresses_throttle_the_username(session, factory):
    user = factory.user()
    now = utcnow()
    for i in range(20):
        login(session, user.username, "wrong-password", ip=f"10.0.1.{i}", now=now)
    assert login(session, user.username, ip="10.0.2.1", now=now).user is None


def test_failures_from_one_address_throttle_that_address(session, factory):
    user = factory.user()
    now = utcnow()
    for i in range(100):
        login(session, f"guess{i}", "wrong-password", ip="192.0.2.9", now=now)
    assert login(session, user.username, ip="192.0.2.9", now=now).user is None
    assert login(session, user.username, ip="192.0.2.10", now=now).user is not None


def _check(session, token, now):
    return service.check_session(session, token, now=now, idle=dt.timedelta(minutes=60),
                                 max_age=dt.timedelta(hours=12))


def test_sessions_end_after_inactivity_and_after_the_maximum_age(session, factory):
    user = factory.user()
    start = utcnow()
    token = login(session, user.username, now=start).token
    assert _check(session, token, start + dt.timedelta(minutes=59)).end_reason is None
    assert _check(session, token, start + dt.timedelta(minutes=61)).end_reason == "idle"
    with unit_of_work(session):
        for minutes in range(50, 12 * 60, 50):  # active all day, never idle
            service.touch_session(session, _check(session, token, start + dt.timedelta(minutes=minutes - 1))
                                  .user_session, now=start + dt.timedelta(minutes=minutes))
    assert _check(session, token, start + dt.timedelta(hours=12, minutes=10)).end_reason == "max_age"


def test_logout_ends_the_session_for_good(session, factory):
    user = factory.user()
    token = login(session, user.username).token
    with unit_of_work(session):
        service.logout(session, token, actor=user, now=utcnow())
    assert _check(session, token, utcnow()).user_session is None


def test_disabling_a_user_ends_every_live_session(session, factory):
    admin, user = factory.user(Role.ADMIN), factory.user()
    tokens = [login(session, user.username).token for _ in range(2)]
    with unit_of_work(session):
        service.set_user_status(session, user, UserStatus.DISABLED, actor=admin, now=utcnow())
    assert all(_check(session, t, utcnow()).user_session is None for t in tokens)
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.status")).detail["to"] == "disabled"


def test_the_expiry_job_closes_idle_sessions_only(session, factory):
    user = factory.user()
    start = utcnow()
    old = login(session, user.username, now=start - dt.timedelta(hours=3)).token
    fresh = login(session, user.username, now=start).token
    with unit_of_work(session):
        ended = service.end_expired_sessions(session, now=start, idle=dt.timedelta(minutes=60),
                                             max_age=dt.timedelta(hours=12))
    assert ended == 1
    assert _check(session, old, start).user_session is None
    assert _check(session, fresh, start).user_session is not None


@pytest.mark.parametrize("password,message", [
    ("short", "at least 12"), ("x" * 129, "at most 128"), ("my-helpdesk7-password", "username"),
    ("password1234", "common or breached"), ("Qwertyuiop123", "common or breached"),
])
def test_password_policy(session, factory, password, message):
    with pytest.raises(DomainError, match=message), unit_of_work(session):
        factory_user = factory.user(Role.ADMIN)
        service.create_user(session, actor=factory_user, now=utcnow(), username="helpdesk7", full_name="H",
                            role=Role.HELPDESK, organisation_id=factory_user.organisation_id, password=password)


def test_a_common_password_is_refused_when_an_admin_or_the_user_sets_it(session, factory):
    user = factory.user()
    with pytest.raises(DomainError, match="common or breached"), unit_of_work(session):
        service.set_password(session, user, "password1234", actor=None, now=utcnow())
    with pytest.raises(DomainError, match="common or breached"), unit_of_work(session):
        service.change_own_password(session, user, current=PASSWORD, new="Qwerty123456", now=utcnow())
    with unit_of_work(session):  # an uncommon one of the same length is fine
        service.set_password(session, user, "lang-grøn-kaffekop", actor=None, now=utcnow())


def test_a_taken_username_is_refused_at_the_field(session, factory):
    user = factory.user()
    with pytest.raises(DomainError) as error, unit_of_work(session):
        service.create_user(session, actor=None, now=utcnow(), username=user.username.upper(), full_name="X",
                            role=Role.NURSE, organisation_id=user.organisation_id, password=PASSWORD)
    assert error.value.field == "username"


def test_an_admin_cannot_disable_or_demote_themselves(session, factory):
    admin = factory.user(Role.ADMIN)
    with pytest.raises(DomainError), unit_of_work(session):
        service.set_user_status(session, admin, UserStatus.DISABLED, actor=admin, now=utcnow())
    with pytest.raises(DomainError), unit_of_work(session):
        service.update_user(session, admin, actor=admin, now=utcnow(), full_name="A", role=Role.HELPDESK,
                            organisation_id=admin.organisation_id, email=None, phone=None)


def test_changing_a_users_role_logs_them_out(session, factory):
    admin, user = factory.user(Role.ADMIN), factory.user(Role.HELPDESK)
    token = login(session, user.username).token
    with unit_of_work(session):
        service.update_user(session, user, actor=admin, now=utcnow(), full_name="New Name", role=Role.COORDINATOR,
                            organisation_id=user.organisation_id, email="a@example.org", phone=None)
    assert _check(session, token, utcnow()).user_session is None


@pytest.mark.parametrize("current,target", list(itertools.product(UserStatus, UserStatus)))
def test_user_status_transition_table(current, target):
    """Every pair: active <-> disabled allowed, staying in the same status is not a transition."""
    assert service.USER_STATUS.can(current, target) == (current != target)


@given(st.sampled_from(list(UserStatus)), st.sampled_from(list(UserStatus)))
def test_illegal_user_transitions_raise_with_both_states_named(current, target):
    from servicecenter.statuses import transition

    class Subject:
        id = 1
        status = current

    class NullSession:
        def add(self, _obj):
            pass

        def flush(self):
            pass

    if service.USER_STATUS.can(current, target):
        transition(NullSession(), Subject, target, table=service.USER_STATUS, actor=None, now=utcnow())
        assert Subject.status == target
    else:
        with pytest.raises(InvalidTransition) as error:
            transition(NullSession(), Subject, target, table=service.USER_STATUS, actor=None, now=utcnow())
        assert current.value in str(error.value) and target.value in str(error.value)

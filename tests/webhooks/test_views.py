"""The webhook admin pages over HTTP: admins only, CSRF, the secret shown once, the SSRF check at save, the
delivery log with its response codes, redelivery, rotation and disabling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from servicecenter import events
from servicecenter.auth.models import Role
from servicecenter.db import unit_of_work, utcnow
from servicecenter.events import EventType
from tests.webhooks.helpers import Receiver, endpoint
from webhooks.delivery import deliver_due
from webhooks.models import DeliveryStatus, WebhookEndpoint, WebhookMessage


@pytest.fixture
def admin(factory):
    return factory.user(Role.ADMIN)


@pytest.mark.parametrize("role", [Role.HELPDESK, Role.COORDINATOR, Role.TECHNICIAN])
def test_only_admins_see_the_webhook_pages(client, session, factory, admin, role):
    row, _ = endpoint(session, admin, "http://127.0.0.1:9/hook")
    client.login(factory.user(role).username)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.get(f"/admin/webhooks/{row.id}").status_code == 403
    assert client.post(f"/admin/webhooks/{row.id}/enabled", data={"enabled": "0"}).status_code == 403
    session.rollback()
    assert session.get(WebhookEndpoint, row.id).is_enabled


def test_the_admin_creates_an_endpoint_and_sees_the_secret_once(client, session, admin):
    client.login(admin.username)
    assert client.get("/admin/webhooks/new").status_code == 200
    shown = client.post("/admin/webhooks/new", data={
        "url": "http://127.0.0.1:9/hook", "description": "Omsorgssystem", "event_types": ["ticket.created"],
        "is_private_allowed": "y"})
    assert shown.status_code == 200
    secret = "whsec_" + shown.get_data(as_text=True).split('value="whsec_', 1)[1].split('"', 1)[0]
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert "Omsorgssystem" in listing and secret not in listing
    session.rollback()
    row = session.scalars(select(WebhookEndpoint)).one()
    assert client.get(f"/admin/webhooks/{row.id}").get_data(as_text=True).count(secret) == 0


def test_a_loopback_address_is_refused_at_save_unless_allowed(client, session, admin):
    client.login(admin.username)
    page = client.post("/admin/webhooks/new", data={
        "url": "https://127.0.0.1/hook", "description": "Indenfor", "event_types": ["ticket.created"]})
    assert page.status_code == 200 and 'value="whsec_' not in page.get_data(as_text=True)
    session.rollback()
    assert session.scalars(select(WebhookEndpoint)).all() == []


def test_a_form_without_csrf_is_refused(client, session, admin):
    row, _ = endpoint(session, admin, "http://127.0.0.1:9/hook")
    client.login(admin.username)
    assert client.post(f"/admin/webhooks/{row.id}/enabled", data={"enabled": "0"}, csrf=False).status_code == 400
    assert client.post(f"/admin/webhooks/{row.id}/rotate", csrf=False).status_code == 400
    session.rollback()
    endpoint_row = session.get(WebhookEndpoint, row.id)
    assert endpoint_row.is_enabled and endpoint_row.previous_secret is None


def test_the_log_shows_the_codes_and_a_message_is_redelivered(app, client, session, admin):
    """Given a message that failed with 500 and then was delivered, when the admin redelivers it, then the
    receiver gets it again with the same webhook-id."""
    with Receiver([(500, {})]) as receiver:
        row, secret = endpoint(session, admin, receiver.url)
        receiver.secrets = [secret]
        with unit_of_work(session):
            events.publish(session, EventType.TICKET_CREATED, {"ticket_id": 7}, now=utcnow())
        db = app.extensions["database"].factory
        deliver_due(db)
        client.login(admin.username)
        page = client.get(f"/admin/webhooks/{row.id}").get_data(as_text=True)
        assert "<strong>500</strong>" in page
        message = session.scalars(select(WebhookMessage)).one()
        assert client.post(f"/admin/webhooks/messages/{message.id}/redeliver").status_code == 302
        deliver_due(db)
        assert client.post(f"/admin/webhooks/messages/{message.id}/redeliver").status_code == 302
        deliver_due(db)
    assert [r["valid"] == [secret] for r in receiver.requests] == [True, True, True]
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert len(receiver.accepted) == 2  # one redelivery after the failure, one asked for again
    session.rollback()
    assert session.get(WebhookMessage, message.id).status == DeliveryStatus.DELIVERED


def test_rotate_and_disable_from_the_page(client, session, admin):
    row, old = endpoint(session, admin, "http://127.0.0.1:9/hook")
    client.login(admin.username)
    shown = client.post(f"/admin/webhooks/{row.id}/rotate").get_data(as_text=True)
    new = "whsec_" + shown.split('value="whsec_', 1)[1].split('"', 1)[0]
    assert client.post(f"/admin/webhooks/{row.id}/enabled", data={"enabled": "0"}).status_code == 302
    session.rollback()
    rotated = session.get(WebhookEndpoint, row.id)
    assert (rotated.secret, rotated.previous_secret, rotated.is_enabled) == (new, old, False)
    assert client.get("/admin/webhooks/2000000000").status_code == 404


def test_the_users_page_links_to_the_webhooks(client, admin):
    client.login(admin.username)
    assert "/admin/webhooks" in client.get("/admin/users").get_data(as_text=True)


def test_an_attempts_error_is_shown_in_the_readers_language(app):
    """Found in review: a refusal's reason was stored and shown in English to a Danish admin."""
    from webhooks.admin_views import attempt_error

    with app.test_request_context("/", headers={"Accept-Language": "da"}):
        shown = attempt_error("refused: The receiver's host name does not resolve.")
        lost = attempt_error("no outcome after the last attempt")
    assert shown.startswith("afvist: ") and "resolve" not in shown
    assert lost != "no outcome after the last attempt"
    with app.test_request_context("/"):
        assert attempt_error("HTTP 503") == "HTTP 503" and attempt_error(None) == ""

"""Login, logout, sessions and user administration over HTTP: wiring, permissions, redirects."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from servicecenter.auth.models import Role, User, UserSession, UserStatus
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind
from tests.conftest import make_test_app
from tests.factories import PASSWORD
from tests.html_form import form_as_shown


def test_login_page_and_a_successful_login(client, factory):
    user = factory.user(Role.HELPDESK)
    assert client.get("/").status_code == 302
    assert client.get("/login").status_code == 200
    response = client.login(user.username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_says_so_without_telling_which_part_was_wrong(client, factory):
    user = factory.user()
    response = client.login(user.username, "wrong-password!")
    assert response.status_code == 400
    assert b"Forkert brugernavn eller adgangskode" in response.data or b"Wrong username" in response.data


@pytest.mark.parametrize("target,expected", [
    ("/citizens/", "/citizens/"),
    ("//evil.example", "/"),
    ("https://evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("evil.example", "/"),
])
def test_next_redirects_only_within_the_site(client, factory, target, expected):
    user = factory.user()
    response = client.post("/login", query_string={"next": target},
                           data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_a_post_without_a_csrf_token_is_refused(client, factory):
    user = factory.user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # not logged in


def test_logout_ends_the_session_on_the_server(client, factory, app):
    user = factory.user()
    client.login(user.username)
    cookie = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    # Replaying the old cookie does not bring the session back.
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/").status_code == 302


def test_a_disabled_users_live_session_ends_at_the_next_request(client, factory, session):
    admin, user = factory.user(Role.ADMIN), factory.user(Role.HELPDESK)
    client.login(user.username)
    assert client.get("/citizens/").status_code == 200
    admin_client = client.application.test_client()
    admin_client.login(admin.username)
    assert admin_client.post(f"/admin/users/{user.id}/status", data={"status": "disabled"}).status_code == 302
    response = client.get("/citizens/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_idle_session_ends(client, factory, session):
    user = factory.user()
    client.login(user.username)
    with unit_of_work(session):
        session.execute(update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(hours=2)))
    assert client.get("/").status_code == 302


def test_login_throttling_holds_across_app_instances(database_url, factory):
    """Two app instances (as two gunicorn workers) share the failure count through the database."""
    user = factory.user()
    first, second = make_test_app(database_url).test_client(), make_test_app(database_url).test_client()
    for _ in range(5):
        first.login(user.username, "wrong-password!")
    response = second.login(user.username)
    assert response.status_code == 400
    assert second.get("/").status_code == 302


def test_every_non_public_endpoint_refuses_anonymous_users(app, client):
    refused = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or getattr(view, "is_public", False):
            continue
        url = rule.build({arg: 1 for arg in rule.arguments})[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 302, (rule.endpoint, method, response.status_code)
            assert response.headers["Location"].startswith("/login"), rule.endpoint
            refused += 1
    assert refused >= 15


def test_every_endpoint_declares_a_permission_or_is_public(app):
    from servicecenter.security import undeclared_endpoints

    assert undeclared_endpoints(app) == []
    public = {e for e, v in app.view_functions.items() if getattr(v, "is_public", False)}
    # The citizen's confirmation link is public by design: a signed, expiring token instead of a login. The portal's
    # pages are public to the staff login and check the portal's own session (tests/portal/test_signin.py).
    # The API's routes check a bearer token and its scopes instead (api/auth.py, tests/api/test_scope_matrix.py);
    # only its description (the OpenAPI document and the page that shows it) is open. The FHIR routes take the same
    # tokens (tests/fhirapi/test_scope_matrix.py); only their CapabilityStatement is open.
    api = {e for e in public if e.startswith(("api.", "fhir."))}
    assert {e for e in api if not getattr(app.view_functions[e], "api_scopes", ())} == {"api.openapi", "api.docs",
                                                                                          "fhir.metadata"}
    staff_side = {e for e in public - api if not e.startswith("portal.")}
    assert staff_side == {"auth.login", "main.set_language", "main.health", "dispatch.confirm_link"}


@pytest.mark.parametrize("role,status", [
    (Role.ADMIN, 200), (Role.HELPDESK, 403), (Role.NURSE, 403), (Role.COORDINATOR, 403), (Role.WAREHOUSE, 403),
])
def test_only_admins_manage_users(client, factory, role, status):
    client.login(factory.user(role).username)
    assert client.get("/admin/users").status_code == status


def test_an_admin_creates_edits_and_disables_a_user(client, factory, session):
    admin = factory.user(Role.ADMIN)
    client.login(admin.username)
    org_id = admin.organisation_id
    response = client.post("/admin/users/new", data={
        "username": "ny.tekniker", "full_name": "Ny Tekniker", "role": "technician", "organisation_id": org_id,
        "password": "a-long-enough-password",
    })
    assert response.status_code == 302
    session.rollback()  # end the test session's read snapshot to see what the app committed
    user = session.query(User).filter_by(username="ny.tekniker").one()
    response = client.post(f"/admin/users/{user.id}", data={
        "full_name": "Ny Tekniker Hansen", "role": "technician", "organisation_id": org_id, "email": "",
        "phone": "",
    })
    assert response.status_code == 302
    client.post(f"/admin/users/{user.id}/status", data={"status": "disabled"})
    session.rollback()
    assert user.full_name == "Ny Tekniker Hansen" and user.status == UserStatus.DISABLED


def test_editing_a_user_of_an_inactive_organisation_keeps_the_organisation(client, factory, session):
    """Left out of the select, the organisation became the first in the list when the form was saved: the nurse of a
    closed clinic renamed by an admin would have been moved to another organisation, and to its citizens."""
    clinic = factory.organisation(OrganisationKind.GP_CLINIC, "GP-LUKKET")
    nurse = factory.user(Role.NURSE, organisation=clinic)
    with unit_of_work(session):
        session.get(Organisation, clinic.id).is_active = False
    client.login(factory.user(Role.ADMIN).username)
    form = form_as_shown(client.get(f"/admin/users/{nurse.id}").get_data(as_text=True))
    assert client.post(f"/admin/users/{nurse.id}", data={**form, "full_name": "Sanne Nyt Navn"}).status_code == 302
    session.rollback()
    saved = session.get(User, nurse.id)
    assert (saved.full_name, saved.organisation_id, saved.role) == ("Sanne Nyt Navn", clinic.id, Role.NURSE)


def test_user_form_errors_are_shown_at_the_field(client, factory):
    admin = factory.user(Role.ADMIN)
    client.login(admin.username)
    response = client.post("/admin/users/new", data={
        "username": "bad name!", "full_name": "", "role": "nurse", "organisation_id": admin.organisation_id,
        "password": "short",
    })
    assert response.status_code == 200
    assert response.data.count(b"invalid-feedback") >= 2


def test_a_user_changes_their_own_password_and_logs_in_again(client, factory):
    user = factory.user()
    client.login(user.username)
    response = client.post("/account/password", data={"current_password": "nope-nope-nope",
                                                      "password": "another-long-password"})
    assert response.status_code == 200 and b"is-invalid" in response.data
    response = client.post("/account/password", data={"current_password": PASSWORD,
                                                      "password": "another-long-password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert client.login(user.username, "another-long-password").status_code == 302


def test_unknown_pages_get_a_friendly_404_with_a_request_id(client, factory):
    client.login(factory.user().username)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["X-Request-ID"].encode() in response.data
